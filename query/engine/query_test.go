package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/engine/enginetest"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
)

// exampleGraph is the query manual's example data (tests/testdata), plus
// a fourth TV, mountains whose heights chain through an alias, and a
// fact about a fact.
const exampleGraph = `
<John_Scalzi>      rdfs:label     "John Scalzi"@en
<John_Scalzi>      <born>         <Fairfield>
<John_Scalzi>      <lives>        <Bradford>
<William_Gibson>   rdfs:label     "William Gibson"@en
<William_Gibson>   <born>         <Conway>
<Neal_Stephenson>  rdfs:label     "Neal Stephenson"@en
<Neal_Stephenson>  <born>         <Forte_Meade>
<Fairfield>        <locatedIn>    <California>
<California>       <locatedIn>    <USA>
<Conway>           <locatedIn>    <South_Carolina>
<Forte_Meade>      <locatedIn>    <Maryland>
<Bradford>         <locatedIn>    <Ohio>
<Ohio>             <locatedIn>    <USA>
<South_Carolina>   <locatedIn>    <USA>
<Maryland>         <locatedIn>    <USA>
<NU7100>           rdf:type       <TV>
<NU7100>           <manufacturer> <Samsung>
<NU7100>           <size>         40^^<inch>
<QN65Q6FNAF>       rdf:type       <TV>
<QN65Q6FNAF>       <manufacturer> <Samsung>
<QN65Q6FNAF>       <size>         65^^<inch>
<N5300>            rdf:type       <TV>
<N5300>            <manufacturer> <Samsung>
<N5300>            <size>         32^^<inch>
<OLED55>           rdf:type       <TV>
<OLED55>           <manufacturer> <LG>
<OLED55>           <size>         55^^<inch>
<Tallest>          <height>       <Everest>
<Everest>          <height>       8849^^<metre>
<K2>               <height>       8611^^<metre>
<Mont_Blanc>       <height>       4806^^<metre>
?ukFact <UK> <memberOf> <EuropeanUnion>
?ukFact <validFrom>  '1973-01-01'
?ukFact <validUntil> '2019-03-29 23:00:00'
`

func newExample(t *testing.T) *enginetest.Views {
	t.Helper()
	v := enginetest.New()
	if err := v.Insert(exampleGraph); err != nil {
		t.Fatal(err)
	}
	return v
}

// answer is a query's answer as text: the columns, then one line per row
// with the cells separated by spaces and an unbound cell as "-".
func answer(t *testing.T, v engine.Views, index uint64, text string, opts ...engine.Option) (cols string, rows []string, err error) {
	t.Helper()
	q, err := parser.ParseQuery(text)
	if err != nil {
		t.Fatalf("parsing %q: %v", text, err)
	}
	res, err := engine.New(v, opts...).Run(context.Background(), q, index)
	if err != nil {
		return "", nil, err
	}
	for _, r := range res.Rows {
		var line []string
		for _, c := range r {
			if c.Unbound {
				line = append(line, "-")
				continue
			}
			line = append(line, c.Text)
		}
		rows = append(rows, strings.Join(line, " "))
	}
	return strings.Join(res.Columns, " "), rows, nil
}

// plan returns the explained plan of text: the output stage, then the
// operator tree.
func plan(t *testing.T, v *enginetest.Views, text string, opts ...engine.Option) string {
	t.Helper()
	q, err := parser.ParseQuery(text)
	if err != nil {
		t.Fatalf("parsing %q: %v", text, err)
	}
	var out string
	err = engine.New(v, opts...).Stream(context.Background(), q, v.Index(), engine.Options{Explain: true},
		func(c *engine.Chunk) error {
			if c.Plan != "" {
				out = c.Plan
			}
			return nil
		})
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return out
}

// queryCase is a query over exampleGraph, its exact answer, and the
// operators its plan must use (so each case tests what it says it tests).
type queryCase struct {
	name  string
	query string
	cols  string
	rows  []string // in order when the query has ORDER BY, else sorted
	uses  []string // substrings of the explained plan
}

