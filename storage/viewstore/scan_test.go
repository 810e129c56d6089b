package viewstore

import (
	"errors"
	"slices"
	"testing"

	"github.com/akutan-dev/akutan/storage"
)

// scanChanges: predicate 200 with objects of several kinds (so its PO keys
// are not contiguous by object), predicate 201 once, and a deletion at
// index 3.
func scanChanges() []Change {
	a := fact(1, 10, 100, 200, storage.AInt64(5, 0))
	b := fact(1, 11, 101, 200, storage.AString("x", "en"))
	c := fact(2, 12, 102, 200, storage.AEntity(7))
	d := fact(2, 13, 100, 201, storage.ABool(true))
	gone := b
	gone.Index = 3 // a tombstone carries the index of its deletion
	return []Change{
		{Index: 1, Inserts: []storage.Fact{a, b}},
		{Index: 2, Inserts: []storage.Fact{c, d}},
		{Index: 3, Deletes: []storage.Fact{gone}},
	}
}

func ids(facts []storage.Fact) []uint64 {
	out := make([]uint64, len(facts))
	for i, f := range facts {
		out[i] = f.ID
	}
	slices.Sort(out)
	return out
}

func openApplied(t *testing.T, space byte) *Store {
	t.Helper()
	st, err := Open(t.TempDir(), fullRange(space))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Apply(scanChanges()); err != nil {
		t.Fatal(err)
	}
	return st
}

// LookupP finds every fact of a predicate whatever its object, as of the
// index asked, through the Store and through a Reader alike.
func TestLookupP(t *testing.T) {
	st := openApplied(t, storage.KeyPrefixPO)
	r := st.NewReader()
	defer r.Release()
	for _, tc := range []struct {
		index, predicate uint64
		want             []uint64
	}{
		{1, 200, []uint64{10, 11}},
		{2, 200, []uint64{10, 11, 12}},
		{3, 200, []uint64{10, 12}},
		{3, 201, []uint64{13}},
		{3, 202, nil},
	} {
		got := collect(t, func(fn func(storage.Fact) error) error { return st.LookupP(tc.index, tc.predicate, fn) })
		if !slices.Equal(ids(got), tc.want) {
			t.Errorf("Store.LookupP(%d, %d) = %v, want %v", tc.index, tc.predicate, ids(got), tc.want)
		}
		got = collect(t, func(fn func(storage.Fact) error) error { return r.LookupP(tc.index, tc.predicate, fn) })
		if !slices.Equal(ids(got), tc.want) {
			t.Errorf("Reader.LookupP(%d, %d) = %v, want %v", tc.index, tc.predicate, ids(got), tc.want)
		}
	}
}

// Scan finds every fact of the store as of the index asked, in either
// space, and only facts: the meta keys that sort before the fact keys are
// never decoded as facts.
func TestScan(t *testing.T) {
	for _, space := range []byte{storage.KeyPrefixSP, storage.KeyPrefixPO} {
		st := openApplied(t, space)
		r := st.NewReader()
		for _, tc := range []struct {
			index uint64
			want  []uint64
		}{
			{0, nil},
			{1, []uint64{10, 11}},
			{2, []uint64{10, 11, 12, 13}},
			{3, []uint64{10, 12, 13}},
		} {
			got := collect(t, func(fn func(storage.Fact) error) error { return st.Scan(tc.index, fn) })
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("space %c: Store.Scan(%d) = %v, want %v", space, tc.index, ids(got), tc.want)
			}
			got = collect(t, func(fn func(storage.Fact) error) error { return r.Scan(tc.index, fn) })
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("space %c: Reader.Scan(%d) = %v, want %v", space, tc.index, ids(got), tc.want)
			}
		}
		r.Release()
	}
}

// A scan stops at the first error its callback returns, and returns it.
func TestScanStopsOnError(t *testing.T) {
	st := openApplied(t, storage.KeyPrefixSP)
	stop := errors.New("stop")
	n := 0
	err := st.Scan(3, func(storage.Fact) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("Scan with a failing callback: %v after %d facts, want stop after 1", err, n)
	}
}

// A scan that covers an undecided transaction's keys waits for it, as
// every lookup does.
func TestScanSeesPending(t *testing.T) {
	st := openApplied(t, storage.KeyPrefixSP)
	f := fact(4, 14, 103, 200, storage.AInt64(1, 0))
	if err := st.Apply([]Change{{Index: 4, Inserts: []storage.Fact{f}, Pending: true}}); err != nil {
		t.Fatal(err)
	}
	var pe *PendingError
	if err := st.Scan(4, func(storage.Fact) error { return nil }); !errors.As(err, &pe) || pe.Tx != 4 {
		t.Fatalf("Scan over a pending transaction = %v, want PendingError for 4", err)
	}
	if got := collect(t, func(fn func(storage.Fact) error) error { return st.Scan(3, fn) }); len(got) != 3 {
		t.Fatalf("Scan as of 3, before the transaction: %d facts, want 3", len(got))
	}
}
