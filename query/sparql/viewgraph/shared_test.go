package viewgraph_test

import (
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql/eval"
	"github.com/akutan-dev/akutan/query/sparql/viewgraph"
)

// TestSharedNamesSkipLookups: a second Graph at the same index finds the
// names the first resolved (its patterns' and its matches') in the shared
// cache, and asks the views only for the facts.
func TestSharedNamesSkipLookups(t *testing.T) {
	a, b, p := iri("a"), iri("b"), iri("p")
	v := load(t, rdf.Mapper{}, rdf.Triple{S: a, P: p, O: b})
	c := &calls{Views: v}
	names := engine.NewNames(100)
	patterns := []eval.Pattern{{S: &a, P: &p}}
	first := matchAll(t, viewgraph.New(c, v.Index(), viewgraph.WithNames(names)), patterns)
	if calls := c.take(); !slices.Equal(calls, []string{"PO ++", "SP +", "SP +"}) {
		t.Errorf("first query's lookups: %q, want the names of a and p, the facts, the name of b", calls)
	}
	g := viewgraph.New(c, v.Index(), viewgraph.WithNames(names))
	second := matchAll(t, g, patterns)
	if calls := c.take(); !slices.Equal(calls, []string{"SP +"}) {
		t.Errorf("second query's lookups: %q, want only the facts", calls)
	}
	if !slices.Equal(first, second) || len(first) != 1 {
		t.Errorf("answers %v then %v, want one fact twice", first, second)
	}
	// An update maps the terms it matched back to their entities through
	// the Graph's own names, which the shared ones fill.
	if _, ok := g.KID(b); !ok {
		t.Error("KID(b) unknown to a Graph that matched b from the shared names")
	}
}

// TestSharedNamesFollowTheIndex: a name resolved at one index is not
// taken as resolved at another, in either direction: a Graph at a new
// index finds what was written since, and one back at the old index again
// does not.
func TestSharedNamesFollowTheIndex(t *testing.T) {
	p, c := iri("p"), iri("c")
	v := load(t, rdf.Mapper{}, rdf.Triple{S: iri("a"), P: p, O: iri("b")})
	before := v.Index()
	names := engine.NewNames(100)
	patterns := []eval.Pattern{{S: &c}}
	if got := matchAll(t, viewgraph.New(v, before, viewgraph.WithNames(names)), patterns); len(got) != 0 {
		t.Fatalf("before c was written: %v", got)
	}
	if err := v.InsertParsed(rdf.Mapper{}.Insert([]rdf.Triple{{S: c, P: p, O: iri("d")}})); err != nil {
		t.Fatal(err)
	}
	if got := matchAll(t, viewgraph.New(v, v.Index(), viewgraph.WithNames(names)), patterns); len(got) != 1 {
		t.Errorf("after c was written: %v, want its fact", got)
	}
	if got := matchAll(t, viewgraph.New(v, before, viewgraph.WithNames(names)), patterns); len(got) != 0 {
		t.Errorf("back at the index before c was written: %v, want nothing", got)
	}
}

// TestSharedNamesConcurrent: Graphs at two indexes share one small cache
// from many goroutines (run with -race); each gets its own index's
// answers, the same as without the cache.
func TestSharedNamesConcurrent(t *testing.T) {
	p := iri("p")
	var triples []rdf.Triple
	for i := range 200 {
		triples = append(triples, rdf.Triple{S: iri("s" + strconv.Itoa(i)), P: p, O: iri("o" + strconv.Itoa(i%20))})
	}
	v := load(t, rdf.Mapper{}, triples[:100]...)
	before := v.Index()
	if err := v.InsertParsed(rdf.Mapper{}.Insert(triples[100:])); err != nil {
		t.Fatal(err)
	}
	after := v.Index()
	patterns := []eval.Pattern{{P: &p}, {S: ref(iri("s150"))}}
	want := map[uint64][]string{}
	for _, index := range []uint64{before, after} {
		want[index] = matchAll(t, viewgraph.New(v, index), patterns)
		slices.Sort(want[index])
	}
	names := engine.NewNames(50) // fewer than the names: it empties itself
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				index := before
				if (w+i)%2 == 1 {
					index = after
				}
				got := matchAll(t, viewgraph.New(v, index, viewgraph.WithNames(names)), patterns)
				slices.Sort(got)
				if !slices.Equal(got, want[index]) {
					t.Errorf("at %d: %d matches, want %d", index, len(got), len(want[index]))
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestSharedMemoFollowsTheIndex: Graphs sharing names share the
// evaluator's decisions (eval.Memo) at their index, and only there.
func TestSharedMemoFollowsTheIndex(t *testing.T) {
	v := load(t, rdf.Mapper{}, rdf.Triple{S: iri("a"), P: iri("p"), O: iri("b")})
	names := engine.NewNames(100)
	viewgraph.New(v, v.Index(), viewgraph.WithNames(names)).Remember("k", true)
	if got, ok := viewgraph.New(v, v.Index(), viewgraph.WithNames(names)).Recall("k"); !ok || !got {
		t.Errorf("at the same index: %v, %v; want true, true", got, ok)
	}
	if _, ok := viewgraph.New(v, v.Index()+1, viewgraph.WithNames(names)).Recall("k"); ok {
		t.Error("a decision at another index recalled")
	}
	if _, ok := viewgraph.New(v, v.Index()).Recall("k"); ok {
		t.Error("a Graph without shared names recalled a decision")
	}
}