func checkQueries(t *testing.T, v *enginetest.Views, cases []queryCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cols, rows, err := answer(t, v, v.Index(), tc.query)
			if err != nil {
				t.Fatalf("%s: %v", tc.query, err)
			}
			if !strings.Contains(tc.query, "ORDER BY") {
				slices.Sort(rows)
			}
			if cols != tc.cols || !slices.Equal(rows, tc.rows) {
				t.Fatalf("%s\n got [%s] %q\nwant [%s] %q", tc.query, cols, rows, tc.cols, tc.rows)
			}
			p := plan(t, v, tc.query)
			for _, u := range tc.uses {
				if !strings.Contains(p, u) {
					t.Fatalf("%s: the plan does not use %q:\n%s", tc.query, u, p)
				}
			}
		})
	}
}

// TestLookups runs one query per access method and checks its exact rows.
func TestLookups(t *testing.T) {
	checkQueries(t, newExample(t), []queryCase{
		{"LookupSPO", "SELECT ?from WHERE { ?f <UK> <memberOf> <EuropeanUnion> . ?f <validFrom> ?from }",
			"from", []string{"'1973-01-01'"}, []string{"LookupSPO(?f <UK> <memberOf> <EuropeanUnion>)"}},
		{"LookupSP", "SELECT ?o WHERE { ?f <NU7100> <size> ?o }",
			"o", []string{"40^^<inch>"}, []string{"LookupSP(?f <NU7100> <size> ?o)"}},
		{"LookupPO", "SELECT ?s WHERE { ?f ?s <manufacturer> <Samsung> }",
			"s", []string{"<N5300>", "<NU7100>", "<QN65Q6FNAF>"}, []string{"LookupPO("}},
		{"LookupS: every fact of a subject, its name included", "SELECT ?p ?o WHERE { <NU7100> ?p ?o }",
			"p o", []string{`<HasExternalID> "NU7100"`, "<manufacturer> <Samsung>", "<size> 40^^<inch>", "rdf:type <TV>"},
			[]string{"LookupS("}},
		{"LookupP: a predicate scan", "SELECT ?s ?o WHERE { ?f ?s <size> ?o }",
			"s o", []string{"<N5300> 32^^<inch>", "<NU7100> 40^^<inch>", "<OLED55> 55^^<inch>", "<QN65Q6FNAF> 65^^<inch>"},
			[]string{"LookupP("}},
		{"LookupPOCmp: a comparison pushed into a range scan", "SELECT ?tv WHERE { ?f ?tv <size> ?s . ?s <gt> 36^^<inch> }",
			"tv", []string{"<NU7100>", "<OLED55>", "<QN65Q6FNAF>"}, []string{"LookupPOCmp(?f ?tv <size> ?s > 36^^<inch>)"}},
		{"LookupPOCmp: a gte/lt pair is one range, end excluded", "SELECT ?tv WHERE { ?f ?tv <size> ?s . ?s <gte> 40^^<inch> . ?s <lt> 55^^<inch> }",
			"tv", []string{"<NU7100>"}, []string{"LookupPOCmp(?f ?tv <size> ?s >= 40^^<inch> < 55^^<inch>)"}},
		{"LookupPOCmp: equality", "SELECT ?tv WHERE { ?f ?tv <size> ?s . ?s <eq> 32^^<inch> }",
			"tv", []string{"<N5300>"}, []string{"LookupPOCmp(?f ?tv <size> ?s = 32^^<inch>)"}},
		{"a named missing entity matches nothing", "SELECT ?x WHERE { <Nobody> <born> ?x }",
			"x", nil, []string{"Empty "}},
	})
}

