package floor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
)

// view is a serving view of cluster c in space sp, partition i of n,
// with applied and durable indexes.
func view(c string, sp space.Space, i, n int, applied, durable uint64) gossip.Member {
	rg, err := space.Partition(i, n)
	if err != nil {
		panic(err)
	}
	return gossip.Member{
		Name: fmt.Sprintf("%s-%s-%d/%d-%d", c, sp, i, n, durable),
		Meta: gossip.Meta{Role: "view", Cluster: c, Space: string(sp), RangeStart: rg.Start, RangeEnd: rg.End,
			AppliedIndex: applied, DurableIndex: durable, Serving: true},
	}
}

// both is a view in each space.
func both(c string, i, n int, applied, durable uint64) []gossip.Member {
	return []gossip.Member{view(c, space.HashSP, i, n, applied, durable), view(c, space.HashPO, i, n, applied, durable)}
}

func with(m gossip.Member, change func(*gossip.Meta)) gossip.Member {
	change(&m.Meta)
	return m
}

func TestCompute(t *testing.T) {
	var twoByTwo []gossip.Member
	twoByTwo = append(twoByTwo, both("a", 1, 2, 100, 90)...)
	twoByTwo = append(twoByTwo, both("a", 1, 2, 100, 80)...)
	twoByTwo = append(twoByTwo, both("a", 2, 2, 100, 95)...)
	twoByTwo = append(twoByTwo, both("a", 2, 2, 100, 70)...)
	tests := []struct {
		name    string
		members []gossip.Member
		copies  int
		floor   uint64
		short   []string // substrings, one per short piece
	}{
		{name: "no views", copies: 2, short: []string{"hashsp 0x0000000000000000-0xffffffffffffffff: 0 of 2", "hashpo"}},
		{name: "second highest of each range, lowest over ranges", members: twoByTwo, copies: 2, floor: 70},
		{name: "one copy: the highest of each range", members: twoByTwo, copies: 1, floor: 90},
		{name: "three copies where there are two", members: twoByTwo, copies: 3,
			short: []string{"hashsp 0x0000000000000000-0x7fffffffffffffff: 2 of 3", "hashsp 0x8000", "hashpo 0x0000", "hashpo 0x8000"}},
		{name: "durable, not applied, counts", members: slices.Concat(both("a", 1, 1, 500, 10), both("a", 1, 1, 500, 20)), copies: 2, floor: 10},
		{name: "an advertised durable index beyond applied counts as applied",
			members: slices.Concat(both("a", 1, 1, 5, 10), both("a", 1, 1, 50, 20)), copies: 2, floor: 5},
		{name: "a view that has not synced (or predates durable indexes) holds nothing",
			members: slices.Concat(both("a", 1, 1, 50, 0), both("a", 1, 1, 50, 20)), copies: 2, floor: 0},
		{name: "views of another cluster do not count",
			members: slices.Concat(both("a", 1, 1, 50, 40), both("b", 1, 1, 50, 45)), copies: 2,
			short: []string{"hashsp 0x0000000000000000-0xffffffffffffffff: 1 of 2", "hashpo"}},
		{name: "--dc names the cluster without --cluster",
			members: slices.Concat(
				[]gossip.Member{with(view("", space.HashSP, 1, 1, 50, 40), func(m *gossip.Meta) { m.DC = "a" })},
				[]gossip.Member{with(view("", space.HashPO, 1, 1, 50, 40), func(m *gossip.Meta) { m.DC = "a" })}),
			copies: 1, floor: 40},
		{name: "booting, draining and non-view members do not count",
			members: slices.Concat(both("a", 1, 1, 50, 40),
				[]gossip.Member{
					with(view("a", space.HashSP, 1, 1, 50, 45), func(m *gossip.Meta) { m.Serving, m.State = false, "booting" }),
					with(view("a", space.HashPO, 1, 1, 50, 45), func(m *gossip.Meta) { m.State = gossip.StateDraining }),
					with(view("a", space.HashPO, 1, 1, 50, 45), func(m *gossip.Meta) { m.Role = "api" }),
				}), copies: 2,
			short: []string{"hashsp 0x0000000000000000-0xffffffffffffffff: 1 of 2", "hashpo 0x0000000000000000-0xffffffffffffffff: 1 of 2"}},
		{name: "a hole in one space", members: slices.Concat(both("a", 1, 2, 50, 40), []gossip.Member{view("a", space.HashSP, 2, 2, 50, 40)}),
			copies: 1, short: []string{"hashpo 0x8000000000000000-0xffffffffffffffff: 0 of 1"}},
		{name: "mid-split: a 1-way view and a 2-way partitioning count together, piece by piece",
			members: slices.Concat(both("a", 1, 1, 100, 60), both("a", 1, 2, 100, 90), both("a", 2, 2, 100, 30)),
			copies:  2, floor: 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := Compute(tc.members, "a", tc.copies)
			if len(res.Short) != len(tc.short) {
				t.Fatalf("short %q, want %d pieces like %q", res.Short, len(tc.short), tc.short)
			}
			for i, want := range tc.short {
				if !strings.Contains(res.Short[i], want) {
					t.Errorf("short[%d] = %q, want it to contain %q", i, res.Short[i], want)
				}
			}
			if res.OK() != (len(tc.short) == 0) || res.Floor != tc.floor {
				t.Errorf("floor %d (ok %v), want %d", res.Floor, res.OK(), tc.floor)
			}
		})
	}
}

