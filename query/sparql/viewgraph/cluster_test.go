package viewgraph_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql/eval"
	"github.com/akutan-dev/akutan/query/sparql/fn"
	"github.com/akutan-dev/akutan/query/sparql/viewgraph"
	"github.com/akutan-dev/akutan/roles/viewserver/viewtest"
	"github.com/akutan-dev/akutan/storage"
)

// TestOverViews: over real views, two partitions of each space, through
// the view client, random patterns match what the reference matcher
// finds: the scans and every other lookup reach every partition.
func TestOverViews(t *testing.T) {
	c := viewtest.Start(t,
		viewtest.Partition(t, space.HashSP, 1, 2), viewtest.Partition(t, space.HashSP, 2, 2),
		viewtest.Partition(t, space.HashPO, 1, 2), viewtest.Partition(t, space.HashPO, 2, 2))
	// Entities: named by IRI, by a load's blank node name, and unnamed.
	kid := func(i int) uint64 { return storage.KIDOf(uint64(1000+i), 1) }
	names := []string{iri("a").Value, iri("b").Value, iri("c").Value, iri("p").Value, iri("q").Value, "_:load-t-x"}
	terms := map[uint64]rdf.Term{}
	var triples []viewtest.Triple
	for i, n := range names {
		triples = append(triples, viewtest.Triple{Subject: kid(i), Predicate: storage.KIDHasExternalID, Object: storage.AString(n, "")})
		terms[kid(i)] = rdf.NewIRI(n)
	}
	terms[kid(5)] = rdf.NewBlank("load-t-x") // named as a load names blank nodes
	unnamed := kid(len(names))
	terms[unnamed] = rdf.NewBlank("b" + strconv.FormatUint(unnamed, 10))
	nodes := []uint64{kid(0), kid(1), kid(2), kid(5), unnamed}
	preds := []uint64{kid(3), kid(4), kid(0)}
	objects := []storage.Object{storage.AString("x", ""), storage.AString("x", "en"), storage.AInt64(42, 0)}
	literals := []rdf.Term{lit("x", rdf.XSDString), rdf.NewLiteral("x", "", "en"), lit("42", rdf.XSDInteger)}

	r := rand.New(rand.NewPCG(7, 7))
	var held []rdf.Triple
	seen := map[rdf.Triple]bool{}
	for range 40 {
		tr := viewtest.Triple{Subject: pick(r, nodes), Predicate: pick(r, preds)}
		h := rdf.Triple{S: terms[tr.Subject], P: terms[tr.Predicate]}
		if k := r.IntN(len(objects) + 2); k < len(objects) {
			tr.Object, h.O = objects[k], literals[k]
		} else {
			o := pick(r, nodes)
			tr.Object, h.O = storage.AEntity(o), terms[o]
		}
		if !seen[h] {
			seen[h] = true
			triples, held = append(triples, tr), append(held, h)
		}
	}
	facts := c.Insert(t, triples)
	// The view client streams every reply of more than 7 matches: the
	// scans stream while Match names their entities with more lookups.
	vc, err := viewclient.New(c.Members, viewclient.WithStreamAfter(7))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vc.Close)
	g := viewgraph.New(vc, facts[0].Index)

	all := matchAll(t, g, []eval.Pattern{{}})
	if want := reference([]eval.Pattern{{}}, held); !slices.Equal(all, want) {
		t.Fatalf("the whole graph: got\n%swant\n%s", join(all), join(want))
	}
	for range 30 {
		patterns := make([]eval.Pattern, 1+r.IntN(8))
		for i := range patterns {
			patterns[i] = randomPattern(r, held)
		}
		if got, want := matchAll(t, g, patterns), reference(patterns, held); !slices.Equal(got, want) {
			t.Fatalf("got\n%swant\n%s", join(got), join(want))
		}
	}
}

// TestRangeScansOverViews: over real views, a pattern with a numeric
// ObjectFilter is served by range scans the view servers accept, which
// find every fact whose object passes the comparisons (and leave out
// objects that cannot be numbers).
func TestRangeScansOverViews(t *testing.T) {
	c := viewtest.Start(t,
		viewtest.Partition(t, space.HashSP, 1, 1),
		viewtest.Partition(t, space.HashPO, 1, 2), viewtest.Partition(t, space.HashPO, 2, 2))
	kid := func(i int) uint64 { return storage.KIDOf(uint64(1000+i), 1) }
	s, p := kid(0), kid(1)
	triples := []viewtest.Triple{
		{Subject: s, Predicate: storage.KIDHasExternalID, Object: storage.AString(iri("s").Value, "")},
		{Subject: p, Predicate: storage.KIDHasExternalID, Object: storage.AString(iri("p").Value, "")},
	}
	// viewtest writes entities, strings and integers only: the mix of
	// kinds is TestRangePushdown's (over in-memory views).
	objects := []storage.Object{
		storage.AInt64(-3, 0), storage.AInt64(5, 0), storage.AInt64(6, 0), storage.AInt64(42, 0),
		storage.AInt64(math.MaxInt64, 0), storage.AInt64(math.MinInt64, 0),
		storage.AString("x", ""), storage.AString("7", ""), storage.AString("7", "en"), storage.AEntity(s),
	}
	for _, o := range objects {
		triples = append(triples, viewtest.Triple{Subject: s, Predicate: p, Object: o})
	}
	facts := c.Insert(t, triples)
	vc, err := viewclient.New(c.Members)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vc.Close)
	pt := iri("p")
	for _, cmps := range [][]eval.Comparison{
		{{Op: ">", Value: lit("5", rdf.XSDInteger)}, {Op: "<=", Value: lit("7.5", rdf.XSDDecimal)}},
		{{Op: ">=", Value: lit("-1e300", rdf.XSDDouble)}},
		{{Op: "<", Value: lit("0", rdf.XSDInteger)}},
		{{Op: "=", Value: lit("42", rdf.XSDInteger)}},
		{{Op: ">", Value: lit("1e18", rdf.XSDDouble)}},
		{{Op: ">", Value: lit("9223372036854775806", rdf.XSDInteger)}},
	} {
		g := viewgraph.New(vc, facts[0].Index)
		all := matchAll(t, g, []eval.Pattern{{P: &pt}})
		got := matchAll(t, g, []eval.Pattern{{P: &pt, ObjectFilter: cmps}})
		if len(got) >= len(all) {
			t.Errorf("%v: %d matches of %d: the lookup was not narrowed", cmps, len(got), len(all))
		}
		// Every match of the whole predicate that passes the comparisons
		// is found, and nothing else of the predicate is.
		var want []string
		err := g.Match(context.Background(), []eval.Pattern{{P: &pt}}, func(i int, tr rdf.Triple) error {
			for _, c := range cmps {
				ok := false
				switch n, err := fn.Compare(tr.O, c.Value); c.Op {
				case "<":
					ok = err == nil && n < 0
				case "<=":
					ok = err == nil && n <= 0
				case ">":
					ok = err == nil && n > 0
				case ">=":
					ok = err == nil && n >= 0
				case "=":
					ok = err == nil && n == 0
				}
				if !ok {
					return nil
				}
			}
			want = append(want, matchString(i, tr))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%v: %s is not found", cmps, w)
			}
		}
		for _, m := range got {
			if !slices.Contains(all, m) {
				t.Errorf("%v: %s is not a match", cmps, m)
			}
		}
		if len(want) == 0 {
			t.Errorf("%v: nothing passes: the test hardly tests", cmps)
		}
	}
}