// TestInference checks that every constant predicate is transitive, in
// each direction a search can take.
func TestInference(t *testing.T) {
	usa := []string{"<Bradford>", "<California>", "<Conway>", "<Fairfield>", "<Forte_Meade>", "<Maryland>", "<Ohio>", "<South_Carolina>"}
	checkQueries(t, newExample(t), []queryCase{
		{"InferSP follows chains forward", "SELECT ?where WHERE { <Fairfield> <locatedIn> ?where }",
			"where", []string{"<California>", "<USA>"}, []string{"InferSP("}},
		{"InferPO follows chains backward", "SELECT ?place WHERE { ?place <locatedIn> <USA> }",
			"place", usa, []string{"InferPO("}},
		{"InferSPO: a chain of three", "ASK WHERE { <Fairfield> <locatedIn> <USA> }",
			"result", []string{"true"}, []string{"InferSPO("}},
		{"InferSPO: no chain backwards", "ASK WHERE { <USA> <locatedIn> <Fairfield> }",
			"result", []string{"false"}, []string{"InferSPO("}},
		{"InferP closes the whole relation", "SELECT ?a ?b WHERE { ?a <locatedIn> ?b }",
			"a b", []string{
				"<Bradford> <Ohio>", "<Bradford> <USA>", "<California> <USA>", "<Conway> <South_Carolina>", "<Conway> <USA>",
				"<Fairfield> <California>", "<Fairfield> <USA>", "<Forte_Meade> <Maryland>", "<Forte_Meade> <USA>",
				"<Maryland> <USA>", "<Ohio> <USA>", "<South_Carolina> <USA>",
			}, []string{"InferP("}},
		{"InferPOCmp: chains that end in a value in range", "SELECT ?x ?h WHERE { ?x <height> ?h . ?h <gt> 8000^^<metre> }",
			"x h", []string{"<Everest> 8849^^<metre>", "<K2> 8611^^<metre>", "<Tallest> 8849^^<metre>"},
			[]string{"InferPOCmp(_ ?x <height> ?h > 8000^^<metre>)"}},
		{"a fact-ID variable turns inference off", "SELECT ?where WHERE { ?f <Fairfield> <locatedIn> ?where }",
			"where", []string{"<California>"}, []string{"LookupSP("}},
		{"a loop join whose right side infers", "SELECT ?person WHERE { ?person <born> ?place . ?place <locatedIn> <California> }",
			"person", []string{"<John_Scalzi>"}, []string{"LoopJoin ?place InferPO(_ ?person <born> $place)"}},
		{"a chain continues only through entities", "SELECT ?h WHERE { <Tallest> <height> ?h }",
			"h", []string{"8849^^<metre>", "<Everest>"}, []string{"InferSP("}},
	})
}

// TestJoins checks inner, cross and left joins.
func TestJoins(t *testing.T) {
	checkQueries(t, newExample(t), []queryCase{
		{"born in the USA", "SELECT * WHERE { ?person <born> ?place . ?place <locatedIn> <USA> }",
			"person place", []string{"<John_Scalzi> <Fairfield>", "<Neal_Stephenson> <Forte_Meade>", "<William_Gibson> <Conway>"},
			[]string{"LoopJoin ?place"}},
		{"a cross product hashes one side", "SELECT ?a ?b WHERE { ?a <manufacturer> <LG> . ?b <manufacturer> <Samsung> }",
			"a b", []string{"<OLED55> <N5300>", "<OLED55> <NU7100>", "<OLED55> <QN65Q6FNAF>"}, []string{"HashJoin (cross)"}},
		{"a left join keeps each unmatched row once, unbound", "SELECT ?person ?bornWhere ?livesWhere WHERE { ?person <born> ?bornWhere . ?bornWhere <locatedIn> <USA> . ?person <lives>? ?livesWhere }",
			"person bornWhere livesWhere", []string{"<John_Scalzi> <Fairfield> <Bradford>", "<Neal_Stephenson> <Forte_Meade> -", "<William_Gibson> <Conway> -"},
			[]string{"LeftHashJoin ?person (build right)"}},
		{"an optional pattern alone keeps one empty row", "SELECT ?x WHERE { <NU7100> <lives>? ?x }",
			"x", []string{"-"}, []string{"Unit"}},
		{"an optional pattern naming a missing entity", "SELECT ?x WHERE { <NU7100> <nothing>? ?x }",
			"x", []string{"-"}, []string{"Unit"}},
		{"a comparison on an optional variable applies after the left join", "SELECT ?p ?l WHERE { ?p <born> ?b . ?p <lives>? ?l . ?l <eq> <Bradford> }",
			"p l", []string{"<John_Scalzi> <Bradford>"}, []string{"Select ?l = <Bradford>"}},
	})
}

