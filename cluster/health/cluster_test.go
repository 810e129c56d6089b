package health

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/wire"
)

// datacenters builds n clusters dc1..dcN, each with copies views of every
// space (unpartitioned) and apis API servers, all caught up.
func datacenters(n, copies, apis int) *topology {
	tp := newTopology(50)
	for d := 1; d <= n; d++ {
		dcName := fmt.Sprintf("dc%d", d)
		for _, sp := range []space.Space{space.HashSP, space.HashPO} {
			for c := 0; c < copies; c++ {
				tp.view(sp, space.Range{Start: 0, End: 1<<64 - 1},
					gossip.Meta{AppliedIndex: 50, Serving: true, Cluster: dcName, DC: dcName})
			}
		}
		for a := 0; a < apis; a++ {
			name := fmt.Sprintf("api-%s-%d", dcName, a)
			tp.members = append(tp.members, gossip.Member{Name: name,
				Meta: gossip.Meta{Role: "api", Serving: true, Cluster: dcName, DC: dcName}})
		}
	}
	return tp
}

// replicaAnswers are the own-Info answers of log replicas 1..3 at g:1..3
// in dc1..dc3, with the silent ones failing.
func replicaAnswers(silent ...uint64) []logclient.ReplicaInfo {
	var out []logclient.ReplicaInfo
	for id := uint64(1); id <= 3; id++ {
		addr := fmt.Sprintf("g:%d", id)
		if slices.Contains(silent, id) {
			out = append(out, logclient.ReplicaInfo{Addr: addr, Err: errors.New("connection refused")})
			continue
		}
		out = append(out, logclient.ReplicaInfo{Addr: addr, Info: &wire.InfoReply{
			ReplicaId: id, Dc: fmt.Sprintf("dc%d", id),
			Members: []*wire.Member{{Id: 1, RaftAddr: "a:1"}, {Id: 2, RaftAddr: "a:2"}, {Id: 3, RaftAddr: "a:3"}},
		}})
	}
	return out
}

// With one view per range and one API server per datacenter, three
// datacenters together would cover everything three times with three API
// servers; but no single cluster does, so none is healthy, nor is the
// database.
func TestOneViewPerRangePerDatacenterIsNotHealthy(t *testing.T) {
	in := datacenters(3, 1, 1).input()
	in.Replicas = replicaAnswers()
	r := Compute(in)
	if len(r.Clusters) != 3 {
		t.Fatalf("clusters %+v", r.Clusters)
	}
	for i, c := range r.Clusters {
		want := fmt.Sprintf("dc%d", i+1)
		if c.Name != want || c.DC != want || c.Healthy || !c.FullyAvailable || len(c.Reasons) == 0 {
			t.Errorf("cluster %d: %s dc %s healthy %v available %v reasons %q", i, c.Name, c.DC, c.Healthy, c.FullyAvailable, c.Reasons)
		}
		if len(c.Views) != 2 || len(c.APIs) != 1 || len(c.Uncovered) != 0 {
			t.Errorf("cluster %s: %d views, %d apis, uncovered %v", c.Name, len(c.Views), len(c.APIs), c.Uncovered)
		}
		if !slices.Contains(c.Reasons, "1 API server up; healthy needs 3") {
			t.Errorf("cluster %s reasons %q", c.Name, c.Reasons)
		}
	}
	wantVerdict(t, r, true, false)
	if len(r.Reasons) != 9 || !strings.HasPrefix(r.Reasons[0], "cluster dc1: ") {
		t.Errorf("database reasons %q", r.Reasons)
	}
	for _, rep := range r.Log.Replicas {
		if !rep.Up || rep.DC != fmt.Sprintf("dc%d", rep.ID) {
			t.Errorf("replica %+v", rep)
		}
	}
}

func TestEveryClusterHealthyMakesTheDatabaseHealthy(t *testing.T) {
	in := datacenters(2, 3, 3).input()
	in.Replicas = replicaAnswers()
	r := Compute(in)
	wantVerdict(t, r, true, true)
	if len(r.Clusters) != 2 || !r.Clusters[0].Healthy || !r.Clusters[1].Healthy {
		t.Fatalf("clusters %+v", r.Clusters)
	}
	// One cluster losing a view makes it, and the database, not healthy;
	// the other stays healthy.
	in.Members = slices.DeleteFunc(slices.Clone(in.Members), func(m gossip.Member) bool { return m.Name == "view-0" })
	r = Compute(in)
	wantVerdict(t, r, true, false)
	if r.Clusters[0].Healthy || !r.Clusters[1].Healthy {
		t.Fatalf("dc1 healthy %v, dc2 healthy %v", r.Clusters[0].Healthy, r.Clusters[1].Healthy)
	}
	if want := "cluster dc1: hashsp 0x0000000000000000-0xffffffffffffffff has 2 up-to-date views; healthy needs 3"; !slices.Equal(r.Reasons, []string{want}) {
		t.Fatalf("reasons %q, want %q", r.Reasons, want)
	}
	narrow, ok := r.Cluster("dc2")
	if !ok || !narrow.Healthy || len(narrow.Views) != 6 || len(narrow.Clusters) != 1 {
		t.Fatalf("narrowed to dc2: ok %v %+v", ok, narrow)
	}
	if _, ok := r.Cluster("dc9"); ok {
		t.Fatal("narrowed to a cluster that does not exist")
	}
}

