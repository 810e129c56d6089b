package fn

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/akutan-dev/akutan/query/rdf"
)

// orderedTerms is in ORDER BY order.
func orderedTerms() []*rdf.Term {
	ts := []rdf.Term{
		rdf.NewBlank("a"),
		rdf.NewBlank("b"),
		rdf.NewIRI("http://example.org/a"),
		rdf.NewIRI("http://example.org/b"),
		double("NaN"),
		double("-INF"),
		integer("-5"),
		decimal("1.0"), // equal values order by datatype IRI
		double("1.0E0"),
		rdf.NewLiteral("1", xsdFloat, ""),
		integer("1"),
		decimal("1.5"),
		integer("2"),
		integer("10"),
		double("INF"),
		rdf.NewLiteral("false", rdf.XSDBoolean, ""),
		rdf.NewLiteral("true", rdf.XSDBoolean, ""),
		rdf.NewLiteral("2010-01-01T00:00:00Z", xsdDateTime, ""),
		rdf.NewLiteral("2010-01-01T08:00:00", xsdDateTime, ""),
		rdf.NewLiteral("2010-01-02T00:00:00+01:00", xsdDateTime, ""),
		plain(""),
		plain("B"),
		plain("a"),
		plain("ab"),
		rdf.NewLiteral("a", "", "en"),
		rdf.NewLiteral("a", "", "fr"),
		rdf.NewLiteral("b", "", "de"),
		rdf.NewLiteral("x", "http://example.org/t", ""),
		rdf.NewLiteral("abc", rdf.XSDInteger, ""),
		rdf.NewLiteral("y", rdf.XSDInteger, ""),
	}
	out := []*rdf.Term{nil}
	for i := range ts {
		out = append(out, &ts[i])
	}
	return out
}

func TestOrderCompareSortsDeterministically(t *testing.T) {
	want := orderedTerms()
	for seed := uint64(0); seed < 20; seed++ {
		got := slices.Clone(want)
		r := rand.New(rand.NewPCG(seed, 1))
		r.Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
		slices.SortFunc(got, OrderCompare)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("seed %d: position %d is %s, want %s", seed, i, showPtr(got[i]), showPtr(want[i]))
			}
		}
	}
}

func TestOrderCompareIsATotalOrder(t *testing.T) {
	ts := orderedTerms()
	zero := rdf.Term{}
	ts = append(ts, &zero)
	for _, a := range ts {
		if OrderCompare(a, a) != 0 {
			t.Errorf("%s is not equal to itself", showPtr(a))
		}
		for _, b := range ts {
			ab, ba := OrderCompare(a, b), OrderCompare(b, a)
			if ab != -ba {
				t.Errorf("compare(%s, %s) = %d but the reverse is %d", showPtr(a), showPtr(b), ab, ba)
			}
			for _, c := range ts {
				if ab < 0 && OrderCompare(b, c) < 0 && OrderCompare(a, c) >= 0 {
					t.Errorf("%s < %s < %s, but not %s < %s", showPtr(a), showPtr(b), showPtr(c), showPtr(a), showPtr(c))
				}
			}
		}
	}
}

func showPtr(t *rdf.Term) string {
	if t == nil {
		return "unbound"
	}
	return show(*t, nil)
}

func TestCanonical(t *testing.T) {
	for _, c := range []struct {
		in   rdf.Term
		want string
	}{
		{integer("01"), `"1"^^xsd:integer`},
		{integer("-0"), `"0"^^xsd:integer`},
		{decimal("3.0"), `"3"^^xsd:decimal`},
		{decimal("+033.3300"), `"33.33"^^xsd:decimal`},
		{double("1E0"), `"1.0E0"^^xsd:double`},
		{double("-10.2E3"), `"-1.02E4"^^xsd:double`},
		{double("0E1"), `"0.0E0"^^xsd:double`},
		{rdf.NewLiteral("3.333E1", xsdFloat, ""), `"3.333E1"^^xsd:float`},
		{rdf.NewLiteral("007", rdf.XSDNS+"byte", ""), `"7"^^xsd:byte`},
		{rdf.NewLiteral("1", rdf.XSDBoolean, ""), T},
		{rdf.NewLiteral("x", rdf.XSDInteger, ""), `"x"^^xsd:integer`},
		{rdf.NewLiteral("a", "", "en"), `"a"@en`},
		{rdf.NewIRI("http://x/"), "<http://x/>"},
	} {
		if got := show(Canonical(c.in), nil); got != c.want {
			t.Errorf("Canonical(%v) = %s, want %s", c.in, got, c.want)
		}
	}
}
