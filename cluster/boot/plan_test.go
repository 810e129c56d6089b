package boot

import (
	"errors"
	"math"
	"testing"

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

// covers checks that the assignments tile want exactly.
func covers(t *testing.T, want space.Range, plan Plan) {
	t.Helper()
	var rs []space.Range
	for _, a := range plan.Assignments {
		rs = append(rs, a.Range)
	}
	pieces := space.Split(rs)
	var total uint64
	for _, a := range plan.Assignments {
		total += a.Range.End - a.Range.Start + 1
	}
	if len(pieces) == 0 || pieces[0].Start != want.Start || pieces[len(pieces)-1].End != want.End ||
		total != want.End-want.Start+1 {
		t.Fatalf("plan %+v does not tile %s exactly", plan.Assignments, want)
	}
}

func TestPlanThreeWayFromTwoWay(t *testing.T) {
	peers := []Peer{
		{Addr: "a", Range: part(t, 1, 2), Applied: 10},
		{Addr: "b", Range: part(t, 2, 2), Applied: 8},
	}
	own := part(t, 2, 3) // straddles the 2-way boundary
	plan, err := MakePlan(own, peers)
	if err != nil {
		t.Fatal(err)
	}
	covers(t, own, plan)
	if len(plan.Assignments) != 2 || plan.Index != 8 {
		t.Fatalf("plan = %+v, want one piece from each peer at index 8", plan)
	}
	if a := plan.Assignments[0]; a.Addr != "a" || a.Range.Start != own.Start || a.Range.End != peers[0].Range.End {
		t.Fatalf("first assignment %+v", a)
	}
}

func TestPlanSharesARangeAmongReplicas(t *testing.T) {
	full := space.Full()
	peers := []Peer{{Addr: "r2", Range: full, Applied: 5}, {Addr: "r1", Range: full, Applied: 7}}
	plan, err := MakePlan(full, peers)
	if err != nil {
		t.Fatal(err)
	}
	covers(t, full, plan)
	if len(plan.Assignments) != 2 || plan.Assignments[0].Addr != "r1" || plan.Index != 5 {
		t.Fatalf("plan = %+v, want half from each replica at index 5", plan)
	}
	again, _ := MakePlan(full, []Peer{peers[1], peers[0]})
	if again.Assignments[0] != plan.Assignments[0] || again.Assignments[1] != plan.Assignments[1] {
		t.Fatal("the plan depends on the order peers are listed in")
	}
}

func TestPlanIgnoresUnrelatedPeersAndNeedsCoverage(t *testing.T) {
	own := part(t, 1, 2)
	peers := []Peer{{Addr: "x", Range: part(t, 2, 2), Applied: 3}, {Addr: "y", Range: part(t, 1, 4), Applied: 3}}
	if _, err := MakePlan(own, peers); !errors.Is(err, ErrUncovered) {
		t.Fatalf("half covered: %v, want ErrUncovered", err)
	}
	if _, err := MakePlan(own, nil); !errors.Is(err, ErrUncovered) {
		t.Fatalf("no peers: %v, want ErrUncovered", err)
	}
	peers = append(peers, Peer{Addr: "z", Range: part(t, 2, 4), Applied: 9})
	plan, err := MakePlan(own, peers)
	if err != nil {
		t.Fatal(err)
	}
	covers(t, own, plan)
	for _, a := range plan.Assignments {
		if a.Addr == "x" {
			t.Fatalf("plan uses a peer outside the range: %+v", plan)
		}
	}
	if plan.Index != 3 {
		t.Fatalf("index %d, want 3", plan.Index)
	}
}

func TestDivide(t *testing.T) {
	for _, c := range []struct {
		r    space.Range
		n    int
		want int
	}{
		{space.Full(), 3, 3}, {space.Range{Start: 5, End: 6}, 3, 2}, {space.Range{Start: 5, End: 5}, 2, 1},
		{space.Range{Start: math.MaxUint64 - 10, End: math.MaxUint64}, 4, 4},
	} {
		got := divide(c.r, c.n)
		if len(got) != c.want || got[0].Start != c.r.Start || got[len(got)-1].End != c.r.End {
			t.Errorf("divide(%s, %d) = %v", c.r, c.n, got)
		}
		for i := 1; i < len(got); i++ {
			if got[i].Start != got[i-1].End+1 || !got[i].Valid() {
				t.Errorf("divide(%s, %d) = %v: not contiguous", c.r, c.n, got)
			}
		}
	}
}

func TestKeyOrder(t *testing.T) {
	ok := [][]string{
		{"c", "d", "e"},
		{"c", "d", "a", "b"},
		{"c", "a"},
		{"a"},
	}
	bad := [][]string{
		{"c", "c"},
		{"c", "d", "a", "c"},
		{"c", "d", "b", "a"},
		{"c", "a", "b", "d"},
		{"c", "d", "d"},
	}
	run := func(keys []string) error {
		var o keyOrder
		for _, k := range keys {
			if err := o.check([]byte(k)); err != nil {
				return err
			}
		}
		return nil
	}
	for _, keys := range ok {
		if err := run(keys); err != nil {
			t.Errorf("%v: %v", keys, err)
		}
	}
	for _, keys := range bad {
		if run(keys) == nil {
			t.Errorf("%v passed", keys)
		}
	}
}
