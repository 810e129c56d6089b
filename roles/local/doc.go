// Package local runs a whole Akutan cluster in one process, for newcomers
// and for development: three log replicas, HashSP and HashPO each split
// into two partitions with two replicas each, and one API server, all on
// loopback, with their data under one directory.
//
// Every component is the real one, talking real gRPC and gossip over
// loopback, in one gossip pool as in production (log replicas included,
// so `akutan status` lists them); only the process boundary is gone. Raft addresses are chosen on
// first start and recorded in the directory, because a log replica must
// keep its address for life.
//
// A fresh local cluster's log is switched to the newest log format version
// as soon as it is up (before anything else is written), so that RDF
// literals are kept losslessly out of the box (see storage/logentry's
// version 3). A local log that already holds entries keeps its version;
// `akutan ctl log upgrade` switches it.
package local
