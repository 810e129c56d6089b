package viewgraph_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/akutan-dev/akutan/query/engine/enginetest"
	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql/eval"
	"github.com/akutan-dev/akutan/query/sparql/viewgraph"
	"github.com/akutan-dev/akutan/storage"
)

const loadID = "t"

func iri(s string) rdf.Term { return rdf.NewIRI("http://example.org/" + s) }

func lit(lex, datatype string) rdf.Term { return rdf.NewLiteral(lex, datatype, "") }

// The terms random graphs are made of. Literals include forms the store
// does not keep exactly ("01", a decimal, another datatype): the graph
// the store holds is their stored form (see stored).
var (
	nodes = []rdf.Term{iri("a"), iri("b"), iri("c"), iri("d"), rdf.NewBlank("x"), rdf.NewBlank("y")}
	preds = []rdf.Term{iri("p"), iri("q"), iri("r"), iri("a")}
	lits  = []rdf.Term{
		lit("1", rdf.XSDInteger), lit("01", rdf.XSDInteger), lit("-7", rdf.XSDInteger),
		lit("1.50", rdf.XSDDecimal), lit("1.5E0", rdf.XSDDouble), lit("true", rdf.XSDBoolean),
		lit("x", rdf.XSDString), lit("a", rdf.XSDString), rdf.NewLiteral("chat", "", "fr"),
		lit("2024-02-29", rdf.XSDNS+"date"), lit("2024-02-29T10:11:12Z", rdf.XSDNS+"dateTime"),
		lit("odd", "http://example.org/datatype"),
	}
	// absent are terms no random graph holds, for patterns.
	absent = []rdf.Term{
		iri("nowhere"), rdf.NewBlank("nobody"), rdf.NewBlank("b1"), rdf.NewBlank("b99999999999"),
		rdf.NewIRI("HasExternalID"), rdf.NewIRI("_:load-t-x"), lit("2", rdf.XSDInteger),
		lit("http://example.org/a", rdf.XSDString), rdf.NewLiteral("x", "", "en"),
	}
)

// stored is the term as the store gives it back: a blank node becomes the
// entity its load names, a literal what its value converts back to.
func stored(t rdf.Term) rdf.Term {
	switch t.Kind {
	case rdf.Blank:
		return rdf.NewBlank(rdf.BlankName(loadID, t.Value)[len("_:"):])
	case rdf.Literal:
		return storedLiteral(t)
	}
	return t
}

