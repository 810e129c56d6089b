package results

import (
	"strconv"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/rdf"
)

func iri(s string) rdf.Term       { return rdf.NewIRI(ex + s) }
func iriAbs(s string) rdf.Term    { return rdf.NewIRI(s) }
func bn(s string) rdf.Term        { return rdf.NewBlank(s) }
func str(s string) rdf.Term       { return rdf.NewLiteral(s, rdf.XSDString, "") }
func typed(s, dt string) rdf.Term { return rdf.NewLiteral(s, dt, "") }

func sel(vars string, rows ...Solution) *Results {
	return &Results{Vars: strings.Fields(vars), Solutions: rows}
}

func TestCompare(t *testing.T) {
	cases := []struct {
		name      string
		want, got *Results
		opt       CompareOptions
		equal     bool
	}{
		{"same", sel("a", Solution{"a": iri("x")}), sel("a", Solution{"a": iri("x")}), CompareOptions{}, true},
		{"different iri", sel("a", Solution{"a": iri("x")}), sel("a", Solution{"a": iri("y")}), CompareOptions{}, false},
		{"variables in other order", sel("a b", Solution{"a": iri("x")}), sel("b a", Solution{"a": iri("x")}), CompareOptions{}, true},
		{"different variables", sel("a"), sel("b"), CompareOptions{}, false},
		{"unbound is not bound", sel("a b", Solution{"a": iri("x")}), sel("a b", Solution{"a": iri("x"), "b": str("")}), CompareOptions{}, false},
		{"unbound is empty in CSV", sel("a b", Solution{"a": iri("x")}), sel("a b", Solution{"a": iri("x"), "b": str("")}), CompareOptions{Loose: true}, true},
		{"datatype matters", sel("a", Solution{"a": typed("1", rdf.XSDInteger)}), sel("a", Solution{"a": str("1")}), CompareOptions{}, false},
		{"lexical form matters", sel("a", Solution{"a": typed("01", rdf.XSDInteger)}), sel("a", Solution{"a": typed("1", rdf.XSDInteger)}), CompareOptions{}, false},
		{"CSV ignores datatype and kind", sel("a b", Solution{"a": typed("1", rdf.XSDInteger), "b": iri("x")}), sel("a b", Solution{"a": str("1"), "b": str(ex + "x")}), CompareOptions{Loose: true}, true},
		{"language ignores case", sel("a", Solution{"a": rdf.NewLiteral("x", "", "en-GB")}), sel("a", Solution{"a": rdf.NewLiteral("x", "", "EN-gb")}), CompareOptions{}, true},
		{"language matters", sel("a", Solution{"a": rdf.NewLiteral("x", "", "en")}), sel("a", Solution{"a": rdf.NewLiteral("x", "", "de")}), CompareOptions{}, false},
		{"missing datatype is xsd:string", sel("a", Solution{"a": rdf.Term{Kind: rdf.Literal, Value: "x"}}), sel("a", Solution{"a": str("x")}), CompareOptions{}, true},
		{
			"order ignored without ORDER BY",
			sel("a", Solution{"a": iri("1")}, Solution{"a": iri("2")}),
			sel("a", Solution{"a": iri("2")}, Solution{"a": iri("1")}),
			CompareOptions{}, true,
		},
		{
			"order kept with ORDER BY",
			sel("a", Solution{"a": iri("1")}, Solution{"a": iri("2")}),
			sel("a", Solution{"a": iri("2")}, Solution{"a": iri("1")}),
			CompareOptions{Ordered: true}, false,
		},
		{
			"duplicates counted",
			sel("a", Solution{"a": iri("1")}, Solution{"a": iri("1")}, Solution{"a": iri("2")}),
			sel("a", Solution{"a": iri("1")}, Solution{"a": iri("2")}, Solution{"a": iri("2")}),
			CompareOptions{}, false,
		},
		{
			"blank nodes renamed",
			sel("a b", Solution{"a": bn("x"), "b": bn("y")}, Solution{"a": bn("y"), "b": iri("1")}),
			sel("a b", Solution{"a": bn("q"), "b": iri("1")}, Solution{"a": bn("p"), "b": bn("q")}),
			CompareOptions{}, true,
		},
		{
			"blank nodes renamed, in order",
			sel("a", Solution{"a": bn("x")}, Solution{"a": bn("y")}, Solution{"a": bn("x")}),
			sel("a", Solution{"a": bn("1")}, Solution{"a": bn("2")}, Solution{"a": bn("1")}),
			CompareOptions{Ordered: true}, true,
		},
		{
			"blank nodes must not merge",
			sel("a", Solution{"a": bn("x")}, Solution{"a": bn("y")}),
			sel("a", Solution{"a": bn("z")}, Solution{"a": bn("z")}),
			CompareOptions{}, false,
		},
		{
			"blank nodes must not merge, in order",
			sel("a", Solution{"a": bn("x")}, Solution{"a": bn("y")}),
			sel("a", Solution{"a": bn("z")}, Solution{"a": bn("z")}),
			CompareOptions{Ordered: true}, false,
		},
		{
			"blank node structure differs",
			sel("a b", Solution{"a": bn("x"), "b": bn("y")}, Solution{"a": bn("y"), "b": bn("z")}),
			sel("a b", Solution{"a": bn("x"), "b": bn("y")}, Solution{"a": bn("z"), "b": bn("w")}),
			CompareOptions{}, false,
		},
		{"blank is not an IRI", sel("a", Solution{"a": bn("x")}), sel("a", Solution{"a": iri("x")}), CompareOptions{}, false},
		{"boolean", NewBoolean(true), NewBoolean(true), CompareOptions{}, true},
		{"boolean differs", NewBoolean(true), NewBoolean(false), CompareOptions{}, false},
		{"boolean is not solutions", NewBoolean(true), sel("a"), CompareOptions{}, false},
	}
	for _, c := range cases {
		err := Compare(c.want, c.got, c.opt)
		if (err == nil) != c.equal {
			t.Errorf("%s: Compare = %v, want equal %t", c.name, err, c.equal)
		}
	}
}

