package eval

import (
	"cmp"
	"context"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
	"github.com/akutan-dev/akutan/query/sparql/results"
)

// recording is an estimating graph that also records each Match call's
// patterns.
type recording struct {
	estimating
	calls [][]string
}

func (g *recording) Match(ctx context.Context, patterns []Pattern, emit func(int, rdf.Triple) error) error {
	var call []string
	for _, p := range patterns {
		call = append(call, patternString(p))
	}
	g.calls = append(g.calls, call)
	return g.MemGraph.Match(ctx, patterns, emit)
}

// TestOpenStepLooksUpOnce: checking the type of each of five departments
// would take five lookups; one lookup of all departments, joined in memory,
// is estimated cheaper and gives the same answer.
func TestOpenStepLooksUpOnce(t *testing.T) {
	var data strings.Builder
	for i := range 50 {
		fmt.Fprintf(&data, ":s%d :memberOf :d%d .\n", i, i%5)
	}
	for i := range 5 {
		fmt.Fprintf(&data, ":d%d a :Dept .\n", i)
	}
	data.WriteString(":d9 a :Dept .\n:s99 :memberOf :x .\n")
	g := &recording{estimating: estimating{MemGraph: NewMemGraph(mustTurtle(t, data.String()))}}
	q := "SELECT ?s ?d WHERE { ?s :memberOf ?d . ?d a :Dept }"
	got := rows(runQueryBatch(t, g, q, 100))
	want := rows(runQueryBatch(t, struct{ Graph }{NewMemGraph(g.Triples())}, q, 100))
	if !slices.Equal(got, want) || len(got) != 50 {
		t.Fatalf("answer %v, want %v (50 rows)", got, want)
	}
	var typeLookups []string
	for _, call := range g.calls {
		for _, p := range call {
			if strings.Contains(p, "Dept") {
				typeLookups = append(typeLookups, p)
			}
		}
	}
	if len(typeLookups) != 1 || typeLookups[0] != "? http://www.w3.org/1999/02/22-rdf-syntax-ns#type http://ex/Dept" {
		t.Errorf("type lookups %v, want one with the department open", typeLookups)
	}
}

// randomEstimates estimates every pattern at random, so that the steps of
// a BGP leave open every choice of their bound variables; below is the
// bound of the estimates (0: 40). Estimates of 0 or 1 (below 2) let the
// checks move to the end of their chains (deferCheck).
type randomEstimates struct {
	*MemGraph
	rnd   *rand.Rand
	below int
}

func (g *randomEstimates) Estimate(context.Context, Pattern, Bound) float64 {
	return float64(g.rnd.Intn(cmp.Or(g.below, 40)))
}

// unnaming is a randomEstimates graph that is also a Namer: it returns
// every IRI a pattern leaves open as a stand-in (the IRI under a kind of
// its own), as a graph that names entities with lookups would.
type unnaming struct{ randomEstimates }

const testStandIn rdf.Kind = 0xfe

func (g *unnaming) MatchUnnamed(ctx context.Context, patterns []Pattern, emit func(int, rdf.Triple) error) error {
	named := make([]Pattern, len(patterns))
	for i, p := range patterns {
		named[i] = p
		for _, t := range []**rdf.Term{&named[i].S, &named[i].P, &named[i].O} {
			if *t != nil && (*t).Kind == testStandIn {
				iri := rdf.NewIRI((*t).Value)
				*t = &iri
			}
		}
	}
	return g.MemGraph.Match(ctx, named, func(i int, t rdf.Triple) error {
		p := patterns[i]
		t.S, t.P, t.O = standInUnless(p.S, t.S), standInUnless(p.P, t.P), standInUnless(p.O, t.O)
		return emit(i, t)
	})
}

func standInUnless(fixed *rdf.Term, t rdf.Term) rdf.Term {
	if fixed != nil {
		return *fixed
	}
	if t.Kind == rdf.IRI {
		return rdf.Term{Kind: testStandIn, Value: t.Value}
	}
	return t
}

func (g *unnaming) StandIns(_ context.Context, terms []rdf.Term) ([]rdf.Term, error) {
	out := slices.Clone(terms)
	for i, t := range out {
		if t.Kind == rdf.IRI {
			out[i] = rdf.Term{Kind: testStandIn, Value: t.Value}
		}
	}
	return out, nil
}

func (g *unnaming) Name(_ context.Context, terms []rdf.Term) ([]rdf.Term, error) {
	out := slices.Clone(terms)
	for i, t := range out {
		if t.Kind == testStandIn {
			out[i] = rdf.NewIRI(t.Value)
		}
	}
	return out, nil
}

