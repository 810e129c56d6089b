package health

import (
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
)

func missing(t *testing.T, r Report, p Partitioning) []string {
	t.Helper()
	out, err := Missing(r, p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCoveredExactPartitioning(t *testing.T) {
	r := Compute(newTopology(1000).partitions(space.HashSP, 2, 1).partitions(space.HashPO, 3, 2).input())
	for _, p := range []Partitioning{
		{"hashsp", 2, 1}, {"HashSP", 2, 1}, {"hashpo", 3, 2}, {"hashpo", 3, 1},
	} {
		if m := missing(t, r, p); len(m) != 0 {
			t.Errorf("%v: missing %q, want none", p, m)
		}
	}
	// Three copies wanted, one each: both partitions are named, with counts.
	m := missing(t, r, Partitioning{"hashsp", 2, 3})
	if len(m) != 2 || !strings.Contains(m[0], "hashsp partition 1/2 ("+partition(t, 1, 2).String()+"): 1 of 3 up-to-date views") ||
		!strings.Contains(m[1], "partition 2/2") {
		t.Errorf("missing %q", m)
	}
	// Wider views do not count for a finer partitioning, nor finer ones
	// for a coarser: only the exact ranges do.
	if m := missing(t, r, Partitioning{"hashsp", 4, 1}); len(m) != 4 {
		t.Errorf("4-way over 2-way views: missing %q, want 4 partitions", m)
	}
	if m := missing(t, r, Partitioning{"hashpo", 1, 1}); len(m) != 1 {
		t.Errorf("1-way over 3-way views: missing %q, want the full range", m)
	}
}

// Views count by the same rule as health: only up-to-date ones; the
// others are named with their status.
func TestCoveredCountsOnlyUpToDateViews(t *testing.T) {
	tp := newTopology(1000)
	p1, p2 := partition(t, 1, 2), partition(t, 2, 2)
	tp.view(space.HashSP, p1, gossip.Meta{AppliedIndex: 1000, Serving: true})
	tp.view(space.HashSP, p1, gossip.Meta{AppliedIndex: 10, Serving: true}) // lagging (MaxLag 100)
	tp.view(space.HashSP, p2, gossip.Meta{AppliedIndex: 1000, Serving: true})
	tp.view(space.HashSP, p2, gossip.Meta{State: ViewBooting})
	tp.view(space.HashSP, p2, gossip.Meta{AppliedIndex: 1000, Serving: true})
	in := tp.input()
	in.Unreachable = map[string]string{"view-4": "connection refused"}
	r := Compute(in)
	m := missing(t, r, Partitioning{"hashsp", 2, 2})
	if len(m) != 2 || !strings.Contains(m[0], "1 of 2 up-to-date views (also view-1 lagging)") ||
		!strings.Contains(m[1], "1 of 2 up-to-date views (also view-3 booting, view-4 unreachable)") {
		t.Errorf("missing %q", m)
	}
	if m := missing(t, r, Partitioning{"hashsp", 2, 1}); len(m) != 0 {
		t.Errorf("one copy each: missing %q", m)
	}
}

// Narrowed to a cluster, only that cluster's views count.
func TestCoveredPerCluster(t *testing.T) {
	tp := newTopology(1000)
	for _, dc := range []string{"east", "west"} {
		for i := 1; i <= 2; i++ {
			if dc == "west" && i == 2 {
				continue
			}
			tp.view(space.HashSP, partition(t, i, 2), gossip.Meta{DC: dc, AppliedIndex: 1000, Serving: true})
		}
	}
	r := Compute(tp.input())
	if m := missing(t, r, Partitioning{"hashsp", 2, 1}); len(m) != 0 {
		t.Errorf("database as a whole: missing %q", m)
	}
	east, _ := r.Cluster("east")
	west, _ := r.Cluster("west")
	if m := missing(t, east, Partitioning{"hashsp", 2, 1}); len(m) != 0 {
		t.Errorf("east: missing %q", m)
	}
	if m := missing(t, west, Partitioning{"hashsp", 2, 1}); len(m) != 1 || !strings.Contains(m[0], "partition 2/2") {
		t.Errorf("west: missing %q", m)
	}
}

func TestCoveredRejectsBadRequests(t *testing.T) {
	for _, p := range []Partitioning{{"nosuch", 2, 1}, {"hashsp", 0, 1}, {"hashsp", 2, 0}} {
		if _, err := Missing(Report{}, p); err == nil {
			t.Errorf("%+v: no error", p)
		}
	}
}

// A draining view still serves (the cluster stays fully available) but is
// not a copy for health, nor for --wait covered.
func TestDrainingViewIsNotAHealthyCopy(t *testing.T) {
	tp := newTopology(1000).partitions(space.HashPO, 1, 3).apis(3)
	tp.view(space.HashSP, space.Full(), gossip.Meta{AppliedIndex: 1000, Serving: true})
	tp.view(space.HashSP, space.Full(), gossip.Meta{AppliedIndex: 1000, Serving: true})
	tp.view(space.HashSP, space.Full(), gossip.Meta{AppliedIndex: 1000, Serving: true})
	r := Compute(tp.input())
	wantVerdict(t, r, true, true)
	tp.members[len(tp.members)-1].Meta.State = gossip.StateDraining
	r = Compute(tp.input())
	wantVerdict(t, r, true, false)
	want := "hashsp " + space.Full().String() + " has 3 up-to-date views, 1 of them draining; healthy needs 3 not draining"
	if len(r.Reasons) != 1 || r.Reasons[0] != want {
		t.Errorf("reasons %q, want %q", r.Reasons, want)
	}
	if len(r.UnderReplicated) != 1 || r.UnderReplicated[0].UpToDate != 2 || r.Spaces[0].Ranges[0].Draining != 1 {
		t.Errorf("under-replicated %+v, ranges %+v", r.UnderReplicated, r.Spaces[0].Ranges)
	}
	m := missing(t, r, Partitioning{"hashsp", 1, 3})
	if len(m) != 1 || !strings.Contains(m[0], "2 of 3 up-to-date views (also view-8 draining)") {
		t.Errorf("missing %q", m)
	}
	var b strings.Builder
	if err := WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "(1 draining)") || !strings.Contains(b.String(), "  draining    view-8") {
		t.Errorf("text lacks the draining view:\n%s", b.String())
	}
}
