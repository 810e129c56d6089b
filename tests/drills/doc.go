// Package drills runs operating scenarios of control_plane.md on a
// multi-process deployment of three datacenters: 3 log replicas over 3
// --dc's, and per datacenter its own Akutan cluster (--cluster, its own
// gossip pool) of views and an API server, under a constant write and
// query load that records every acknowledged write and every failed
// query. Each drill ends by checking that every acknowledged write is
// readable through every cluster, and logs, per drill, the acknowledged
// writes, the lost writes (must be 0), the failed queries and the time to
// recover.
//
// So far it has these drills: losing and recovering a log replica
// (TestDrillLogReplicaLoss), and automatic truncation with per-cluster
// floors while one cluster's views are stopped (TestDrillAutoTruncation).
// The other scenarios of control_plane.md are
// still to be drilled (issue 13, item 8).
package drills
