// Package viewserver is the view role: a Disk View serving one hash range
// of one space (HashSP or HashPO).
//
// A view is a deterministic state machine. A supervisor goroutine owns its
// store: it checks the store at start (every key and the state digest, see
// viewstore.Verify), loads the range from peer Disk Views when the log
// alone cannot rebuild it (the log was truncated past the store, or the
// store is empty and peers exist; see package cluster/boot), then tails
// the central log and applies each entry, in order. Another goroutine per
// request serves batched lookups as of a log index, waiting until the
// store has applied that index.
//
// Its peers are the serving views of its own gossip pool, its Akutan
// cluster, and are always preferred. A view that must load (its store is
// empty or was discarded, and the log no longer starts at index 1) and
// finds no peers covering its range loads from the views of the cluster
// named by Config.BootFromCluster, found by asking API servers of that
// cluster (Config.BootSeeds; package cluster/members): how a new cluster
// is provisioned for an existing database. A view with a usable store
// never looks there.
//
// The view serves (answers lookups, loads for booting peers and digests)
// only once it has caught up with the log's last index as of its start;
// until then it advertises State "booting" and Serving false through
// gossip, which is how API servers find views. A store found corrupt (on
// open, by the start-up check, by a lookup, or because it claims more of
// the log than the log holds) is never served from: the view stops
// serving, moves the directory aside (DIR.corrupt-TIME) and rebuilds it
// from peers. A failed store write (a full disk) does not stop a serving
// view: it serves what it holds, retries with backoff and, once the disk
// takes writes again, reopens its store and resumes tailing the log.
//
// Store writes are not synced one by one: while it applies entries, a view
// syncs its store every second (Config.DurableEvery) and advertises the
// index synced as gossip.Meta.DurableIndex, which is what its cluster's
// log floor counts (package cluster/floor).
//
// Its listeners, optional /metrics and gossip (refreshed every 500 ms)
// are set up through package rolekit, as for every role server.
//
// Next to the View service, every view serves ViewBoot: Load streams its
// keys to booting peers through one shared pass over the store (a
// carousel), and Digest returns its state digest as of a log index, which
// `akutan ctl verify` compares across replicas. `akutan ctl backup` takes
// a backup through the same two RPCs (package cluster/backup).
//
// With Config.RestoreFrom, a view whose store is empty fills it from a
// backup instead (restore.go): the keys of its range, as of the backup's
// index, then follows the log from the next index; a damaged backup or a
// log truncated past the backup stops it for good.
package viewserver