// storedLiteral converts through the graph's own mapping: this test is
// about which triples match, not about how literals map.
func storedLiteral(t rdf.Term) rdf.Term {
	var got rdf.Term
	v := enginetest.New()
	if err := v.InsertParsed(rdf.Mapper{}.Insert([]rdf.Triple{{S: iri("s"), P: iri("p"), O: t}})); err != nil {
		panic(err)
	}
	err := viewgraph.New(v, v.Index()).Match(context.Background(), []eval.Pattern{{}}, func(_ int, tr rdf.Triple) error {
		got = tr.O
		return nil
	})
	if err != nil {
		panic(err)
	}
	return got
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// randomGraph returns up to n distinct triples, as the store holds them.
func randomGraph(r *rand.Rand, n int) (loaded, held []rdf.Triple) {
	seen := map[rdf.Triple]bool{}
	for range n {
		t := rdf.Triple{S: pick(r, nodes), P: pick(r, preds)}
		if r.IntN(2) == 0 {
			t.O = pick(r, nodes)
		} else {
			t.O = pick(r, lits)
		}
		h := rdf.Triple{S: stored(t.S), P: stored(t.P), O: stored(t.O)}
		if seen[h] {
			continue // the store keeps a graph: a set of triples
		}
		seen[h] = true
		loaded, held = append(loaded, t), append(held, h)
	}
	return loaded, held
}

// randomPattern binds each position with probability 1/2, to a term the
// graph holds (mostly) or not.
func randomPattern(r *rand.Rand, held []rdf.Triple) eval.Pattern {
	term := func(from func(rdf.Triple) rdf.Term) *rdf.Term {
		if r.IntN(2) == 0 {
			return nil
		}
		var t rdf.Term
		switch r.IntN(6) {
		case 0:
			t = pick(r, absent)
		case 1:
			t = stored(pick(r, append(append(slices.Clone(nodes), preds...), lits...)))
		default:
			if len(held) == 0 {
				t = pick(r, absent)
			} else {
				t = from(pick(r, held))
			}
		}
		return &t
	}
	return eval.Pattern{
		S: term(func(t rdf.Triple) rdf.Term { return t.S }),
		P: term(func(t rdf.Triple) rdf.Term { return t.P }),
		O: term(func(t rdf.Triple) rdf.Term { return t.O }),
	}
}

// reference matches patterns against the triples by term equality.
func reference(patterns []eval.Pattern, triples []rdf.Triple) []string {
	var out []string
	for i, p := range patterns {
		for _, t := range triples {
			if (p.S == nil || *p.S == t.S) && (p.P == nil || *p.P == t.P) && (p.O == nil || *p.O == t.O) {
				out = append(out, matchString(i, t))
			}
		}
	}
	slices.Sort(out)
	return out
}

func matchString(i int, t rdf.Triple) string { return fmt.Sprintf("%d: %s", i, rdf.FormatTriple(t)) }

func matchAll(t *testing.T, g eval.Graph, patterns []eval.Pattern) []string {
	t.Helper()
	var out []string
	err := g.Match(context.Background(), patterns, func(i int, tr rdf.Triple) error {
		if i < 0 || i >= len(patterns) {
			t.Fatalf("match of pattern %d of %d", i, len(patterns))
		}
		out = append(out, matchString(i, tr))
		return nil
	})
	if err != nil {
		t.Fatalf("Match: %v", err)
	}
	slices.Sort(out)
	return out
}

func patternString(p eval.Pattern) string {
	s := func(t *rdf.Term) string {
		if t == nil {
			return "?"
		}
		return fmt.Sprintf("%+v", *t)
	}
	return s(p.S) + " " + s(p.P) + " " + s(p.O)
}

// TestConformance: for many random small graphs and batches of random
// patterns, Match over the in-memory views returns exactly what a simple
// matcher over the triples returns, and never an internal fact (each
// graph also holds facts that use well-known entities).
func TestConformance(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 3))
	graphs := 300
	if testing.Short() {
		graphs = 100
	}
	matches := 0
	for g := range graphs {
		loaded, held := randomGraph(r, r.IntN(12))
		v := enginetest.New()
		if err := v.InsertParsed(rdf.Mapper{LoadID: loadID}.Insert(loaded)); err != nil {
			t.Fatal(err)
		}
		hideInternalFacts(v)
		graph := viewgraph.New(v, v.Index())
		for range 5 { // one Graph, several Match calls: its cache is used
			patterns := make([]eval.Pattern, 1+r.IntN(6))
			for i := range patterns {
				patterns[i] = randomPattern(r, held)
			}
			got, want := matchAll(t, graph, patterns), reference(patterns, held)
			if !slices.Equal(got, want) {
				var ps []string
				for i, p := range patterns {
					ps = append(ps, fmt.Sprintf("%d: %s", i, patternString(p)))
				}
				t.Fatalf("graph %d:\n%s\npatterns:\n%s\ngot:\n%s\nwant:\n%s", g, join(held), join(ps), join(got), join(want))
			}
			matches += len(got)
		}
	}
	if matches < graphs*5 {
		t.Fatalf("%d matches in all: the random patterns hardly match", matches)
	}
	t.Logf("%d matches", matches)
}

// hideInternalFacts adds facts that use well-known entities, which no
// Match may return.
func hideInternalFacts(v *enginetest.Views) {
	a, p := v.Entity(iri("a").Value), v.Entity(iri("p").Value)
	v.Add(a, p, storage.AEntity(storage.KIDHasExternalID))
	v.Add(a, 2, storage.AString("internal", "")) // KID 2: reserved, unnamed
	v.Add(storage.KIDHasExternalID, p, storage.AString("internal", ""))
}

func join[T any](xs []T) string {
	s := ""
	for _, x := range xs {
		s += fmt.Sprint(x) + "\n"
	}
	return s
}
