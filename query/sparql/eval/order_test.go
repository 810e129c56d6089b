package eval

import (
	"fmt"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/sparql"
)

// lubmCost estimates LUBM's Q2 patterns as the views' statistics do: per
// lookup, given which of the pattern's variables are bound.
func lubmCost(t sparql.TriplePattern, bound map[string]bool) float64 {
	s, o := t.Subject.Value, t.Object.Value
	sb := t.Subject.Kind != sparql.Var || bound[s]
	ob := t.Object.Kind != sparql.Var || bound[o]
	switch p := t.Predicate.Value; {
	case p == "type" && sb:
		return 1
	case p == "type" && o == "University":
		return 10
	case p == "type" && o == "Department":
		return 150
	case p == "type":
		return 10000 // graduate students
	case sb && ob:
		return 1
	case p == "subOrganizationOf" && ob:
		return 15
	case p == "undergraduateDegreeFrom" && ob:
		return 30
	case sb:
		return 1
	}
	return 50000
}

func pattern(s, p, o string) sparql.TriplePattern {
	term := func(x string) sparql.Term {
		if strings.HasPrefix(x, "?") {
			return sparql.Term{Kind: sparql.Var, Value: x[1:]}
		}
		return sparql.Term{Kind: sparql.IRI, Value: x}
	}
	return sparql.TriplePattern{Subject: term(s), Predicate: term(p), Object: term(o)}
}

func TestCheapestOrderAvoidsCrossProducts(t *testing.T) {
	q2 := []sparql.TriplePattern{
		pattern("?X", "type", "GraduateStudent"),
		pattern("?Y", "type", "University"),
		pattern("?Z", "type", "Department"),
		pattern("?X", "memberOf", "?Z"),
		pattern("?Z", "subOrganizationOf", "?Y"),
		pattern("?X", "undergraduateDegreeFrom", "?Y"),
	}
	text := func(ts []sparql.TriplePattern) string {
		var b strings.Builder
		for _, t := range ts {
			fmt.Fprintf(&b, "%s %s %s; ", t.Subject.Value, t.Predicate.Value, t.Object.Value)
		}
		return b.String()
	}
	got := text(orderTriples(q2, nil, lubmCost))
	want := "Y type University; X undergraduateDegreeFrom Y; X type GraduateStudent; X memberOf Z; "
	if !strings.HasPrefix(got, want) {
		t.Fatalf("order %s\nwant it to start %s", got, want)
	}
	// The greedy order takes the departments of each university (15),
	// then every alumnus of the university for each of them (x30).
	if g := text(greedyOrder(q2, nil, lubmCost)); !strings.HasPrefix(g, "Y type University; Z subOrganizationOf Y; ") {
		t.Fatalf("greedy order %s: the case this test is about has gone", g)
	}
}

func TestCheapestOrderKeepsEveryPatternOnce(t *testing.T) {
	for n := 1; n <= maxOrderedTriples+1; n++ {
		var ts []sparql.TriplePattern
		for i := 0; i < n; i++ {
			ts = append(ts, pattern(fmt.Sprintf("?v%d", i), "p", fmt.Sprintf("?v%d", (i+1)%n)))
		}
		got := orderTriples(ts, map[string]bool{"v3": true}, func(sparql.TriplePattern, map[string]bool) float64 { return 2 })
		seen := map[string]bool{}
		for _, t := range got {
			seen[t.Subject.Value] = true
		}
		if len(got) != n || len(seen) != n {
			t.Fatalf("%d patterns ordered as %d (%d distinct)", n, len(got), len(seen))
		}
	}
}
