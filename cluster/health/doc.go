// Package health decides whether each Akutan cluster is fully available and
// whether it is healthy, as Akutan's control plane requirements define them
// (docs: control_plane.md), and from those, the database as a whole:
//
// Fully available: every point of every space (hashsp, hashpo) is served by
// at least one up-to-date view; the log can append and serve non-stale
// reads; at least one API server is up.
//
// Healthy: every point of every space is served by at least three
// up-to-date views that are not draining (about to be stopped, after
// `akutan ctl drain`: they still count for fully available); the log can
// append and serve non-stale reads; at least three API servers are up.
//
// Missing says what keeps a space from being served in N equal partitions
// by K up-to-date views each (`akutan status --wait covered`).
//
// The inputs are the gossip members one server sees, the log's Info read
// linearizably (a successful linearizable Info with a known leader is what
// "the log can append and serve non-stale reads" means here), and every
// log replica's own Info. A replica that does not answer its own Info in
// time (frozen, partitioned: Raft carries on without it, so the
// linearizable Info does not notice) makes the cluster unhealthy, named
// with the reason; fewer than a majority answering makes it unavailable. A view is up
// to date when it is serving, accepts connections on its gRPC address (a
// crashed server refuses them at once, while gossip takes seconds to
// declare it dead), and its advertised applied index is at most MaxLag
// entries behind the log's last index. The default, DefaultMaxLag,
// is 10,000 entries: gossip itself delays a view's applied index by up to
// about a second, and at the peak ingest rate measured on small machines
// (about 20,000 entries/s) a smaller bound would make healthy views flap,
// while a view replaying a real backlog (a restart, a boot from scratch)
// is well beyond it.
//
// Per cluster: an Akutan cluster is the views and API servers with the
// same --cluster (ClusterOf: or the same --dc without one). Each cluster
// is judged on its own views and API servers plus the log every cluster
// shares (Report.Clusters); views of another cluster never cover for it.
// A report can only judge the clusters among the members it is given: an
// API server's gossip pool is its own cluster, so it reports that one
// and the log. The top-level verdict is the database's: with one cluster
// that cluster's, with several healthy (fully available) only when every
// cluster is, with each cluster's reasons prefixed by its name.
//
// Log replicas: every replica is asked for its own Info on each check; one
// that answers is up (LogReplica.Up). One that does not is down, and since
// a killed replica cannot say who it was, ReplicaMemory remembers which ID
// and datacenter answered at each address, so the reason names it ("log
// replica 3 in dc dc3 (addr) is down: ..."). A down replica makes every
// cluster not healthy; fewer than a majority up makes them unavailable.
//
// Lost servers: views and API servers that dropped out of gossip without
// advertising the state "leaving" first (as every graceful stop does: see
// gossip.Node.MarkLeaving) are remembered by LostMemory, kept by each API
// server, until a member of the same gossip name (role and gRPC address)
// joins again or an operator forgets them; at most MaxLost, the oldest
// dropped. Reports list them (Report.Lost, Cluster.Lost) for information
// only: control_plane.md defines the verdicts by what serves now, so a
// lost server adds no reason and changes no verdict.
//
// Coverage is computed per sub-range: the ranges of all views of a space
// are cut with space.Split at every boundary, so that views of different
// partitionings (a space mid-reshard: say 2-way and 3-way at once) are
// counted correctly, and each sub-range gets the number of up-to-date views
// that serve all of it.
//
// The Report is also the JSON document of `akutan status --json`, of the
// Status gRPC service and of GET /v1/status on the API servers.
package health
