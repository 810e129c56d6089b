// Package logtest starts in-process clusters of log replicas for tests:
// each replica has its own directory and free 127.0.0.1 ports and is
// reached over real gRPC and Raft transports.
package logtest
