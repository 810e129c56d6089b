package eval

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
	"github.com/akutan-dev/akutan/query/sparql/results"
)

// collector is a results.Writer that keeps the answer.
type collector struct{ res results.Results }

func (c *collector) Begin(vars []string) error { c.res.Vars = vars; return nil }
func (c *collector) Write(s results.Solution) error {
	c.res.Solutions = append(c.res.Solutions, s)
	return nil
}
func (c *collector) End() error { return nil }
func (c *collector) WriteBoolean(b bool) error {
	c.res.IsBoolean, c.res.Boolean = true, b
	return nil
}

func mustTurtle(t testing.TB, text string) []rdf.Triple {
	t.Helper()
	triples, err := rdf.ReadAll(rdf.NewTurtleReader(strings.NewReader("@prefix : <http://ex/> .\n"+text), "http://ex/"))
	if err != nil {
		t.Fatalf("reading test data: %v", err)
	}
	return triples
}

func runQuery(t testing.TB, g Graph, text string) *results.Results {
	t.Helper()
	q, err := sparql.ParseQuery("PREFIX : <http://ex/>\n"+text, "")
	if err != nil {
		t.Fatalf("parsing %s: %v", text, err)
	}
	var c collector
	if err := Run(context.Background(), q, g, Output{Solutions: &c}, Options{Batch: 2}); err != nil {
		t.Fatalf("running %s: %v", text, err)
	}
	return &c.res
}

// rows renders solutions as sorted "var=value" lines, for table tests
// that do not depend on fn.
func rows(r *results.Results) []string {
	var out []string
	for _, s := range r.Solutions {
		var parts []string
		for _, v := range r.Vars {
			if t, ok := s[v]; ok {
				val := t.Value
				if t.Kind == rdf.IRI {
					val = strings.TrimPrefix(val, "http://ex/")
				}
				parts = append(parts, v+"="+val)
			}
		}
		out = append(out, strings.Join(parts, " "))
	}
	sort.Strings(out)
	return out
}

const testData = `
:a :p :b . :b :p :c . :c :p :a . :c :q :d .
:a :name "A" . :b :name "B" .
`

