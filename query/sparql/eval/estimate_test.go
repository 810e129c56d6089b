package eval

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
)

// estimating is a MemGraph that estimates a pattern by counting its
// matches (with bound positions left free), and records the pattern of
// each Match call's first lookup.
type estimating struct {
	*MemGraph
	first []string
}

func (g *estimating) Estimate(_ context.Context, p Pattern, bound Bound) float64 {
	n := float64(len(g.matches(p)))
	if bound.S || bound.O {
		n /= 100 // one solution's lookup finds a fraction
	}
	return n
}

func (g *estimating) Match(ctx context.Context, patterns []Pattern, emit func(int, rdf.Triple) error) error {
	if len(patterns) > 0 {
		g.first = append(g.first, patternString(patterns[0]))
	}
	return g.MemGraph.Match(ctx, patterns, emit)
}

func patternString(p Pattern) string {
	var parts []string
	for _, t := range []*rdf.Term{p.S, p.P, p.O} {
		if t == nil {
			parts = append(parts, "?")
			continue
		}
		parts = append(parts, t.Value)
	}
	return strings.Join(parts, " ")
}

// TestEstimatesOrderPatterns: with a graph's estimates, the BGP starts from
// the pattern that matches fewest triples, whatever the written order; the
// known-positions heuristic alone would start from the first written.
func TestEstimatesOrderPatterns(t *testing.T) {
	var data strings.Builder
	for i := range 50 {
		fmt.Fprintf(&data, ":s%d a :Student .\n", i)
	}
	data.WriteString(":s7 :takes :course0 .\n:s8 :takes :course1 .\n")
	g := &estimating{MemGraph: NewMemGraph(mustTurtle(t, data.String()))}
	res := runQuery(t, g, "SELECT ?x WHERE { ?x a :Student . ?x :takes :course0 }")
	if got := rows(res); len(got) != 1 || got[0] != "x=s7" {
		t.Fatalf("answer %v, want s7", got)
	}
	if len(g.first) == 0 || g.first[0] != "? http://ex/takes http://ex/course0" {
		t.Errorf("first lookup %v, want the takes pattern (1 match) before the type pattern (50)", g.first)
	}
	// Without estimates, written order.
	plain := &estimating{MemGraph: g.MemGraph}
	var noEst Graph = struct{ Graph }{plain}
	runQuery(t, noEst, "SELECT ?x WHERE { ?x a :Student . ?x :takes :course0 }")
	if len(plain.first) == 0 || !strings.Contains(plain.first[0], "Student") {
		t.Errorf("without estimates the first lookup was %v, want the written first pattern", plain.first)
	}
}

// TestExplainOverShowsEstimatedOrder: ExplainOver lists a BGP's patterns in
// the order the estimates give, each with its estimate; Explain keeps the
// heuristic (here written) order.
func TestExplainOverShowsEstimatedOrder(t *testing.T) {
	var data strings.Builder
	for i := range 50 {
		fmt.Fprintf(&data, ":s%d a :Student .\n", i)
	}
	data.WriteString(":s7 :takes :course0 .\n")
	g := &estimating{MemGraph: NewMemGraph(mustTurtle(t, data.String()))}
	q, err := sparql.ParseQuery("PREFIX : <http://ex/> SELECT ?x WHERE { ?x a :Student . ?x :takes :course0 }", "")
	if err != nil {
		t.Fatal(err)
	}
	over := ExplainOver(context.Background(), q, g)
	takes, student := strings.Index(over, "takes"), strings.Index(over, "Student")
	if takes < 0 || student < 0 || takes > student || !strings.Contains(over, "<http://ex/course0>  ~1") {
		t.Errorf("ExplainOver:\n%s\nwant the takes pattern (~1) first", over)
	}
	if plain := Explain(q); strings.Index(plain, "Student") > strings.Index(plain, "takes") || strings.Contains(plain, "~") {
		t.Errorf("Explain:\n%s\nwant the written order and no estimates", plain)
	}
}