// TestComparisons checks every comparison operator as a filter, across
// kinds and units, and sets.
func TestComparisons(t *testing.T) {
	sizes := func(cmp string) string {
		// The ?a ?b join keeps the comparison a filter, not a range scan.
		return "SELECT ?tv WHERE { ?tv <manufacturer> ?m . ?tv <size> ?s . ?s " + cmp + " }"
	}
	all := []string{"<N5300>", "<NU7100>", "<OLED55>", "<QN65Q6FNAF>"}
	checkQueries(t, newExample(t), []queryCase{
		{"eq", sizes("<eq> 40^^<inch>"), "tv", []string{"<NU7100>"}, []string{"?s = 40^^<inch>"}},
		{"notEqual", sizes("<notEqual> 40^^<inch>"), "tv", []string{"<N5300>", "<OLED55>", "<QN65Q6FNAF>"}, []string{"Select ?s != 40^^<inch>"}},
		{"gt", sizes("<gt> 40^^<inch>"), "tv", []string{"<OLED55>", "<QN65Q6FNAF>"}, []string{"?s > 40^^<inch>"}},
		{"gte", sizes("<gte> 40^^<inch>"), "tv", []string{"<NU7100>", "<OLED55>", "<QN65Q6FNAF>"}, []string{"?s >= 40^^<inch>"}},
		{"lt", sizes("<lt> 40^^<inch>"), "tv", []string{"<N5300>"}, []string{"?s < 40^^<inch>"}},
		{"lte", sizes("<lte> 40^^<inch>"), "tv", []string{"<N5300>", "<NU7100>"}, []string{"?s <= 40^^<inch>"}},
		{"another unit compares with nothing", sizes("<gt> 1^^<metre>"), "tv", nil, nil},
		{"no unit compares with nothing", sizes("<lt> 100"), "tv", nil, nil},
		{"another unit is never equal", sizes("<notEqual> 40^^<metre>"), "tv", all, nil},
		{"a missing unit is never equal", sizes("<notEqual> 40^^<furlong>"), "tv", all, nil},
		{"a missing unit compares with nothing", sizes("<gte> 1^^<furlong>"), "tv", nil, nil},
		{"two variables", "SELECT ?x ?y WHERE { ?a <size> ?x . ?b <size> ?y . ?x <lt> ?y }", "x y", []string{
			"32^^<inch> 40^^<inch>", "32^^<inch> 55^^<inch>", "32^^<inch> 65^^<inch>",
			"40^^<inch> 55^^<inch>", "40^^<inch> 65^^<inch>", "55^^<inch> 65^^<inch>",
		}, []string{"Select ?x < ?y"}},
		{"strings with a language", `SELECT ?p WHERE { ?p rdfs:label ?l . ?l <lt> "O"@en }`,
			"p", []string{"<John_Scalzi>", "<Neal_Stephenson>"}, nil},
		{"timestamps", "ASK WHERE { ?fact <UK> <memberOf> <EuropeanUnion> . ?fact <validUntil> ?until . ?fact <validFrom> ?from . ?until <gte> '2019-03-22' . ?from <lte> '2019-03-22' }",
			"result", []string{"true"}, []string{"Select ?until >= '2019-03-22'", "Select ?from <= '2019-03-22'"}},
		{"in filters a bound variable", "SELECT ?person WHERE { ?person <born> ?place . ?place <locatedIn> ?where . ?where <in> { <Maryland> , <South_Carolina> } }",
			"person", []string{"<Neal_Stephenson>", "<William_Gibson>"}, []string{"Values ?where {<Maryland>, <South_Carolina>}"}},
		{"in binds an unbound variable, dropping missing members", "SELECT ?tv WHERE { ?tv <manufacturer> ?m . ?m <in> {<LG>, <Nokia>} }",
			"tv", []string{"<OLED55>"}, []string{"Values ?m {<LG>}"}},
		{"a set binds only its own variable", "SELECT * WHERE { ?tv <size> ?s . ?m <in> {<LG>} . ?tv <manufacturer> ?m }",
			"tv s m", []string{"<OLED55> 55^^<inch> <LG>"}, []string{"LoopJoin ?m InferPO(_ ?tv <manufacturer> $m)"}},
		{"in with only missing members matches nothing", "SELECT ?tv WHERE { ?tv <manufacturer> ?m . ?m <in> {<Nokia>} }",
			"tv", nil, []string{"Values ?m {}"}},
	})
}

