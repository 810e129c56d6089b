package health

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/gossip"
)

// DefaultClusterName names the cluster of servers started with neither
// --cluster nor --dc.
const DefaultClusterName = "default"

// ClusterOf is the Akutan cluster a server belongs to: its --cluster, or
// without one its --dc (a cluster is one datacenter's servers), or
// DefaultClusterName.
func ClusterOf(m gossip.Meta) string {
	switch {
	case m.Cluster != "":
		return m.Cluster
	case m.DC != "":
		return m.DC
	}
	return DefaultClusterName
}

// inCluster reports whether a member counts towards a cluster's verdict:
// views and API servers do; log servers belong to no cluster.
func inCluster(m gossip.Member) bool {
	return m.Meta.Role == "view" || m.Meta.Role == "api"
}

// clusterNames lists the clusters of the views and API servers, sorted.
func clusterNames(members []gossip.Member) []string {
	var names []string
	for _, m := range members {
		if name := ClusterOf(m.Meta); inCluster(m) && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// clusterMembers returns the members of cluster name, and the log servers.
func clusterMembers(members []gossip.Member, name string) []gossip.Member {
	var out []gossip.Member
	for _, m := range members {
		if !inCluster(m) || ClusterOf(m.Meta) == name {
			out = append(out, m)
		}
	}
	return out
}

// clusterReport keeps the per-cluster part of r, a report on one
// cluster's members.
func clusterReport(name string, r Report) Cluster {
	var dcs []string
	for _, v := range r.Views {
		dcs = append(dcs, v.DC)
	}
	for _, a := range r.APIs {
		dcs = append(dcs, a.DC)
	}
	slices.Sort(dcs)
	dcs = slices.DeleteFunc(slices.Compact(dcs), func(s string) bool { return s == "" })
	return Cluster{Name: name, DC: strings.Join(dcs, ","), Judgement: r.Judgement}
}

// judgeDatabase sets the top-level verdict when there are several
// clusters: the database is healthy (fully available) when every cluster
// is, and its reasons are every cluster's, each prefixed with the
// cluster's name. With one cluster (or none) the top level is already
// that cluster's verdict.
func (r *Report) judgeDatabase() {
	if len(r.Clusters) <= 1 {
		return
	}
	r.Healthy, r.FullyAvailable, r.Reasons = true, true, []string{}
	for _, c := range r.Clusters {
		r.Healthy = r.Healthy && c.Healthy
		r.FullyAvailable = r.FullyAvailable && c.FullyAvailable
		for _, reason := range c.Reasons {
			r.Reasons = append(r.Reasons, fmt.Sprintf("cluster %s: %s", c.Name, reason))
		}
	}
	r.Verdict = verdict(r.FullyAvailable, r.Healthy)
}

// Merge combines reports from API servers of different clusters (each
// judges only its own gossip pool) into one on the whole database: the
// first report's log and reference index, each cluster once (from the
// first report that judges it), every lost server, and at the top level
// every cluster's views, API servers, uncovered and under-replicated
// ranges with the database's verdict (see judgeDatabase).
func Merge(reports ...Report) Report {
	if len(reports) == 0 {
		return Report{}
	}
	out := reports[0]
	out.Clusters = slices.Clone(out.Clusters)
	out.Lost = slices.Clone(out.Lost)
	seen := make(map[string]bool)
	for _, c := range out.Clusters {
		seen[c.Name] = true
	}
	for _, r := range reports[1:] {
		for _, c := range r.Clusters {
			if !seen[c.Name] {
				seen[c.Name] = true
				out.Clusters = append(out.Clusters, c)
				out.Lost = append(out.Lost, c.Lost...)
			}
		}
	}
	if len(out.Clusters) <= 1 {
		return out
	}
	slices.SortFunc(out.Clusters, func(a, b Cluster) int { return strings.Compare(a.Name, b.Name) })
	out.Judgement = Judgement{}
	for _, c := range out.Clusters {
		out.Views = append(out.Views, c.Views...)
		out.APIs = append(out.APIs, c.APIs...)
		out.Uncovered = append(out.Uncovered, c.Uncovered...)
		out.UnderReplicated = append(out.UnderReplicated, c.UnderReplicated...)
	}
	out.judgeDatabase()
	return out
}

// Cluster returns the report narrowed to the cluster name: its views, API
// servers and verdict at the top level, the log as it is, and Clusters
// holding only that cluster. ok is false if no server of that cluster was
// seen.
func (r Report) Cluster(name string) (Report, bool) {
	i := slices.IndexFunc(r.Clusters, func(c Cluster) bool { return c.Name == name })
	if i < 0 {
		return r, false
	}
	c := r.Clusters[i]
	out := r
	out.Judgement = c.Judgement
	out.Clusters = []Cluster{c}
	out.Lost = c.Lost
	return out, true
}

// SeenReplica is the ID and datacenter a log replica answered with.
type SeenReplica struct {
	ID uint64
	DC string
}

// ReplicaMemory remembers, by gRPC address, which log replica answered
// there, so that a replica that stops answering is still named. It is
// safe for concurrent use; the zero value is ready.
type ReplicaMemory struct {
	mu   sync.Mutex
	seen map[string]SeenReplica
}

// Remember records the replicas that answered.
func (m *ReplicaMemory) Remember(replicas []logclient.ReplicaInfo) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = make(map[string]SeenReplica)
	}
	for _, r := range replicas {
		if r.Err == nil && r.Info != nil && r.Info.ReplicaId != 0 {
			m.seen[r.Addr] = SeenReplica{ID: r.Info.ReplicaId, DC: r.Info.Dc}
		}
	}
}

// Snapshot returns a copy of what is remembered.
func (m *ReplicaMemory) Snapshot() map[string]SeenReplica {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]SeenReplica, len(m.seen))
	for k, v := range m.seen {
		out[k] = v
	}
	return out
}