// The floor never exceeds what copies views hold durably in every piece,
// and it is the highest such index: checked against a brute force over
// random partitionings.
func TestComputeNeverExceedsWhatViewsHold(t *testing.T) {
	seed := uint64(1)
	next := func(n uint64) uint64 { // xorshift, deterministic
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return seed % n
	}
	for round := 0; round < 500; round++ {
		var members []gossip.Member
		for v := 0; v < 1+int(next(8)); v++ {
			n := 1 + int(next(3))
			i := 1 + int(next(uint64(n)))
			d := next(100)
			members = append(members, both("a", i, n, d+next(5), d)...)
		}
		copies := 1 + int(next(3))
		res := Compute(members, "a", copies)
		// holds reports whether every probe point of every space has
		// copies views holding index durably.
		holds := func(index uint64) bool {
			for _, sp := range space.Spaces() {
				for _, h := range []uint64{0, math.MaxUint64 / 3, math.MaxUint64/3 + 1, math.MaxUint64 / 2, math.MaxUint64/2 + 1,
					2 * (math.MaxUint64 / 3), 2*(math.MaxUint64/3) + 1, math.MaxUint64} {
					n := 0
					for _, m := range members {
						if m.Meta.Space == string(sp) && m.Meta.Range().Contains(h) && m.Meta.DurableIndex >= index {
							n++
						}
					}
					if n < copies {
						return false
					}
				}
			}
			return true
		}
		switch {
		case !res.OK() && holds(0):
			t.Fatalf("round %d: no floor (%q), but every point has %d views", round, res.Short, copies)
		case res.OK() && !holds(res.Floor):
			t.Fatalf("round %d: floor %d is not held by %d views everywhere", round, res.Floor, copies)
		case res.OK() && holds(res.Floor+1):
			t.Fatalf("round %d: floor %d, but %d is held by %d views everywhere", round, res.Floor, res.Floor+1, copies)
		}
	}
}

type fakeLog struct {
	floors map[string]uint64
	err    error
}

func (f *fakeLog) SetFloor(_ context.Context, cluster string, index uint64, remove bool) error {
	if f.err != nil {
		return f.err
	}
	f.floors[cluster] = index
	return nil
}

// The registrar registers the computed floor, and nothing while some
// range is short of views (the last floor stands) or the log refuses.
func TestRegistrarOnce(t *testing.T) {
	members := slices.Concat(both("a", 1, 1, 50, 40), both("a", 1, 1, 50, 45))
	log := &fakeLog{floors: map[string]uint64{}}
	var told []uint64
	r := &Registrar{Cluster: "a", Every: 1, Members: func() []gossip.Member { return members }, Log: log,
		Logger: zerolog.Nop(), Registered: func(i uint64) { told = append(told, i) }}
	if res, ok := r.Once(context.Background()); !ok || res.Floor != 40 || log.floors["a"] != 40 {
		t.Fatalf("registered %v (result %+v), log %v; want 40 (two copies by default)", ok, res, log.floors)
	}
	members = members[:2]
	if _, ok := r.Once(context.Background()); ok || log.floors["a"] != 40 {
		t.Fatalf("with one copy per range: registered %v, log %v; want the floor kept at 40", ok, log.floors)
	}
	members = slices.Concat(both("a", 1, 1, 60, 60), both("a", 1, 1, 60, 55))
	log.err = errors.New("no leader")
	if _, ok := r.Once(context.Background()); ok || log.floors["a"] != 40 {
		t.Fatalf("with the log refusing: registered %v, log %v", ok, log.floors)
	}
	log.err = nil
	if _, ok := r.Once(context.Background()); !ok || log.floors["a"] != 55 {
		t.Fatalf("registered %v, log %v; want 55", ok, log.floors)
	}
	if !slices.Equal(told, []uint64{40, 55}) {
		t.Fatalf("Registered was told %v, want [40 55]", told)
	}
}
