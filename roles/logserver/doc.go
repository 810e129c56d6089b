// Package logserver runs one replica of Akutan's central log.
//
// The log is a sequence of entries with dense indexes 1, 2, 3, ...
// replicated with Raft (Dragonboat v3). Each replica keeps the entries in a
// LevelDB-backed state machine and serves the wire.Log gRPC service:
//
//   - Append and AppendStream group concurrently arriving requests into
//     one Raft proposal (group commit). Each request carries an idempotency
//     key (client_id, seq); the state machine remembers the last seq of
//     each client, so a retried request is applied at most once and gets
//     the indexes assigned the first time.
//   - Read streams entries from the replica's own applied state and then
//     tails new ones; readers are woken by the state machine on every apply,
//     and sent an empty reply (a heartbeat) every 200 ms while idle.
//   - Info reports the log's extent, the leader and the members, each with
//     the gRPC address and datacenter the log's directory records for it.
//
// The directory (directory.go) is a small replicated table beside the
// floors: where each replica serves gRPC, so that clients started with
// some addresses follow the membership (package logclient), and every
// server that has connected with the newest log format version it
// supports, so that a version change is refused while one that supports
// less is recorded, up or down. Replicas record themselves; views and API
// servers record themselves through LogAdmin.RecordServer. Records are
// written unprompted only once the log has a directory: a log founded by
// this release does from its start, an older one after an operator's
// `ctl log set-address` (older replicas stop at a command kind they do
// not know, so that waits until every replica is upgraded).
//
// Like every role server, a replica sets up its listeners, its optional
// /metrics and gossip through package rolekit: with Config.GossipAddr it
// advertises itself (role "log", its gRPC address, its applied index and
// whether it answers) every second, so that `akutan status` lists it.
//
// Raft and the state machine store entries as bytes, but a gate checks
// them first: every entry of an append must pass logentry.Validate in the
// log's current format version, or the whole request is refused with
// InvalidArgument, so that nothing a view cannot apply gets in. A version
// change entry is appended only by LogAdmin.ChangeVersion, as a Raft
// command of its own that the state machine applies only upward; it remembers
// the version (also from version changes that older binaries appended).
//
// The log prefix is discarded only by truncation, a Raft command too:
// LogAdmin.Truncate, refused past the lowest floor the clusters
// registered (LogAdmin.SetFloor: the highest index a cluster can lose,
// which its API servers register by themselves, see package
// cluster/floor) unless forced. With Config.AutoTruncateEvery the leader
// also truncates by itself, up to the lowest floor as it stood
// Config.AutoTruncateLag ago, and never while no floor is registered.
//
// A log restored from a backup as of index I (storage/backup) starts
// with a start-after command (startafter.go) instead of entry 1: on the
// empty log it sets the extent to first I+1, last I, and the backup's
// format version, so that the first append gets index I+1.
//
// The state machine assigns log indexes in apply order, independent of Raft
// indexes (which include no-ops and membership changes). It stores the
// applied Raft index in the same LevelDB batch as the entries, so Open always
// reports the truthful applied index, and it streams its whole content as a
// Raft snapshot so that a new or lagging replica can catch up after the Raft
// log has been compacted.
package logserver
