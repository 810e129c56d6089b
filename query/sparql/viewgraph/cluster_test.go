package viewgraph_test

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql/eval"
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
	vc, err := viewclient.New(c.Members)
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