// TestOpenStepsAnswerAsSubstitution: random BGPs (with OPTIONAL, FILTER,
// property paths and VALUES) over random graphs give the same solutions
// whichever variables their steps leave open, and wherever their checks
// move, as when every step substitutes all it binds in the planned
// order, and so they do when the graph matches with stand-ins (a Namer),
// which never leave the BGP.
func TestOpenStepsAnswerAsSubstitution(t *testing.T) {
	for _, below := range []int{40, 2} {
		t.Run(fmt.Sprintf("estimates below %d", below), func(t *testing.T) { answerAsSubstitution(t, below) })
	}
}

func answerAsSubstitution(t *testing.T, below int) {
	for seed := range int64(300) {
		rnd := rand.New(rand.NewSource(seed))
		entity := func() string { return fmt.Sprintf(":e%d", rnd.Intn(6)) }
		object := func() string {
			if rnd.Intn(3) == 0 {
				return fmt.Sprint(rnd.Intn(4))
			}
			return entity()
		}
		var data strings.Builder
		for range 40 + rnd.Intn(40) {
			fmt.Fprintf(&data, "%s :p%d %s .\n", entity(), rnd.Intn(3), object())
		}
		vars := []string{"?a", "?b", "?c", "?d"}
		term := func(constant func() string) string {
			if rnd.Intn(4) == 0 {
				return constant()
			}
			return vars[rnd.Intn(len(vars))]
		}
		pattern := func() string {
			p := fmt.Sprintf(":p%d", rnd.Intn(3))
			if rnd.Intn(8) == 0 {
				p = vars[rnd.Intn(len(vars))]
			}
			return fmt.Sprintf("%s %s %s .", term(entity), p, term(object))
		}
		var body []string
		for range 2 + rnd.Intn(3) {
			body = append(body, pattern())
		}
		if rnd.Intn(3) == 0 {
			body = append(body, "OPTIONAL { "+pattern()+" "+pattern()+" }")
		}
		if rnd.Intn(4) == 0 {
			body = append(body, fmt.Sprintf("FILTER(%s > 1)", vars[rnd.Intn(len(vars))]))
		}
		if rnd.Intn(5) == 0 {
			body = append(body, fmt.Sprintf("%s :p%d+ %s .", term(entity), rnd.Intn(3), term(entity)))
		}
		if rnd.Intn(5) == 0 {
			body = append([]string{fmt.Sprintf("VALUES %s { %s %s }", vars[rnd.Intn(len(vars))], entity(), object())}, body...)
		}
		q := "SELECT * WHERE { " + strings.Join(body, " ") + " }"
		triples := mustTurtle(t, data.String())
		want := rows(runQueryBatch(t, struct{ Graph }{NewMemGraph(triples)}, q, 4))
		got := rows(runQueryBatch(t, &randomEstimates{MemGraph: NewMemGraph(triples), rnd: rnd, below: below}, q, 4))
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d: %s\nover:\n%s\ngot  %v\nwant %v", seed, q, data.String(), got, want)
		}
		res := runQueryBatch(t, &unnaming{randomEstimates{MemGraph: NewMemGraph(triples), rnd: rnd, below: below}}, q, 4)
		for _, sol := range res.Solutions {
			for v, term := range sol {
				if !isRDF(term) {
					t.Fatalf("seed %d: %s: a stand-in left the BGP: ?%s = %v", seed, q, v, term)
				}
			}
		}
		if got := rows(res); !slices.Equal(got, want) {
			t.Fatalf("seed %d, unnamed: %s\nover:\n%s\ngot  %v\nwant %v", seed, q, data.String(), got, want)
		}
	}
}

func runQueryBatch(t *testing.T, g Graph, text string, batch int) *results.Results {
	t.Helper()
	q, err := sparql.ParseQuery("PREFIX : <http://ex/>\n"+text, "")
	if err != nil {
		t.Fatalf("parsing %s: %v", text, err)
	}
	var c collector
	if err := Run(context.Background(), q, g, Output{Solutions: &c}, Options{Batch: batch}); err != nil {
		t.Fatalf("running %s: %v", text, err)
	}
	return &c.res
}

// checksAtOne estimates as a Graph over the views does: a lookup with its
// subject known, or a check, finds about one triple; otherwise, what the
// constant parts match.
type checksAtOne struct{ recording }

func (g *checksAtOne) Estimate(_ context.Context, p Pattern, bound Bound) float64 {
	if p.S != nil || bound.S {
		return 1
	}
	n := float64(len(g.matches(p)))
	if bound.O {
		n /= 10
	}
	return max(n, 1)
}

