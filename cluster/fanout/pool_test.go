package fanout

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/space"
)

func part(t *testing.T, i, n int) space.Range {
	t.Helper()
	r, err := space.Partition(i, n)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCut(t *testing.T) {
	p := newPool([]Target{
		{Addr: "a", Range: part(t, 1, 2)}, {Addr: "b", Range: part(t, 2, 2)},
		{Addr: "c", Range: part(t, 1, 3)}, {Addr: "d", Range: part(t, 3, 3)},
	}, Config{}, nil)
	got := p.cut(space.Full())
	want := []space.Range{
		{Start: 0, End: part(t, 1, 3).End},
		{Start: part(t, 2, 3).Start, End: part(t, 1, 2).End},
		{Start: part(t, 2, 2).Start, End: part(t, 2, 3).End},
		{Start: part(t, 3, 3).Start, End: math.MaxUint64},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("cut = %v, want %v", got, want)
	}
	if got := p.cut(space.Range{Start: 5, End: 5}); got != nil {
		t.Fatalf("a point was cut: %v", got)
	}
	if got := p.cut(part(t, 3, 3)); got != nil {
		t.Fatalf("a range inside one target was cut: %v", got)
	}
}

func TestPickPrefersFreshThenLocal(t *testing.T) {
	full := space.Full()
	p := newPool([]Target{
		{Addr: "stale-local", Range: full, DC: "here", Applied: 10},
		{Addr: "fresh-remote", Range: full, DC: "there", Applied: 50000},
		{Addr: "fresh-local", Range: full, DC: "here", Applied: 49990},
		{Addr: "half", Range: part(t, 1, 2), DC: "here", Applied: 50000},
	}, Config{LocalDC: "here", MaxLag: 100}, nil)
	u := &unit{Unit: Unit{Range: full}}
	for _, want := range []string{"fresh-local", "fresh-remote", "stale-local"} {
		i, ok := p.pick(u, -1)
		if !ok || p.targets[i].Addr != want {
			t.Fatalf("after trying %v, picked %v (ok %v), want %s", u.tried.inline, p.targets[i].Addr, ok, want)
		}
		u.tried.add(want)
	}
	if i, ok := p.pick(u, -1); ok {
		t.Fatalf("picked %s for a range it does not contain", p.targets[i].Addr)
	}
}

func TestPickIsRandomAndSticky(t *testing.T) {
	r := part(t, 1, 2)
	p := newPool([]Target{{Addr: "a", Range: r}, {Addr: "b", Range: r}, {Addr: "c", Range: r}}, Config{}, nil)
	seen := map[int]int{}
	for range 300 {
		i, _ := p.pick(&unit{Unit: Unit{Range: Point(1)}}, -1)
		seen[i]++
	}
	for i := range p.targets {
		if seen[i] < 50 {
			t.Fatalf("picks %v are not spread over the three replicas", seen)
		}
	}
	for range 20 {
		if i, _ := p.pick(&unit{Unit: Unit{Range: Point(2)}}, 1); i != 1 {
			t.Fatalf("sticky target 1 not kept: picked %d", i)
		}
	}
}

func TestHedgeDelay(t *testing.T) {
	cfg, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	l := newLatencies(cfg)
	if d := l.delay("x"); d != DefaultHedgeInitial {
		t.Fatalf("delay without samples = %v, want %v", d, DefaultHedgeInitial)
	}
	for i := range 200 {
		d := 30 * time.Millisecond
		if i%50 == 0 { // 2% slow calls must not move the 95th percentile
			d = 5 * time.Second
		}
		l.observe("x", d)
	}
	if d := l.delay("x"); d != 30*time.Millisecond {
		t.Fatalf("delay = %v, want the 95th percentile 30ms", d)
	}
	for i := range windowSize {
		d := 20 * time.Millisecond
		if i%10 == 0 { // a tail far above the median is cut to 4 medians
			d = time.Second
		}
		l.observe("tail", d)
	}
	if d := l.delay("tail"); d != 80*time.Millisecond {
		t.Fatalf("delay with a heavy tail = %v, want 4 medians (80ms)", d)
	}
	for range windowSize {
		l.observe("fast", time.Millisecond)
		l.observe("slow", time.Minute)
	}
	if d := l.delay("fast"); d != DefaultHedgeFloor {
		t.Fatalf("delay of fast calls = %v, want the floor", d)
	}
	if d := l.delay("slow"); d != DefaultHedgeCap {
		t.Fatalf("delay of slow calls = %v, want the cap", d)
	}
}

func TestConfigChecks(t *testing.T) {
	for _, c := range []Config{
		{HedgeQuantile: 1.5}, {HedgeFloor: time.Second, HedgeCap: time.Millisecond}, {Backoff: -1}, {Rounds: -1},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted a bad config", c)
		}
	}
}

// TestUncovered: the range reported for a unit nobody answered is the
// partition its failed replicas share, or the gap no target covers.
func TestUncovered(t *testing.T) {
	quarter := func(i int) space.Range { return part(t, i, 4) }
	p := newPool([]Target{
		{Addr: "a", Range: quarter(1)}, {Addr: "b", Range: part(t, 1, 2)}, {Addr: "d", Range: quarter(4)},
	}, Config{}, nil)
	point := func(r space.Range) space.Range { return space.Range{Start: r.Start + 1, End: r.Start + 1} }
	for _, c := range []struct{ unit, want space.Range }{
		{point(quarter(1)), quarter(1)},    // a and b both cover it: their overlap
		{point(quarter(2)), part(t, 1, 2)}, // only b: its partition
		{point(quarter(3)), quarter(3)},    // nobody: the gap between b and d
	} {
		if got := p.uncovered(c.unit); got != c.want {
			t.Fatalf("uncovered(%v) = %v, want %v", c.unit, got, c.want)
		}
	}
	if got := newPool(nil, Config{}, nil).uncovered(space.Range{Start: 7, End: 7}); got != space.Full() {
		t.Fatalf("with no targets, uncovered = %v, want the whole space", got)
	}
}

// A draining view is skipped while another up-to-date view, local or
// remote, covers the range, preferred to a lagging or recently failed one,
// and used as a last resort.
func TestPickSkipsDrainingViews(t *testing.T) {
	full := space.Full()
	p := newPool([]Target{
		{Addr: "draining-local", Range: full, DC: "here", Applied: 50000, Draining: true},
		{Addr: "failed-local", Range: full, DC: "here", Applied: 50000},
		{Addr: "stale-local", Range: full, DC: "here", Applied: 10},
		{Addr: "fresh-remote", Range: full, DC: "there", Applied: 50000},
	}, Config{LocalDC: "here", MaxLag: 100}, map[string]bool{"failed-local": true})
	u := &unit{Unit: Unit{Range: full}}
	for _, want := range []string{"fresh-remote", "draining-local", "stale-local", "failed-local"} {
		for range 20 { // the choice within a tier is random: it must not vary
			if i, ok := p.pick(u, -1); !ok || p.targets[i].Addr != want {
				t.Fatalf("after trying %v, picked %v (ok %v), want %s", u.tried.inline, p.targets[i].Addr, ok, want)
			}
		}
		u.tried.add(want)
	}
	// Sticky does not override the tiers: a draining view is not kept.
	p = newPool([]Target{{Addr: "d", Range: full, Draining: true}, {Addr: "e", Range: full}}, Config{}, nil)
	if i, _ := p.pick(&unit{Unit: Unit{Range: full}}, 0); p.targets[i].Addr != "e" {
		t.Fatalf("sticky draining view was kept")
	}
}
