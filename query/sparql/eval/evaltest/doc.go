// Package evaltest is test support for SPARQL evaluation: it runs the W3C
// SPARQL 1.1 test suites over any store that can load a graph, give an
// eval.Graph of it and apply an update's Changes, so that the same tests
// run over eval.MemGraph (MemStore) and over the distributed engine's
// graph (package viewgraph's tests).
//
// The suites live outside the repository, in the shared data folder
// beside it (../shared/data/w3c-rdf-tests, see DataDir); a test that
// cannot find them is skipped, saying where it looked.
package evaltest
