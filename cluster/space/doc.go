// Package space describes the spaces served by Akutan views and the hash
// ranges within them.
//
// Each view instance serves one contiguous, inclusive range of one 64-bit
// hash space (HashSP or HashPO). The API servers and the operator tools use
// this package to name those ranges on the command line (--range,
// --partition), to cut the ranges of the live views into disjoint pieces for
// RPC fan-out (Split), and to find the holes in a space that no view serves
// (Uncovered). Space.Hash is the one place that says where a fact lives in
// a space; the view client places its lookups with it. The model is that of Akutan's control plane requirements:
// a cluster is fully available when every point of every space is served.
package space