// TestCompareNeedsBacktracking pairs rows whose first choice is wrong: a
// ring of blank nodes against a ring written from another start.
func TestCompareNeedsBacktracking(t *testing.T) {
	ring := func(labels ...string) *Results {
		r := sel("a b")
		for i := range labels {
			r.Solutions = append(r.Solutions, Solution{"a": bn(labels[i]), "b": bn(labels[(i+1)%len(labels)])})
		}
		return r
	}
	if err := Compare(ring("a", "b", "c", "d", "e", "f"), ring("4", "5", "6", "1", "2", "3"), CompareOptions{}); err != nil {
		t.Error(err)
	}
	// Two rings of three are not one ring of six, though every row and
	// every blank node's degree look alike.
	twoRings := ring("1", "2", "3")
	twoRings.Solutions = append(twoRings.Solutions, ring("4", "5", "6").Solutions...)
	if Equal(ring("a", "b", "c", "d", "e", "f"), twoRings, CompareOptions{}) {
		t.Error("two rings of three equal one ring of six")
	}
}

func TestCompareLargeIsFast(t *testing.T) {
	// 20000 rows, each with its own blank node and a shared one: the
	// signatures pair most rows at once.
	a, b := sel("s o"), sel("s o")
	for i := 0; i < 20000; i++ {
		n := typed(strings.Repeat("x", i%7)+string(rune('a'+i%26)), rdf.XSDString)
		a.Solutions = append(a.Solutions, Solution{"s": bn("a" + itoa(i)), "o": n}, Solution{"s": bn("a" + itoa(i)), "o": bn("shared")})
		b.Solutions = append(b.Solutions, Solution{"s": bn("b" + itoa(19999-i)), "o": bn("hub")}, Solution{"s": bn("b" + itoa(19999-i)), "o": n})
	}
	if err := Compare(a, b, CompareOptions{}); err != nil {
		t.Fatal(err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestIsomorphic(t *testing.T) {
	p := iri("p")
	tr := func(s, o rdf.Term) rdf.Triple { return rdf.Triple{S: s, P: p, O: o} }
	g1 := []rdf.Triple{tr(bn("a"), bn("b")), tr(bn("b"), str("x")), tr(iri("s"), bn("a"))}
	g2 := []rdf.Triple{tr(iri("s"), bn("1")), tr(bn("2"), str("x")), tr(bn("1"), bn("2")), tr(bn("1"), bn("2"))}
	if err := Isomorphic(g1, g2); err != nil {
		t.Errorf("isomorphic graphs (one with a repeated triple): %v", err)
	}
	g3 := []rdf.Triple{tr(iri("s"), bn("1")), tr(bn("1"), str("x")), tr(bn("1"), bn("2"))}
	if err := Isomorphic(g1, g3); err == nil {
		t.Error("graphs with different blank node structure are isomorphic")
	}
}
