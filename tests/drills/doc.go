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
// So far it has two drills: losing and recovering a log replica
// (TestDrillLogReplicaLoss), and provisioning a new cluster for an
// existing database whose log no longer starts at index 1, its views
// booting from another cluster's (TestDrillNewClusterForExistingDatabase).
// The other scenarios of control_plane.md are still to be drilled (issue
// 13, item 8).
package drills