// TestOutputForms checks what the output stage does with the solutions:
// projection, DISTINCT, COUNT, ORDER BY, OFFSET and LIMIT, ASK.
func TestOutputForms(t *testing.T) {
	checkQueries(t, newExample(t), []queryCase{
		{"SELECT * lists variables in order of appearance", "SELECT * WHERE { ?tv <size> ?s . ?tv <manufacturer> <LG> }",
			"tv s", []string{"<OLED55> 55^^<inch>"}, []string{"Project tv s"}},
		{"duplicates stay without DISTINCT", "SELECT ?manf WHERE { ?p rdf:type <TV> . ?p <manufacturer> ?manf }",
			"manf", []string{"<LG>", "<Samsung>", "<Samsung>", "<Samsung>"}, nil},
		{"DISTINCT", "SELECT DISTINCT ?manf WHERE { ?p rdf:type <TV> . ?p <manufacturer> ?manf }",
			"manf", []string{"<LG>", "<Samsung>"}, []string{"Project manf | Distinct"}},
		{"COUNT(?x) counts bound values", "SELECT (COUNT(?person) AS ?num) WHERE { ?person <born> ?place . ?place <locatedIn> <USA> }",
			"num", []string{"3"}, []string{"Count num"}},
		{"COUNT(?x) skips unbound values", "SELECT (COUNT(?l) AS ?n) WHERE { ?p <born> ?b . ?p <lives>? ?l }",
			"n", []string{"1"}, nil},
		{"COUNT(*) counts solutions", "SELECT (COUNT(*) AS ?n) WHERE { ?p rdf:type <TV> . ?p <manufacturer> ?m }",
			"n", []string{"4"}, nil},
		{"DISTINCT COUNT(?x) counts distinct values", "SELECT DISTINCT (COUNT(?m) AS ?n) WHERE { ?tv <manufacturer> ?m }",
			"n", []string{"2"}, []string{"Count n | Distinct"}},
		{"DISTINCT COUNT(*) counts distinct solutions", "SELECT DISTINCT (COUNT(*) AS ?n) WHERE { ?tv <manufacturer> ?m . ?tv rdf:type ?type }",
			"n", []string{"4"}, nil},
		{"COUNT of nothing is 0", "SELECT (COUNT(*) AS ?n) WHERE { ?tv <manufacturer> <Nokia> }",
			"n", []string{"0"}, nil},
		{"ORDER BY DESC a literal", "SELECT ?tv ?size WHERE { ?tv rdf:type <TV> . ?tv <manufacturer> <Samsung> . ?tv <size> ?size } ORDER BY DESC(?size)",
			"tv size", []string{"<QN65Q6FNAF> 65^^<inch>", "<NU7100> 40^^<inch>", "<N5300> 32^^<inch>"}, []string{"OrderBy DESC(?size)"}},
		{"ORDER BY an entity sorts by name", "SELECT ?tv WHERE { ?tv rdf:type <TV> } ORDER BY ?tv",
			"tv", []string{"<N5300>", "<NU7100>", "<OLED55>", "<QN65Q6FNAF>"}, []string{"OrderBy ASC(?tv)"}},
		{"ORDER BY two keys, unbound first", "SELECT ?p ?l WHERE { ?p <born> ?b . ?p <lives>? ?l } ORDER BY ?l DESC(?p)",
			"p l", []string{"<William_Gibson> -", "<Neal_Stephenson> -", "<John_Scalzi> <Bradford>"}, nil},
		{"LIMIT after ORDER BY", "SELECT ?tv ?size WHERE { ?tv <manufacturer> <Samsung> . ?tv <size> ?size } ORDER BY DESC(?size) LIMIT 1",
			"tv size", []string{"<QN65Q6FNAF> 65^^<inch>"}, []string{"OrderBy DESC(?size) | Limit 1"}},
		{"OFFSET and LIMIT after ORDER BY", "SELECT ?tv ?size WHERE { ?tv <manufacturer> <Samsung> . ?tv <size> ?size } ORDER BY DESC(?size) LIMIT 1 OFFSET 1",
			"tv size", []string{"<NU7100> 40^^<inch>"}, []string{"Offset 1 | Limit 1"}},
		{"OFFSET past the end", "SELECT ?tv WHERE { ?tv rdf:type <TV> } ORDER BY ?tv OFFSET 4",
			"tv", nil, nil},
		{"LIMIT 0", "SELECT ?tv WHERE { ?tv rdf:type <TV> } LIMIT 0",
			"tv", nil, []string{"Limit 0"}},
		{"DISTINCT before OFFSET and LIMIT", "SELECT DISTINCT ?m WHERE { ?tv <manufacturer> ?m } ORDER BY ?m OFFSET 1 LIMIT 5",
			"m", []string{"<Samsung>"}, nil},
		{"ASK true", "ASK WHERE { ?person <born> ?place . ?place <locatedIn> <Maryland> }",
			"result", []string{"true"}, []string{"Ask (stops at the first row)"}},
		{"ASK false", "ASK WHERE { ?person <born> ?place . ?place <locatedIn> <Ohio> }",
			"result", []string{"false"}, nil},
		{"ASK of a missing entity", "ASK WHERE { <Nobody> <born> ?place }",
			"result", []string{"false"}, nil},
	})
}