// TestCheckMovesToTheEnd: LUBM's Q2 in small. Each of 200 alumni of ten
// universities (among 3,180 graduate students, too many to look up
// instead) is checked to be a graduate student (180 are) before their
// departments are found, and 40 departments belong to the alumnus's
// university (all graduate students'); the check keeps most of a sample
// of the alumni, so it moves after the departments and looks up only
// those 40 (and its sample of 16).
func TestCheckMovesToTheEnd(t *testing.T) {
	var data strings.Builder
	for u := range 10 {
		fmt.Fprintf(&data, ":u%d a :Univ .\n", u)
	}
	for d := range 20 {
		fmt.Fprintf(&data, ":d%d :in :u%d .\n", d, d%10)
	}
	for s := range 200 {
		fmt.Fprintf(&data, ":s%d :degreeFrom :u%d .\n:s%d :memberOf :d%d .\n", s, s%10, s, (s*7)%20)
		if s%10 != 3 {
			fmt.Fprintf(&data, ":s%d a :Grad .\n", s)
		}
	}
	for s := range 3000 { // graduate students of other universities
		fmt.Fprintf(&data, ":g%d a :Grad .\n", s)
	}
	g := &checksAtOne{recording{estimating: estimating{MemGraph: NewMemGraph(mustTurtle(t, data.String()))}}}
	q := "SELECT ?s ?u ?d WHERE { ?u a :Univ . ?s :degreeFrom ?u . ?s a :Grad . ?s :memberOf ?d . ?d :in ?u }"
	got := rows(runQueryBatch(t, g, q, 1000))
	want := rows(runQueryBatch(t, struct{ Graph }{NewMemGraph(g.Triples())}, q, 1000))
	if !slices.Equal(got, want) || len(got) != 40 {
		t.Fatalf("answer %d rows, want %d (40)", len(got), len(want))
	}
	typeChecks := 0
	for _, call := range g.calls {
		for _, p := range call {
			if strings.HasSuffix(p, "#type http://ex/Grad") {
				typeChecks++
			}
		}
	}
	if typeChecks > 16+40 {
		t.Errorf("%d lookups check a student's type, want at most 56 (a sample of 16, then the 40 in their university's departments)", typeChecks)
	}
}

// memoChecks is a checksAtOne graph that is also a Memo.
type memoChecks struct {
	checksAtOne
	kept map[string]bool
}

func (g *memoChecks) Recall(key string) (bool, bool) { v, ok := g.kept[key]; return v, ok }
func (g *memoChecks) Remember(key string, v bool)    { g.kept[key] = v }

// TestCheckMoveRemembered: over a Memo, the second run of a query moves
// its check as the first did, without a sample.
func TestCheckMoveRemembered(t *testing.T) {
	var data strings.Builder
	for s := range 200 {
		fmt.Fprintf(&data, ":s%d :degreeFrom :u%d .\n:s%d :memberOf :d%d .\n:s%d a :Grad .\n", s, s%10, s, (s*7)%20, s)
	}
	for d := range 20 {
		fmt.Fprintf(&data, ":d%d :in :u%d .\n", d, d%10)
	}
	for u := range 10 {
		fmt.Fprintf(&data, ":u%d a :Univ .\n", u)
	}
	for s := range 3000 {
		fmt.Fprintf(&data, ":g%d a :Grad .\n", s)
	}
	g := &memoChecks{checksAtOne: checksAtOne{recording{estimating: estimating{MemGraph: NewMemGraph(mustTurtle(t, data.String()))}}}, kept: map[string]bool{}}
	q := "SELECT ?s WHERE { ?u a :Univ . ?s :degreeFrom ?u . ?s a :Grad . ?s :memberOf ?d . ?d :in ?u }"
	typeChecks := func() int {
		n := 0
		for _, call := range g.calls {
			for _, p := range call {
				if strings.HasSuffix(p, "#type http://ex/Grad") {
					n++
				}
			}
		}
		g.calls = nil
		return n
	}
	first := rows(runQueryBatch(t, g, q, 1000))
	if n := typeChecks(); n != 16+40 {
		t.Errorf("first run: %d type lookups, want 56 (a sample, then the 40 left)", n)
	}
	if second := rows(runQueryBatch(t, g, q, 1000)); !slices.Equal(first, second) || len(first) != 40 {
		t.Fatalf("second run %d rows, first %d, want 40 both", len(second), len(first))
	}
	if n := typeChecks(); n != 40 {
		t.Errorf("second run: %d type lookups, want 40 (no sample)", n)
	}
}