// A log replica that is down makes every cluster not healthy, with a
// reason naming it by ID and datacenter (remembered from its earlier
// answers), and shows as up: false.
func TestDownLogReplicaMakesEveryClusterUnhealthy(t *testing.T) {
	in := datacenters(3, 3, 3).input()
	var mem ReplicaMemory
	mem.Remember(replicaAnswers())
	in.Replicas = replicaAnswers(3)
	mem.Remember(in.Replicas)
	in.Seen = mem.Snapshot()
	r := Compute(in)
	wantVerdict(t, r, true, false)
	want := "log replica 3 in dc dc3 (g:3) is down: it does not answer: connection refused"
	for _, c := range r.Clusters {
		if c.Healthy || !c.FullyAvailable || !slices.Equal(c.Reasons, []string{want}) {
			t.Errorf("cluster %s: healthy %v available %v reasons %q", c.Name, c.Healthy, c.FullyAvailable, c.Reasons)
		}
	}
	down := r.Log.Replicas[2]
	if down.ID != 3 || down.Up || down.DC != "dc3" || !strings.Contains(down.Unreachable, "connection refused") {
		t.Fatalf("replica 3 %+v", down)
	}
	if !r.Log.Replicas[0].Up || !r.Log.Replicas[1].Up {
		t.Fatalf("replicas %+v", r.Log.Replicas)
	}

	// Without a leader the replicas still come from the answers' membership.
	in.Log, in.LogErr = nil, errors.New("getting log info: no leader")
	r = Compute(in)
	if len(r.Log.Replicas) != 3 || r.Log.Replicas[2].Up || !r.Log.Replicas[0].Up {
		t.Fatalf("replicas without a leader %+v", r.Log.Replicas)
	}
	wantVerdict(t, r, false, false)
}

func TestClusterOf(t *testing.T) {
	for _, c := range []struct {
		meta gossip.Meta
		want string
	}{
		{gossip.Meta{Cluster: "east", DC: "dc1"}, "east"},
		{gossip.Meta{DC: "dc1"}, "dc1"},
		{gossip.Meta{}, DefaultClusterName},
	} {
		if got := ClusterOf(c.meta); got != c.want {
			t.Errorf("ClusterOf(%+v) = %q, want %q", c.meta, got, c.want)
		}
	}
}

func TestWriteTextPerCluster(t *testing.T) {
	in := datacenters(2, 1, 1).input()
	var mem ReplicaMemory
	mem.Remember(replicaAnswers())
	in.Replicas = replicaAnswers(2)
	in.Seen = mem.Snapshot()
	var b strings.Builder
	if err := WriteText(&b, Compute(in)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"replica 2  raft a:2  grpc g:2  leader  dc dc2  NOT ANSWERING: g:2 did not answer Info: connection refused\n",
		"== cluster dc1 ==\n",
		"== cluster dc2 ==\n",
		"== database (the log and 2 clusters) ==\ndatabase verdict: fully available, not healthy\n",
		"  - cluster dc2: log replica 2 in dc dc2 (g:2) is down",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "no answer from grpc") {
		t.Errorf("the silent replica, named on its line, is listed again:\n%s", out)
	}
}

// A replica whose address this server does not know (not in its --log) is
// not asked: it is not up as far as this check knows, and says why.
func TestReplicaNotAsked(t *testing.T) {
	in := datacenters(1, 3, 3).input()
	in.Replicas = replicaAnswers()[:2]
	r := Compute(in)
	rep := r.Log.Replicas[2]
	if rep.Up || !strings.HasPrefix(rep.Unreachable, "not asked: ") || !r.Log.Replicas[0].Up {
		t.Fatalf("replicas %+v", r.Log.Replicas)
	}
}

// TestMergeJudgesTheDatabase checks that reports of two API servers, each
// judging its own cluster, merge into one on the database: both clusters
// once, the views of both at the top level, and the database healthy only
// when both are, with each cluster's reasons named.
func TestMergeJudgesTheDatabase(t *testing.T) {
	one := func(name string, healthy bool, reasons ...string) Report {
		j := Judgement{Healthy: healthy, FullyAvailable: true, Verdict: verdict(true, healthy), Reasons: reasons,
			Views: []View{{Space: "hashsp", Range: name}}}
		return Report{Judgement: j, Clusters: []Cluster{{Name: name, Judgement: j}}}
	}
	got := Merge(one("east", true), one("west", false, "1 API server up; healthy needs 3"), one("east", true))
	if len(got.Clusters) != 2 || got.Clusters[0].Name != "east" || got.Clusters[1].Name != "west" {
		t.Fatalf("clusters %+v, want east and west once each", got.Clusters)
	}
	if got.Healthy || !got.FullyAvailable || got.Verdict != VerdictAvailable || len(got.Views) != 2 ||
		len(got.Reasons) != 1 || got.Reasons[0] != "cluster west: 1 API server up; healthy needs 3" {
		t.Fatalf("database: healthy %v available %v verdict %q views %d reasons %q",
			got.Healthy, got.FullyAvailable, got.Verdict, len(got.Views), got.Reasons)
	}
	if single := Merge(one("east", true)); !single.Healthy || len(single.Clusters) != 1 {
		t.Fatalf("one report merged alone changed: %+v", single)
	}
}
