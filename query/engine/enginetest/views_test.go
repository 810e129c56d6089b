package enginetest_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/engine/enginetest"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
)

// count runs a lookup and counts its matches per lookup number.
func count(t *testing.T, lookup func(emit func(int, storage.Fact)) error) (map[int]int, error) {
	t.Helper()
	got := map[int]int{}
	err := lookup(func(i int, _ storage.Fact) { got[i]++ })
	return got, err
}

// TestScans: LookupP and Scan answer as of an index, names included, and
// fail like the views when a range of their space is down.
func TestScans(t *testing.T) {
	v := enginetest.New()
	if err := v.Insert("<a> <p> <b>\n<b> <p> <c>\n"); err != nil {
		t.Fatal(err)
	}
	first := v.Index()
	if err := v.Insert("<a> <q> 1\n"); err != nil {
		t.Fatal(err)
	}
	p, q := v.Entity("p"), v.Entity("q")
	ctx := context.Background()
	for _, tc := range []struct {
		index      uint64
		p, q, scan int
	}{{first, 2, 0, 2 + 4}, {v.Index(), 2, 1, 3 + 5}} { // facts + names (a b c p, q)
		got, err := count(t, func(emit func(int, storage.Fact)) error { return v.LookupP(ctx, tc.index, []uint64{p, q}, emit) })
		if err != nil || got[0] != tc.p || got[1] != tc.q {
			t.Errorf("LookupP at %d: %v (%v), want %d and %d", tc.index, got, err, tc.p, tc.q)
		}
		got, err = count(t, func(emit func(int, storage.Fact)) error { return v.Scan(ctx, tc.index, emit) })
		if err != nil || got[0] != tc.scan || len(got) != 1 {
			t.Errorf("Scan at %d: %v (%v), want %d for lookup 0", tc.index, got, err, tc.scan)
		}
	}
	v.Fail(space.HashSP, space.Full())
	if _, err := count(t, func(emit func(int, storage.Fact)) error { return v.Scan(ctx, v.Index(), emit) }); !errors.Is(err, fanout.ErrUncovered) {
		t.Errorf("Scan with HashSP down: %v, want ErrUncovered", err)
	}
}

// TestInsertParsedBlankNodes: a blank node label names one new entity,
// without a name, throughout one insert, and a new one in the next.
func TestInsertParsedBlankNodes(t *testing.T) {
	v := enginetest.New()
	p := &parser.Entity{Name: "p"}
	ins := &parser.Insert{Facts: []*parser.Quad{
		{Subject: &parser.BlankNode{Name: "x"}, Predicate: p, Object: &parser.BlankNode{Name: "x"}},
	}}
	if err := v.InsertParsed(ins); err != nil {
		t.Fatal(err)
	}
	if err := v.InsertParsed(ins); err != nil {
		t.Fatal(err)
	}
	var subjects []uint64
	err := v.LookupP(context.Background(), v.Index(), []uint64{v.Entity("p")}, func(_ int, f storage.Fact) {
		if f.Object.Kind != storage.KindEntity || f.Object.Entity != f.Subject {
			t.Errorf("fact %+v: the label named two entities in one insert", f)
		}
		subjects = append(subjects, f.Subject)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(subjects) != 2 || subjects[0] == subjects[1] {
		t.Fatalf("subjects %v: want two distinct entities, one per insert", subjects)
	}
	names := 0
	err = v.LookupS(context.Background(), v.Index(), subjects, func(_ int, f storage.Fact) {
		if f.Predicate == storage.KIDHasExternalID {
			names++
		}
	})
	if err != nil || names != 0 {
		t.Fatalf("blank nodes got %d names (%v), want none", names, err)
	}
}

// TestTombstone: a deleted fact is gone as of its tombstone's index and
// later, and still there before it.
func TestTombstone(t *testing.T) {
	v := enginetest.New()
	a, p := v.Entity("a"), v.Entity("p")
	keep, drop := v.Add(a, p, storage.AInt64(1, 0)), v.Add(a, p, storage.AInt64(2, 0))
	before := v.Index()
	at := before + 1
	v.Tombstone(storage.Fact{Index: at, ID: drop}, storage.Fact{Index: at + 1, ID: drop}, storage.Fact{Index: at, ID: 12345})
	if v.Index() != at+1 {
		t.Fatalf("index %d after the tombstones, want %d", v.Index(), at+1)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		index uint64
		want  []uint64
	}{{before, []uint64{keep, drop}}, {at, []uint64{keep}}, {at + 1, []uint64{keep}}} {
		var got []uint64
		err := v.LookupSP(ctx, tc.index, []viewclient.SP{{Subject: a, Predicate: p}}, func(_ int, f storage.Fact) { got = append(got, f.ID) })
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("as of %d: facts %v, want %v", tc.index, got, tc.want)
		}
	}
}
