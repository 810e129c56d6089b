package health

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/gossip"
)

func lostView(name, cluster string, start, end uint64, serving bool) gossip.Member {
	return gossip.Member{Name: name, Meta: gossip.Meta{Role: "view", Cluster: cluster, DC: "dc1", Space: "hashsp",
		RangeStart: start, RangeEnd: end, GRPCAddr: name + ":1", Serving: serving}}
}

func TestLostMemory(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l := &LostMemory{Now: func() time.Time { return now }}
	v1 := lostView("v1", "c1", 0, 1<<63-1, true)
	v2 := lostView("v2", "c1", 1<<63, 1<<64-1, true)
	api := gossip.Member{Name: "a1", Meta: gossip.Meta{Role: "api", Cluster: "c1", GRPCAddr: "a1:1", Serving: true}}
	logm := gossip.Member{Name: "l1", Meta: gossip.Meta{Role: "log"}}

	l.Depart(v1, false)
	now = now.Add(time.Second)
	l.Depart(api, false)
	l.Depart(v2, true)    // graceful: not lost
	l.Depart(logm, false) // log servers are not listed
	got := l.List()
	if len(got) != 2 || got[0].Name != "v1" || got[1].Name != "a1" {
		t.Fatalf("lost %+v, want v1 then a1", got)
	}
	if x := got[0]; x.Role != "view" || x.Cluster != "c1" || x.DC != "dc1" || x.Addr != "v1:1" || x.Space != "hashsp" ||
		x.Range != v1.Meta.Range().String() || !x.Since.Equal(now.Add(-time.Second)) {
		t.Errorf("v1 recorded as %+v", x)
	}
	if got[1].Space != "" || got[1].Range != "" {
		t.Errorf("an API server has no space or range: %+v", got[1])
	}

	// Another view serving the same range (a replica, or a replacement at
	// another address) does not take v1 off the list; v1 coming back does.
	l.Prune([]gossip.Member{lostView("z", "c1", 0, 1<<63-1, true)})
	if len(l.List()) != 2 {
		t.Fatalf("pruned too much: %+v", l.List())
	}
	l.Prune([]gossip.Member{v1})
	if got := l.List(); len(got) != 1 || got[0].Name != "a1" {
		t.Fatalf("after v1 came back: %+v", got)
	}
	// The same name coming back (same role and address) replaces it.
	l.Prune([]gossip.Member{{Name: "a1", Meta: gossip.Meta{Role: "api"}}})
	if got := l.List(); len(got) != 0 {
		t.Fatalf("after a1 came back: %+v", got)
	}

	l.Depart(api, false)
	if l.Forget("nobody") {
		t.Error("forgot a server that was not lost")
	}
	if !l.Forget("a1") || len(l.List()) != 0 {
		t.Errorf("Forget(a1) left %+v", l.List())
	}
	// A graceful departure under a lost name clears it.
	l.Depart(api, false)
	l.Depart(api, true)
	if len(l.List()) != 0 {
		t.Errorf("graceful departure left %+v", l.List())
	}
}

func TestLostMemoryBounded(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l := &LostMemory{Now: func() time.Time { return now }}
	for i := range MaxLost + 5 {
		now = now.Add(time.Second)
		l.Depart(gossip.Member{Name: fmt.Sprintf("api-%04d", i), Meta: gossip.Meta{Role: "api"}}, false)
	}
	got := l.List()
	if len(got) != MaxLost || got[0].Name != "api-0005" || got[len(got)-1].Name != fmt.Sprintf("api-%04d", MaxLost+4) {
		t.Fatalf("kept %d, first %s last %s; want the newest %d", len(got), got[0].Name, got[len(got)-1].Name, MaxLost)
	}
}

func TestComputeListsLostPerCluster(t *testing.T) {
	in := Input{Members: []gossip.Member{
		{Name: "a1", Meta: gossip.Meta{Role: "api", Cluster: "c1", Serving: true}},
		{Name: "a2", Meta: gossip.Meta{Role: "api", Cluster: "c2", Serving: true}},
	}, LostServers: []Lost{{Name: "v1", Role: "view", Cluster: "c1"}, {Name: "v9", Role: "view", Cluster: "c3"}}}
	r := Compute(in)
	if len(r.Lost) != 2 {
		t.Errorf("top-level lost %+v, want both", r.Lost)
	}
	for _, c := range r.Clusters {
		want := 0
		if c.Name == "c1" {
			want = 1
		}
		if len(c.Lost) != want {
			t.Errorf("cluster %s lost %+v, want %d", c.Name, c.Lost, want)
		}
	}
	one, _ := r.Cluster("c1")
	if len(one.Lost) != 1 || one.Lost[0].Name != "v1" {
		t.Errorf("narrowed to c1, lost %+v", one.Lost)
	}
}

func TestWriteTextLost(t *testing.T) {
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in := Input{Members: []gossip.Member{{Name: "a1", Meta: gossip.Meta{Role: "api", Cluster: "c1", Serving: true}}},
		LostServers: []Lost{
			{Name: "view-h:1", Role: "view", Cluster: "c1", DC: "dc1", Addr: "h:1", Space: "hashsp",
				Range: "0x0000000000000000-0xffffffffffffffff", Since: since},
			{Name: "api-h:2", Role: "api", Cluster: "c1", Addr: "h:2", Since: since},
		}}
	var b strings.Builder
	if err := WriteText(&b, Compute(in)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"lost (left without a graceful stop; not counted in the verdict): 2\n",
		"  lost        view-h:1  view hashsp 0x0000000000000000-0xffffffffffffffff grpc h:1",
		"  lost        api-h:2  api grpc h:2  since 2026-01-02T03:04:05Z\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
}
