package viewstore

import (
	"math"
	"testing"

	"github.com/akutan-dev/akutan/storage"
)

func fullRange(space byte) Config {
	return Config{Space: space, RangeStart: 0, RangeEnd: math.MaxUint64}
}

func collect(t *testing.T, lookup func(fn func(storage.Fact) error) error) []storage.Fact {
	t.Helper()
	var out []storage.Fact
	if err := lookup(func(f storage.Fact) error { out = append(out, f); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func fact(index, id, s, p uint64, o storage.Object) storage.Fact {
	return storage.Fact{Index: index, ID: id, Subject: s, Predicate: p, Object: o}
}

func TestApplyAndLookupAsOfIndex(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir, fullRange(storage.KeyPrefixSP))
	if err != nil {
		t.Fatal(err)
	}
	changes := []Change{
		{Index: 1, Inserts: []storage.Fact{fact(1, 10, 100, 200, storage.AInt64(5, 0))}},
		{Index: 2},
		{Index: 3, Inserts: []storage.Fact{fact(3, 11, 100, 200, storage.AInt64(7, 0)), fact(3, 12, 100, 201, storage.ABool(true))}},
	}
	if err := st.Apply(changes); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, func(fn func(storage.Fact) error) error { return st.LookupSP(2, 100, 200, fn) }); len(got) != 1 || got[0].ID != 10 {
		t.Fatalf("LookupSP at 2 = %+v, want fact 10 only", got)
	}
	if got := collect(t, func(fn func(storage.Fact) error) error { return st.LookupSP(3, 100, 200, fn) }); len(got) != 2 {
		t.Fatalf("LookupSP at 3 = %+v, want 2 facts", got)
	}
	if got := collect(t, func(fn func(storage.Fact) error) error { return st.LookupS(3, 100, fn) }); len(got) != 3 {
		t.Fatalf("LookupS at 3 = %+v, want 3 facts", got)
	}
	if got := collect(t, func(fn func(storage.Fact) error) error {
		return st.LookupSPO(3, 100, 200, storage.AInt64(7, 0), fn)
	}); len(got) != 1 || got[0].ID != 11 {
		t.Fatalf("LookupSPO = %+v", got)
	}
	if err := st.Apply([]Change{{Index: 5}}); err == nil {
		t.Fatal("applying index 5 after 3 succeeded; want a contiguity error")
	}
	st.Close()

	// The applied index survives a reopen; a different range is refused.
	st, err = Open(dir, fullRange(storage.KeyPrefixSP))
	if err != nil {
		t.Fatal(err)
	}
	if st.Applied() != 3 {
		t.Fatalf("applied after reopen = %d, want 3", st.Applied())
	}
	st.Close()
	if _, err := Open(dir, Config{Space: storage.KeyPrefixSP, RangeStart: 0, RangeEnd: 10}); err == nil {
		t.Fatal("opening with another range succeeded")
	}
}

func TestRangeFiltersFacts(t *testing.T) {
	f := fact(1, 10, 100, 200, storage.AInt64(5, 0))
	h := storage.HashSP(f.Subject, f.Predicate)
	in, err := Open(t.TempDir(), Config{Space: storage.KeyPrefixSP, RangeStart: h, RangeEnd: h})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := Open(t.TempDir(), Config{Space: storage.KeyPrefixSP, RangeStart: h + 1, RangeEnd: math.MaxUint64})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	for _, st := range []*Store{in, out} {
		if err := st.Apply([]Change{{Index: 1, Inserts: []storage.Fact{f}}}); err != nil {
			t.Fatal(err)
		}
	}
	lookup := func(st *Store) int {
		return len(collect(t, func(fn func(storage.Fact) error) error { return st.LookupSP(1, 100, 200, fn) }))
	}
	if lookup(in) != 1 || lookup(out) != 0 {
		t.Fatalf("in-range store has %d, out-of-range has %d; want 1 and 0", lookup(in), lookup(out))
	}
}

func TestLookupPOCmp(t *testing.T) {
	st, err := Open(t.TempDir(), fullRange(storage.KeyPrefixPO))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const size, inch, cm = 300, 400, 401
	var facts []storage.Fact
	for i, v := range []int64{-100, 32, 40, 65} {
		facts = append(facts, fact(1, uint64(10+i), uint64(100+i), size, storage.AInt64(v, inch)))
	}
	facts = append(facts, fact(1, 20, 120, size, storage.AInt64(50, cm)))
	if err := st.Apply([]Change{{Index: 1, Inserts: facts}}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		op   CmpOp
		v    int64
		want int
	}{
		{CmpGt, 36, 2}, {CmpGte, 40, 2}, {CmpLt, 40, 2}, {CmpLte, 40, 3}, {CmpEq, 32, 1}, {CmpNotEqual, 32, 3},
	}
	for _, c := range cases {
		got := collect(t, func(fn func(storage.Fact) error) error {
			return st.LookupPOCmp(1, Cmp{Predicate: size, Op: c.op, Value: storage.AInt64(c.v, inch)}, fn)
		})
		if len(got) != c.want {
			t.Errorf("op %d %d inch: got %d facts, want %d", c.op, c.v, len(got), c.want)
		}
	}
	all := collect(t, func(fn func(storage.Fact) error) error {
		return st.LookupPOCmp(1, Cmp{Predicate: size, Op: CmpAny}, fn)
	})
	if len(all) != 5 {
		t.Errorf("CmpAny: got %d facts, want 5", len(all))
	}
	rng := collect(t, func(fn func(storage.Fact) error) error {
		return st.LookupPOCmp(1, Cmp{Predicate: size, Op: CmpRange, Value: storage.AInt64(32, inch), End: storage.AInt64(65, inch)}, fn)
	})
	if len(rng) != 2 {
		t.Errorf("CmpRange [32,65): got %d facts, want 2", len(rng))
	}
}

// The log format version a store has applied survives a reopen, so a
// restarted server can tell it may not read on under an older format.
func TestLogVersionSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir, fullRange(storage.KeyPrefixSP))
	if err != nil {
		t.Fatal(err)
	}
	if v := st.LogVersion(); v != 1 {
		t.Fatalf("a new store is at log version %d, want 1", v)
	}
	if err := st.Apply([]Change{{Index: 1}, {Index: 2, Version: 2}, {Index: 3}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = Open(dir, fullRange(storage.KeyPrefixSP))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v := st.LogVersionInfo(); v != (LogVersion{Version: 2, Index: 2}) {
		t.Fatalf("after reopening, log version %+v, want 2 since index 2", v)
	}
}

// A store loaded from peers takes their log format version if the log
// switched to it at or before the load's index, and otherwise stays at the
// first version until it applies the switch itself.
func TestLoadTakesTheSourcesLogVersion(t *testing.T) {
	for _, tc := range []struct {
		sources LogVersion
		want    uint32
	}{
		{LogVersion{}, 1},
		{LogVersion{Version: 2, Index: 7}, 2},
		{LogVersion{Version: 2, Index: 10}, 2},
		{LogVersion{Version: 2, Index: 11}, 1},
	} {
		dir := t.TempDir()
		st := openT(t, dir, fullRange(storage.KeyPrefixSP))
		l, err := st.BeginLoad(10)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Finish(tc.sources); err != nil {
			t.Fatal(err)
		}
		st.Close()
		st = openT(t, dir, fullRange(storage.KeyPrefixSP))
		if v := st.LogVersion(); v != tc.want {
			t.Errorf("loaded at 10 from sources at %+v: reopened at version %d, want %d", tc.sources, v, tc.want)
		}
	}
}