// TestLimitStopsStream: LIMIT without ORDER BY sends exactly that many of
// the solutions (which ones depends on the plan).
func TestLimitStopsStream(t *testing.T) {
	v := newExample(t)
	all := []string{"<N5300>", "<NU7100>", "<OLED55>", "<QN65Q6FNAF>"}
	for limit := range len(all) + 2 {
		_, rows, err := answer(t, v, v.Index(), fmt.Sprintf("SELECT ?tv WHERE { ?tv rdf:type <TV> } LIMIT %d", limit))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != min(limit, len(all)) {
			t.Fatalf("LIMIT %d gave %d rows: %q", limit, len(rows), rows)
		}
		for _, r := range rows {
			if !slices.Contains(all, r) {
				t.Fatalf("LIMIT %d gave %q, not a TV", limit, r)
			}
		}
	}
}

// TestBareForm: fact patterns alone answer each pattern's fact ID,
// subject, predicate and object; an inferred fact has no ID.
func TestBareForm(t *testing.T) {
	v := enginetest.New()
	a, b, c, in := v.Entity("a"), v.Entity("b"), v.Entity("c"), v.Entity("within")
	ab := v.Add(a, in, storage.AEntity(b))
	bc := v.Add(b, in, storage.AEntity(c))
	id := func(kid uint64) string { return fmt.Sprintf("#%d", kid) }
	for _, tc := range []struct {
		query, cols string
		rows        []string
	}{
		{"<a> <within> ?x", "id subject predicate object", []string{id(ab) + " <a> <within> <b>", "- <a> <within> <c>"}},
		{"?f <a> <within> ?x", "id subject predicate object", []string{id(ab) + " <a> <within> <b>"}},
		{"<a> <within> ?x\n?x <within> <c>", "id1 subject1 predicate1 object1 id2 subject2 predicate2 object2",
			[]string{id(ab) + " <a> <within> <b> " + id(bc) + " <b> <within> <c>"}},
	} {
		cols, rows, err := answer(t, v, v.Index(), tc.query)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		slices.Sort(rows)
		if cols != tc.cols || !slices.Equal(rows, tc.rows) {
			t.Fatalf("%s\n got [%s] %q\nwant [%s] %q", tc.query, cols, rows, tc.cols, tc.rows)
		}
	}
}

