package viewgraph_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql/eval"
	"github.com/akutan-dev/akutan/query/sparql/viewgraph"
	"github.com/akutan-dev/akutan/wire"
)

// bigGraph loads n subjects with two facts each: enough that a scan, or
// a lookup of one predicate, hands its matches over in several chunks.
func bigGraph(t *testing.T, n int) (engine.Views, uint64, []rdf.Triple) {
	t.Helper()
	p, q := iri("p"), iri("q")
	var held []rdf.Triple
	for i := range n {
		s := iri(fmt.Sprintf("s%d", i))
		held = append(held,
			rdf.Triple{S: s, P: p, O: iri(fmt.Sprintf("o%d", i%7))},
			rdf.Triple{S: s, P: q, O: lit(fmt.Sprint(i%3), rdf.XSDInteger)})
	}
	v := load(t, rdf.Mapper{}, held...)
	return v, v.Index(), held
}

// running counts the lookups in progress.
type running struct {
	engine.Views
	n atomic.Int64
}

func (r *running) LookupP(ctx context.Context, index uint64, p []uint64, emit viewclient.Emit) error {
	r.n.Add(1)
	defer r.n.Add(-1)
	return r.Views.LookupP(ctx, index, p, emit)
}

func (r *running) LookupPOCmp(ctx context.Context, index uint64, l []*wire.POCmp, emit viewclient.Emit) error {
	r.n.Add(1)
	defer r.n.Add(-1)
	return r.Views.LookupPOCmp(ctx, index, l, emit)
}

func (r *running) Scan(ctx context.Context, index uint64, emit viewclient.Emit) error {
	r.n.Add(1)
	defer r.n.Add(-1)
	return r.Views.Scan(ctx, index, emit)
}

// TestMatchManyChunks: a Match whose lookups find several chunks of
// matches each answers exactly what the reference matcher finds.
func TestMatchManyChunks(t *testing.T) {
	v, index, held := bigGraph(t, 3000)
	p, o1, two := iri("p"), iri("o1"), lit("2", rdf.XSDInteger)
	s5 := iri("s5")
	patterns := []eval.Pattern{{}, {P: &p}, {O: &o1}, {P: &p, O: &o1}, {S: &s5}, {O: &two}, {}}
	got := matchAll(t, viewgraph.New(v, index), patterns)
	want := reference(patterns, held)
	if len(want) < 5*1024 {
		t.Fatalf("only %d matches: the test wants several chunks", len(want))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %d matches, want %d", len(got), len(want))
	}
}

// TestEmitErrorStopsLookups: when emit fails early in a large Match, the
// Match returns its error with no lookup still running, and leaves no
// goroutine behind.
func TestEmitErrorStopsLookups(t *testing.T) {
	v, index, _ := bigGraph(t, 5000)
	r := &running{Views: v}
	g := viewgraph.New(r, index)
	p := iri("p")
	matchAll(t, g, []eval.Pattern{{P: &p, O: &p}}) // warms the name cache
	before := runtime.NumGoroutine()
	stop := errors.New("enough")
	for range 20 {
		n := 0
		err := g.Match(context.Background(), []eval.Pattern{{}, {P: &p}}, func(int, rdf.Triple) error {
			if n++; n == 10 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 10 {
			t.Fatalf("Match with a failing emit: %v after %d triples, want %v after 10", err, n, stop)
		}
		if k := r.n.Load(); k != 0 {
			t.Fatalf("%d lookups still running after Match returned", k)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNestedMatch: emit may call Match again (as a join evaluates), while
// the outer Match's lookups wait to hand over more chunks: nothing
// deadlocks, and both answer in full.
func TestNestedMatch(t *testing.T) {
	v, index, held := bigGraph(t, 3000)
	g := viewgraph.New(v, index)
	q := iri("q")
	outer := []eval.Pattern{{}}
	done := make(chan error, 1)
	var got []string
	var nested int
	go func() {
		done <- g.Match(context.Background(), outer, func(i int, tr rdf.Triple) error {
			got = append(got, matchString(i, tr))
			if len(got)%500 != 1 {
				return nil
			}
			inner := []eval.Pattern{{S: &tr.S, P: &q}, {P: &q}}
			var n int
			err := g.Match(context.Background(), inner, func(int, rdf.Triple) error { n++; return nil })
			if want := len(reference(inner, held)); err == nil && n != want {
				err = fmt.Errorf("nested Match found %d matches, want %d", n, want)
			}
			nested++
			return err
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Match with nested Matches did not finish: deadlock?")
	}
	slices.Sort(got)
	if want := reference(outer, held); !slices.Equal(got, want) || nested < 5 {
		t.Fatalf("got %d matches (%d nested Matches), want %d", len(got), nested, len(want))
	}
}
