// Package drills runs operating scenarios of control_plane.md on a
// multi-process deployment of three datacenters: 3 log replicas over 3
// --dc's, and per datacenter its own Akutan cluster (--cluster, its own
// gossip pool) of views and an API server, under a constant write and
// query load that records every acknowledged write and every failed
// query. Each drill ends by checking that every acknowledged write is
// readable through every cluster and that `ctl verify` agrees within and
// across the clusters, and reports, per drill, the acknowledged writes,
// the lost writes (must be 0), the failed queries and the time to healthy
// (a line starting "drill NAME:", logged and printed on stdout, so
// `go test -v ./tests/drills | grep '^drill'` lists them).
//
// The drills, one file per scenario group:
//
//   - coldstart_test.go: TestDrillProvisionAnyOrder (a new database whose
//     servers start one by one in a random order) and TestDrillColdStart
//     (kill -9 of every process, restart in a random order on the old
//     disks).
//   - rolling_test.go: TestDrillRollingRestart (every server restarted one
//     at a time, `akutan status --wait` between steps, views drained
//     first).
//   - replace_test.go: TestDrillReplaceFailedServers (a view killed and
//     replaced by an empty one that boots from its peer; an API server
//     killed and started anew).
//   - logreplica_test.go: TestDrillLogReplicaLoss (a log replica killed,
//     shown down in every cluster, restarted).
//   - logreplace_test.go: TestDrillReplaceLogReplicas (every log replica
//     replaced by one with a new ID, one at a time; views and API servers
//     follow the membership with no restart).
//   - splitmerge_test.go: TestDrillSplitMerge (hashsp split 1 -> 2
//     partitions and merged back, `status --wait covered` and `ctl drain`).
//   - upgrade_test.go: TestDrillUpgradeRollback (new views beside the old,
//     the old drained and stopped; then back to the old views on their
//     disks).
//   - logversion_test.go: TestDrillLogVersionChange (`ctl log upgrade`
//     refused while a version-1 view serves, then the switch to version 2).
//   - newcluster_test.go: TestDrillNewClusterForExistingDatabase (the log
//     truncated past index 1, a fourth cluster whose views boot from
//     dc1's with --boot-from-cluster).
//   - truncation_test.go: TestDrillAutoTruncation (floors registered by
//     every cluster on a timer, automatic truncation on the log replicas,
//     one cluster's views stopped: the log is never truncated past its
//     floor, and its views catch up from the log without booting).
//   - dcloss_test.go: TestDrillDatacenterLoss (kill -9 of every process of
//     the datacenter whose log replica leads; the other clusters keep
//     serving; it comes back).
//
// steps_test.go holds the steps they share (status --wait, ctl drain, new
// views, the final checks); deployment_test.go the deployment and the load.
package drills
