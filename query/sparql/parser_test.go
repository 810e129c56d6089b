package sparql

import (
	"reflect"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/rdf"
)

func mustQuery(t *testing.T, text string) *Query {
	t.Helper()
	q, err := ParseQuery(text, "http://example.org/base/")
	if err != nil {
		t.Fatalf("ParseQuery(%q): %v", text, err)
	}
	return q
}

func iri(s string) Term             { return Term{Kind: IRI, Value: s} }
func variable(s string) Term        { return Term{Kind: Var, Value: s} }
func lit(lex, datatype string) Term { return Term{Kind: Literal, Value: lex, Datatype: datatype} }

// firstBGP returns the triples of the first element of the WHERE group.
func firstBGP(t *testing.T, q *Query) []TriplePattern {
	t.Helper()
	bgp, ok := q.Where.Elements[0].(*BGP)
	if !ok {
		t.Fatalf("first element is %T, want *BGP", q.Where.Elements[0])
	}
	return bgp.Triples
}

func TestPrologueResolvesIRIs(t *testing.T) {
	q := mustQuery(t, `BASE <http://a.example/dir/> PREFIX ex: <sub/> SELECT * { <x> a ex:y }`)
	want := []TriplePattern{{Subject: iri("http://a.example/dir/x"), Predicate: iri(rdf.RDFType), Object: iri("http://a.example/dir/sub/y")}}
	if got := firstBGP(t, q); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestLiteralsKeepTheirLexicalForm(t *testing.T) {
	q := mustQuery(t, `SELECT * { ?s ?p 01, -1.50, 1e0, true, 'a\tb'@en-GB, """x"""^^<t>, "" }`)
	var got []Term
	for _, tp := range firstBGP(t, q) {
		got = append(got, tp.Object)
	}
	want := []Term{
		lit("01", rdf.XSDInteger), lit("-1.50", rdf.XSDDecimal), lit("1e0", rdf.XSDDouble),
		lit("true", rdf.XSDBoolean),
		{Kind: Literal, Value: "a\tb", Datatype: rdf.RDFLangString, Lang: "en-GB"},
		lit("x", "http://example.org/base/t"), lit("", rdf.XSDString),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestPropertyListsCollectionsAndBlankNodes(t *testing.T) {
	q := mustQuery(t, `SELECT * { ?s <p> [ <q> (1) ] ; <r> ?a, ?b }`)
	triples := firstBGP(t, q)
	if len(triples) != 6 {
		t.Fatalf("got %d triples, want 6: %+v", len(triples), triples)
	}
	if triples[0].Predicate != iri(rdf.RDFFirst) || triples[0].Object != lit("1", rdf.XSDInteger) {
		t.Fatalf("collection not first: %+v", triples[0])
	}
	if triples[3].Predicate.Value != "http://example.org/base/p" || triples[3].Object.Kind != Blank {
		t.Fatalf("outer triple wrong: %+v", triples[3])
	}
}

func TestPropertyPaths(t *testing.T) {
	q := mustQuery(t, `PREFIX : <http://e/> SELECT * { ?s ^:a/:b*|!(:c|^:d) ?o }`)
	want := &PathAlternative{Choices: []Path{
		&PathSequence{Steps: []Path{
			&PathInverse{Path: &PathLink{IRI: "http://e/a"}},
			&PathRepeat{Path: &PathLink{IRI: "http://e/b"}, Op: '*'},
		}},
		&PathNegated{Forward: []string{"http://e/c"}, Inverse: []string{"http://e/d"}},
	}}
	if got := firstBGP(t, q)[0].Path; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
}

func TestOperatorPrecedence(t *testing.T) {
	q := mustQuery(t, `SELECT * { FILTER(?a || ?b && ?c = 1 + 2 * -3) }`)
	got := q.Where.Elements[0].(*Filter).Expr
	num := func(s string) Expr { return &ExprTerm{Term: lit(s, rdf.XSDInteger)} }
	v := func(s string) Expr { return &ExprTerm{Term: variable(s)} }
	want := &ExprBinary{Op: "||", Left: v("a"), Right: &ExprBinary{Op: "&&", Left: v("b"),
		Right: &ExprBinary{Op: "=", Left: v("c"), Right: &ExprBinary{Op: "+", Left: num("1"),
			Right: &ExprBinary{Op: "*", Left: num("2"), Right: num("-3")}}}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
}

func TestAggregatesAndModifiers(t *testing.T) {
	q := mustQuery(t, `SELECT ?g (GROUP_CONCAT(DISTINCT ?x; SEPARATOR=",") AS ?c) { ?g <p> ?x }
		GROUP BY ?g HAVING (COUNT(*) > 1) ORDER BY DESC(?c) LIMIT 5 OFFSET 2`)
	agg := q.Projection[1].Expr.(*ExprAggregate)
	if agg.Name != "GROUP_CONCAT" || !agg.Distinct || agg.Separator != "," {
		t.Fatalf("aggregate: %+v", agg)
	}
	if len(q.GroupBy) != 1 || len(q.Having) != 1 || !q.OrderBy[0].Descending || q.Limit != 5 || q.Offset != 2 {
		t.Fatalf("modifiers: %+v", q)
	}
}

func TestUpdateOperations(t *testing.T) {
	u, err := ParseUpdate(`PREFIX : <http://e/> INSERT DATA { :s :p "o" GRAPH :g { :s :p 1 } } ;
		DELETE { ?s :p ?o } INSERT { ?s :q ?o } WHERE { ?s :p ?o } ; CLEAR SILENT ALL ; COPY DEFAULT TO :g`, "")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, op := range u.Operations {
		kinds = append(kinds, reflect.TypeOf(op).Elem().Name())
	}
	if strings.Join(kinds, " ") != "InsertData Modify Clear Copy" {
		t.Fatalf("operations: %v", kinds)
	}
	data := u.Operations[0].(*InsertData)
	if len(data.Quads) != 2 || data.Quads[1].Graph != iri("http://e/g") {
		t.Fatalf("quads: %+v", data.Quads)
	}
}

// Errors name the line, the column and what was expected.
func TestSyntaxErrorMessages(t *testing.T) {
	tests := []struct{ text, want string }{
		{"SELECT * WHERE {\n  ?s ?p ?o .\n  FILTR(?o) }", "line 3, column 3: expected '}' or a triple pattern, found 'FILTR'"},
		{"SELECT ?x { ?x <p> }", "line 1, column 20: expected a variable, an IRI, a literal or a blank node, found '}'"},
		{"SELECT * { ?s ex:p ?o }", "line 1, column 15: undeclared prefix \"ex:\""},
		{"SELECT * { BIND(1 AS ?x) BIND(2 AS ?x) }", "BIND assigns ?x, which is already in scope"},
		{"SELECT ?x { ?x ?p ?o } GROUP BY ?p", "?x is selected but neither grouped nor aggregated"},
		{"SELECT * { ?s ?p 'unterminated }", "line 1, column 18: unterminated string"},
		{"SELECT * { FILTER(STRLEN(?a, ?b)) }", "STRLEN takes 1 argument, found 2"},
		{"SELECT * { FILTER(COUNT(?a)) }", "aggregate COUNT is allowed only in SELECT, HAVING and ORDER BY"},
		{"SELECT * { ?s A ?o }", "line 1, column 15: expected a predicate, found 'A'"},
		{"SELECT * { " + strings.Repeat("{", 1000), "levels of nesting"},
	}
	for _, tt := range tests {
		_, err := ParseQuery(tt.text, "")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseQuery(%q) = %v, want an error containing %q", tt.text, err, tt.want)
		}
	}
}
