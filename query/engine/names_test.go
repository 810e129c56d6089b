package engine_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/engine/enginetest"
	"github.com/akutan-dev/akutan/storage"
)

// nameLookups counts the lookups of `<HasExternalID>` facts asked of the
// views: resolving names to KIDs (PO) and KIDs to names (SP).
type nameLookups struct {
	*enginetest.Views
	po, sp atomic.Int64
}

func (v *nameLookups) LookupPO(ctx context.Context, index uint64, lookups []viewclient.PO, emit viewclient.Emit) error {
	for _, l := range lookups {
		if l.Predicate == storage.KIDHasExternalID {
			v.po.Add(1)
		}
	}
	return v.Views.LookupPO(ctx, index, lookups, emit)
}

func (v *nameLookups) LookupSP(ctx context.Context, index uint64, lookups []viewclient.SP, emit viewclient.Emit) error {
	for _, l := range lookups {
		if l.Predicate == storage.KIDHasExternalID {
			v.sp.Add(1)
		}
	}
	return v.Views.LookupSP(ctx, index, lookups, emit)
}

// take returns the name lookups counted since the last take.
func (v *nameLookups) take() (po, sp int64) { return v.po.Swap(0), v.sp.Swap(0) }

// rowsAt is the sorted rows of text's answer at index.
func rowsAt(t *testing.T, v engine.Views, index uint64, text string, opts ...engine.Option) []string {
	t.Helper()
	_, rows, err := answer(t, v, index, text, opts...)
	if err != nil {
		t.Fatalf("%s at %d: %v", text, index, err)
	}
	slices.Sort(rows)
	return rows
}

// TestSharedNamesSkipLookups: a second query at the same index finds the
// names of its constants and of its answers in the shared cache, and asks
// the views only for the facts; its answer is the one without the cache.
func TestSharedNamesSkipLookups(t *testing.T) {
	v := &nameLookups{Views: newExample(t)}
	const q = `SELECT ?c WHERE { ?f <Fairfield> <locatedIn> ?c }`
	want := rowsAt(t, v.Views, v.Index(), q)
	v.take()
	shared := engine.WithNames(engine.NewNames(100))
	if got := rowsAt(t, v, v.Index(), q, shared); !slices.Equal(got, want) {
		t.Errorf("first query: %v, want %v", got, want)
	}
	if po, sp := v.take(); po == 0 || sp == 0 {
		t.Errorf("first query asked for %d names and %d KIDs' names, want both resolved", po, sp)
	}
	if got := rowsAt(t, v, v.Index(), q, shared); !slices.Equal(got, want) {
		t.Errorf("second query: %v, want %v", got, want)
	}
	if po, sp := v.take(); po != 0 || sp != 0 {
		t.Errorf("second query asked for %d names and %d KIDs' names, want none", po, sp)
	}
}

// TestSharedNamesFollowTheIndex: a name resolved at one index (or found
// missing there) is not taken as resolved at another, in either
// direction, and the cache shared by the two languages' engines keeps
// them both right.
func TestSharedNamesFollowTheIndex(t *testing.T) {
	v := newExample(t)
	before := v.Index()
	shared := engine.WithNames(engine.NewNames(100))
	const q = `SELECT ?c WHERE { ?f <Springfield> <locatedIn> ?c }`
	if got := rowsAt(t, v, before, q, shared); len(got) != 0 {
		t.Fatalf("before Springfield was written: %v", got)
	}
	if err := v.Insert("<Springfield> <locatedIn> <Illinois>"); err != nil {
		t.Fatal(err)
	}
	if got := rowsAt(t, v, v.Index(), q, shared); len(got) != 1 {
		t.Errorf("after Springfield was written: %v, want one row", got)
	}
	if got := rowsAt(t, v, before, q, shared); len(got) != 0 {
		t.Errorf("back at the index before Springfield was written: %v, want none", got)
	}
}

// TestSharedNamesConcurrent: engines at two indexes share one small cache
// from many goroutines (run with -race); each gets its own index's
// answers, the same as without the cache.
func TestSharedNamesConcurrent(t *testing.T) {
	v := enginetest.New()
	insert := func(from, to int) {
		t.Helper()
		text := ""
		for i := from; i < to; i++ {
			text += "<s" + strconv.Itoa(i) + "> <p> <o" + strconv.Itoa(i%20) + ">\n"
		}
		if err := v.Insert(text); err != nil {
			t.Fatal(err)
		}
	}
	insert(0, 100)
	before := v.Index()
	insert(100, 200)
	after := v.Index()
	const q = `SELECT ?s ?o WHERE { ?f ?s <p> ?o }`
	want := map[uint64][]string{}
	for _, index := range []uint64{before, after} {
		want[index] = rowsAt(t, v, index, q)
	}
	shared := engine.WithNames(engine.NewNames(50)) // fewer than the names: it empties itself
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				index := before
				if (w+i)%2 == 1 {
					index = after
				}
				if got := rowsAt(t, v, index, q, shared); !slices.Equal(got, want[index]) {
					t.Errorf("at %d: %d rows, want %d", index, len(got), len(want[index]))
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestSharedNamesUnnamed: an entity without a name is remembered as
// such, and still prints as one, from the cache as from the views.
func TestSharedNamesUnnamed(t *testing.T) {
	v := newExample(t)
	v.Add(v.Entity("<Fairfield>"), v.Entity("<twin>"), storage.AEntity(storage.KIDOf(v.Index()+1, 1)))
	const q = `SELECT ?t WHERE { ?f <Fairfield> <twin> ?t }`
	want := rowsAt(t, v, v.Index(), q)
	shared := engine.WithNames(engine.NewNames(100))
	for range 2 {
		if got := rowsAt(t, v, v.Index(), q, shared); !slices.Equal(got, want) {
			t.Errorf("with shared names: %v, want %v", got, want)
		}
	}
}
