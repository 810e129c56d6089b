// Package local runs a whole Akutan cluster in one process, for newcomers
// and for development: three log replicas, HashSP and HashPO each split
// into two partitions with two replicas each, and one API server, all on
// loopback, with their data under one directory.
//
// Every component is the real one, serving real gRPC and gossip over
// loopback, in one gossip pool as in production (log replicas included,
// so `akutan status` lists them); only the process boundary is gone. The
// calls that stay inside the process (the API server's and the views' to
// the log, the API server's lookups to the views) skip the network: the
// servers hand their gRPC services to the clients as in-process
// connections (package internal/inprocess: the same handlers and
// messages, without HTTP/2, system calls or serialization), found by gRPC
// address (logclient.WithInProcess, viewclient.WithInProcess). Over loopback gRPC
// a small query spent more time in that transport than in the servers;
// it answers 1.2-1.7x as many queries a second without it, and a load
// runs 10-17% faster (docs/benchmarks.md). Everything outside the process
// (the command line, other clusters' members, a booting view's peers)
// still uses the listeners. Raft addresses are chosen on first start and
// recorded in the directory, because a log replica must keep its address
// for life.
//
// The eight views share one logentry.SharedReplay: every view must apply
// every entry, but one decode of each entry serves all of them (decoding
// eight times was 18% of a bulk load's CPU).
//
// A fresh local cluster's log is switched to the newest log format version
// as soon as it is up (before anything else is written), so that RDF
// literals are kept losslessly out of the box (see storage/logentry's
// version 3). A local log that already holds entries keeps its version;
// `akutan ctl log upgrade` switches it.
//
// With Config.RestoreFrom, a new local cluster starts from a backup (see
// storage/backup): the backup is verified whole first, the new log is
// made to continue after the backup's index (logserver.Server.StartAfter:
// its first entry is that index + 1, in the backup's log format version)
// instead of being upgraded, and every view loads its range from the
// backup before following the log.
package local