// TestNames: entities print by external name, or as #kid without one; a
// query may name an entity by KID; names resolve as of the query's index.
func TestNames(t *testing.T) {
	v := enginetest.New()
	a, likes := v.Entity("a"), v.Entity("likes")
	v.Add(a, likes, storage.AEntity(999)) // an entity without a name
	for query, want := range map[string]string{
		"SELECT ?x WHERE { <a> <likes> ?x }":                               "#999",
		fmt.Sprintf("SELECT ?x WHERE { #%d <likes> ?x }", a):               "#999",
		"SELECT ?s WHERE { ?s <likes> #999 }":                              "<a>",
		"SELECT ?n WHERE { <a> <HasExternalID> ?n }":                       `"a"`,
		"SELECT ?x WHERE { <a> <likes> ?x } ORDER BY ?x":                   "#999",
		"SELECT ?n WHERE { ?f <a> <HasExternalID> ?n . ?n <eq> \"a\"@en }": "",
	} {
		_, rows, err := answer(t, v, v.Index(), query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if got := strings.Join(rows, ","); got != want {
			t.Fatalf("%s = %q, want %q", query, got, want)
		}
	}
}

// TestHistoricalReads: a query at an older log index sees the graph as it
// was then, names included.
func TestHistoricalReads(t *testing.T) {
	v := enginetest.New()
	a, likes := v.Entity("a"), v.Entity("likes")
	v.Add(a, likes, storage.AInt64(1, 0))
	before := v.Index()
	v.Add(a, likes, storage.AInt64(2, 0))
	v.Add(v.Entity("b"), likes, storage.AInt64(3, 0))
	for _, tc := range []struct {
		index uint64
		query string
		want  []string
	}{
		{before, "SELECT ?x WHERE { <a> <likes> ?x }", []string{"1"}},
		{v.Index(), "SELECT ?x WHERE { <a> <likes> ?x }", []string{"1", "2"}},
		{before, "SELECT ?x WHERE { <b> <likes> ?x }", nil}, // <b> did not exist yet
		{v.Index(), "SELECT ?x WHERE { <b> <likes> ?x }", []string{"3"}},
		{before, "SELECT (COUNT(*) AS ?n) WHERE { ?s <likes> ?x }", []string{"1"}},
		{v.Index(), "SELECT (COUNT(*) AS ?n) WHERE { ?s <likes> ?x }", []string{"3"}},
	} {
		_, rows, err := answer(t, v, tc.index, tc.query)
		if err != nil {
			t.Fatalf("%s at %d: %v", tc.query, tc.index, err)
		}
		slices.Sort(rows)
		if !slices.Equal(rows, tc.want) {
			t.Fatalf("%s at %d = %q, want %q", tc.query, tc.index, rows, tc.want)
		}
	}
}

// TestInvalidQueries: a query that parses but cannot run is
// ErrInvalidQuery with a position, and runs nothing.
func TestInvalidQueries(t *testing.T) {
	v := newExample(t)
	for _, query := range []string{
		"SELECT ?s WHERE { ?s ?p <USA> }",              // nothing to look up by
		"SELECT ?s WHERE { ?s <born> ?b . ?x <gt> 3 }", // a comparison on no pattern's variable
	} {
		_, _, err := answer(t, v, v.Index(), query)
		if !errors.Is(err, engine.ErrInvalidQuery) || !strings.Contains(err.Error(), "line 1, column") {
			t.Fatalf("%s: error %v, want ErrInvalidQuery with a position", query, err)
		}
	}
}

// TestStreamStopsWhenSendFails: a caller that stops accepting chunks
// (its client went away) ends the query with its error.
func TestStreamStopsWhenSendFails(t *testing.T) {
	v := newExample(t)
	q, _ := parser.ParseQuery("SELECT ?tv WHERE { ?tv rdf:type <TV> }")
	gone := errors.New("client went away")
	for after := range 2 { // fail the header, then the first rows
		sent := 0
		err := engine.New(v).Stream(context.Background(), q, v.Index(), engine.Options{}, func(*engine.Chunk) error {
			if sent == after {
				return gone
			}
			sent++
			return nil
		})
		if !errors.Is(err, gone) {
			t.Fatalf("send failing after %d chunks: Stream = %v, want %v", after, err, gone)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := engine.New(v).Run(ctx, q, v.Index()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run with a cancelled context = %v, want context.Canceled", err)
	}
}