func TestOperators(t *testing.T) {
	g := NewMemGraph(mustTurtle(t, testData))
	tests := []struct {
		name, query string
		want        []string
	}{
		{"bgp join", `SELECT ?x ?z WHERE { ?x :p ?y . ?y :p ?z }`, []string{"x=a z=c", "x=b z=a", "x=c z=b"}},
		{"repeated variable", `SELECT ?x WHERE { ?x :p ?x }`, nil},
		{"optional", `SELECT ?x ?n WHERE { ?x :p ?y OPTIONAL { ?x :name ?n } }`, []string{"x=a n=A", "x=b n=B", "x=c"}},
		{"union", `SELECT ?x WHERE { { ?x :q ?y } UNION { ?x :name "A" } }`, []string{"x=a", "x=c"}},
		{"minus", `SELECT ?x WHERE { ?x :p ?y MINUS { ?x :name ?n } }`, []string{"x=c"}},
		{"minus disjoint", `SELECT ?x WHERE { ?x :p ?y MINUS { ?z :name ?n } }`, []string{"x=a", "x=b", "x=c"}},
		{"values", `SELECT ?x ?y WHERE { ?x :p ?y VALUES ?x { :a :c } }`, []string{"x=a y=b", "x=c y=a"}},
		{"inline values", `SELECT ?x ?y WHERE { VALUES ?x { :b } ?x :p ?y }`, []string{"x=b y=c"}},
		{"distinct", `SELECT DISTINCT ?p WHERE { ?s ?p ?o }`, []string{"p=name", "p=p", "p=q"}},
		{"limit", `SELECT ?s WHERE { ?s :p ?o } LIMIT 2`, nil},
		{"blank node as variable", `SELECT ?x WHERE { ?x :p [ :q :d ] }`, []string{"x=b"}},
		{"path plus", `SELECT ?y WHERE { :a :p+ ?y }`, []string{"y=a", "y=b", "y=c"}},
		{"path star from end", `SELECT ?x WHERE { ?x :p* :a }`, []string{"x=a", "x=b", "x=c"}},
		{"path sequence", `SELECT ?y WHERE { :a :p/:p/:q ?y }`, []string{"y=d"}},
		{"path inverse", `SELECT ?y WHERE { :a ^:p ?y }`, []string{"y=c"}},
		{"path optional", `SELECT ?y WHERE { :c :q? ?y }`, []string{"y=c", "y=d"}},
		{"path alternative", `SELECT ?y WHERE { :c (:p|:q) ?y }`, []string{"y=a", "y=d"}},
		{"negated path", `SELECT ?y WHERE { :c !:p ?y }`, []string{"y=d"}},
		{"zero length on all nodes", `SELECT ?x WHERE { ?x :q* ?x }`, []string{"x=A", "x=B", "x=a", "x=b", "x=c", "x=d"}},
		{"subquery", `SELECT ?x WHERE { { SELECT ?x WHERE { ?x :name ?n } } ?x :p ?y }`, []string{"x=a", "x=b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rows(runQuery(t, g, tc.query))
			if tc.name == "limit" {
				if len(got) != 2 {
					t.Fatalf("got %d rows, want 2", len(got))
				}
				return
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestNamedGraphsAreNotSupported(t *testing.T) {
	g := NewMemGraph(nil)
	for _, text := range []string{
		`SELECT * FROM <http://g> WHERE { ?s ?p ?o }`,
		`SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }`,
		`SELECT * WHERE { SERVICE <http://x> { ?s ?p ?o } }`,
	} {
		q, err := sparql.ParseQuery(text, "")
		if err != nil {
			t.Fatal(err)
		}
		err = Run(context.Background(), q, g, Output{Solutions: &collector{}}, Options{})
		if !errorsIs(err, ErrNotSupported) {
			t.Errorf("%s: got %v, want ErrNotSupported", text, err)
		}
	}
}

func TestUpdateSeesEarlierOperations(t *testing.T) {
	g := NewMemGraph(mustTurtle(t, testData))
	u, err := sparql.ParseUpdate(`PREFIX : <http://ex/>
		INSERT DATA { :x :p :y . _:n :p :x } ;
		DELETE { ?s :p ?o } INSERT { ?o :r ?s } WHERE { ?s :p ?o FILTER NOT EXISTS { ?s :name ?n } } ;
		DELETE DATA { :a :name "A" }`, "")
	if err != nil {
		t.Fatal(err)
	}
	ch, err := Update(context.Background(), u, g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.NewBlanks) != 1 {
		t.Errorf("NewBlanks = %v, want one label", ch.NewBlanks)
	}
	if len(ch.Delete) == 0 || len(ch.Insert) == 0 {
		t.Errorf("changes = %+v", ch)
	}
}

func errorsIs(err, target error) bool { return err != nil && errors.Is(err, target) }

func runTriples(t *testing.T, g Graph, text string) []rdf.Triple {
	t.Helper()
	q, err := sparql.ParseQuery("PREFIX : <http://ex/>\n"+text, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []rdf.Triple
	err = Run(context.Background(), q, g, Output{Triples: func(tr rdf.Triple) error { got = append(got, tr); return nil }}, Options{})
	if err != nil {
		t.Fatalf("running %s: %v", text, err)
	}
	return got
}

func TestConstruct(t *testing.T) {
	g := NewMemGraph(mustTurtle(t, testData))
	got := runTriples(t, g, `CONSTRUCT { ?x :r [ :s ?y ] . ?x :lit ?n . "bad" :r ?x } WHERE { ?x :p ?y OPTIONAL { ?x :name ?n } }`)
	want := mustTurtle(t, `:a :r [ :s :b ] ; :lit "A" . :b :r [ :s :c ] ; :lit "B" . :c :r [ :s :a ] .`)
	if err := results.Isomorphic(want, got); err != nil {
		t.Error(err)
	}
	got = runTriples(t, g, `CONSTRUCT WHERE { ?x :p ?y . ?y :p ?x }`)
	if len(got) != 0 {
		t.Errorf("got %v, want nothing", got)
	}
}

func TestDescribeFollowsBlankNodes(t *testing.T) {
	g := NewMemGraph(mustTurtle(t, `:a :p [ :q [ :r :z ] ] ; :name "A" . :z :p :a .`))
	got := runTriples(t, g, `DESCRIBE :a`)
	want := mustTurtle(t, `:a :p [ :q [ :r :z ] ] ; :name "A" .`)
	if err := results.Isomorphic(want, got); err != nil {
		t.Error(err)
	}
}

func TestAsk(t *testing.T) {
	g := NewMemGraph(mustTurtle(t, testData))
	for text, want := range map[string]bool{`ASK { :a :p :b }`: true, `ASK { :a :p :c }`: false, `ASK { :a :p* :a }`: true} {
		if got := runQuery(t, g, text); !got.IsBoolean || got.Boolean != want {
			t.Errorf("%s = %+v, want %t", text, got, want)
		}
	}
}

// countingGraph counts Match calls and patterns, to check batching.
type countingGraph struct {
	Graph
	calls, patterns int
}

func (c *countingGraph) Match(ctx context.Context, ps []Pattern, emit func(int, rdf.Triple) error) error {
	c.calls++
	c.patterns += len(ps)
	return c.Graph.Match(ctx, ps, emit)
}

func TestBGPLookupsAreBatched(t *testing.T) {
	var data []rdf.Triple
	for i := 0; i < 1000; i++ {
		s := rdf.NewIRI("http://ex/s" + strconv.Itoa(i))
		data = append(data, rdf.Triple{S: s, P: rdf.NewIRI("http://ex/type"), O: rdf.NewIRI("http://ex/T")},
			rdf.Triple{S: s, P: rdf.NewIRI("http://ex/n"), O: rdf.NewLiteral(strconv.Itoa(i), rdf.XSDInteger, "")})
	}
	g := &countingGraph{Graph: NewMemGraph(data)}
	q, err := sparql.ParseQuery(`PREFIX : <http://ex/> SELECT ?s ?n WHERE { ?s :n ?n . ?s :type :T }`, "")
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	if err := Run(context.Background(), q, g, Output{Solutions: &c}, Options{Batch: 100}); err != nil {
		t.Fatal(err)
	}
	if len(c.res.Solutions) != 1000 {
		t.Fatalf("got %d solutions, want 1000", len(c.res.Solutions))
	}
	// The most selective pattern (?s :type :T, two constants) first: one
	// call, then ten calls of 100 patterns.
	if g.calls != 11 || g.patterns != 1001 {
		t.Errorf("%d Match calls with %d patterns, want 11 with 1001", g.calls, g.patterns)
	}
}

func TestUpdateData(t *testing.T) {
	g := NewMemGraph(mustTurtle(t, testData))
	u, err := sparql.ParseUpdate(`PREFIX : <http://ex/>
		INSERT DATA { :x :p :y . _:n :p :x . :a :p :b } ;
		DELETE DATA { :a :name "A" . :nothing :p :x } ;
		DELETE WHERE { ?s :q ?o } ;
		INSERT DATA { :c :q :d }`, "")
	if err != nil {
		t.Fatal(err)
	}
	ch, err := Update(context.Background(), u, g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Insert) != 2 || len(ch.Delete) != 1 || len(ch.NewBlanks) != 1 {
		t.Errorf("changes = %+v, want 2 inserts, the delete of :a :name \"A\" and one new blank node", ch)
	}
	for _, tr := range ch.Insert {
		if tr.S.Kind == rdf.Blank && !ch.NewBlanks[tr.S.Value] {
			t.Errorf("inserted blank node %s is not in NewBlanks", tr.S.Value)
		}
	}
	u, _ = sparql.ParseUpdate(`CLEAR DEFAULT ; LOAD <http://doc>`, "")
	load := func(_ context.Context, iri string) ([]rdf.Triple, error) {
		return mustTurtle(t, `:l :p _:b .`), nil
	}
	ch, err = Update(context.Background(), u, g, Options{Load: load})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Delete) != g.Len() || len(ch.Insert) != 1 || len(ch.NewBlanks) != 1 {
		t.Errorf("changes = %+v, want every triple deleted and one loaded", ch)
	}
	for _, text := range []string{`CREATE GRAPH <http://g>`, `WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }`,
		`INSERT DATA { GRAPH <http://g> { <http://a> <http://b> <http://c> } }`, `COPY DEFAULT TO <http://g>`} {
		u, err := sparql.ParseUpdate(text, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Update(context.Background(), u, g, Options{}); !errorsIs(err, ErrNotSupported) {
			t.Errorf("%s: got %v, want ErrNotSupported", text, err)
		}
	}
}

func TestExplain(t *testing.T) {
	q, err := sparql.ParseQuery(`PREFIX : <http://ex/>
		SELECT DISTINCT ?x (COUNT(?y) AS ?n) WHERE { ?x :p ?y OPTIONAL { ?y :q ?z FILTER(?z) } MINUS { ?x :r ?w } }
		GROUP BY ?x ORDER BY ?n LIMIT 3`, "")
	if err != nil {
		t.Fatal(err)
	}
	got := Explain(q)
	for _, want := range []string{"slice offset 0 limit 3", "distinct", "project (?x ?n)", "order by ?n",
		"extend ?n := ", "group by [?x] aggregates [COUNT(?y)]", "minus", "leftjoin filter ?z", "bgp", "?x <http://ex/p> ?y"} {
		if !strings.Contains(got, want) {
			t.Errorf("Explain lacks %q:\n%s", want, got)
		}
	}
}

func TestOrderByLimitKeepsTheBest(t *testing.T) {
	var data []rdf.Triple
	for i := 0; i < 500; i++ {
		data = append(data, rdf.Triple{S: rdf.NewIRI("http://ex/s" + strconv.Itoa(i)), P: rdf.NewIRI("http://ex/n"),
			O: rdf.NewLiteral(strconv.Itoa((i*7919)%500), rdf.XSDInteger, "")})
	}
	g := NewMemGraph(data)
	got := runQuery(t, g, `SELECT ?n WHERE { ?s :n ?n } ORDER BY DESC(?n) OFFSET 2 LIMIT 3`)
	var vals []string
	for _, s := range got.Solutions {
		vals = append(vals, s["n"].Value)
	}
	if strings.Join(vals, " ") != "497 496 495" {
		t.Errorf("got %v, want [497 496 495]", vals)
	}
}

func TestFiltersAndAggregates(t *testing.T) {
	g := NewMemGraph(mustTurtle(t, testData))
	tests := []struct{ query, want string }{
		{`SELECT ?x WHERE { ?x :p ?y FILTER NOT EXISTS { ?x :name ?n } }`, "x=c"},
		{`SELECT ?x WHERE { ?x :p ?y FILTER EXISTS { ?y :q ?z } }`, "x=b"},
		{`SELECT ?x WHERE { ?x :p ?y OPTIONAL { ?y :name ?n FILTER(?n = "A") } FILTER(!BOUND(?n)) }`, "x=a\nx=b"},
		{`SELECT (COUNT(*) AS ?c) WHERE { ?x :p ?y }`, "c=3"},
		{`SELECT ?p (COUNT(DISTINCT ?s) AS ?c) WHERE { ?s ?p ?o } GROUP BY ?p HAVING (COUNT(?s) > 1)`, "p=name c=2\np=p c=3"},
		{`SELECT (COUNT(*) AS ?c) WHERE { ?x :nothing ?y }`, "c=0"},
		{`SELECT ?x ?l WHERE { ?x :name ?n BIND(LCASE(?n) AS ?l) }`, "x=a l=a\nx=b l=b"},
	}
	for _, tc := range tests {
		got := strings.Join(rows(runQuery(t, g, tc.query)), "\n")
		if got != tc.want {
			t.Errorf("%s:\ngot  %q\nwant %q", tc.query, got, tc.want)
		}
	}
}
