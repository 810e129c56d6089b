package fn

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
)

const testPrologue = "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n" +
	"PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n" +
	"PREFIX ex: <http://example.org/>\n" +
	"BASE <http://example.org/base/>\n"

// parseExpr parses expr as the expression of a SELECT item.
func parseExpr(t testing.TB, expr string) sparql.Expr {
	t.Helper()
	q, err := sparql.ParseQuery(testPrologue+"SELECT ("+expr+" AS ?result) {}", "")
	if err != nil {
		t.Fatalf("parsing %s: %v", expr, err)
	}
	return q.Projection[0].Expr
}

// testBinding binds a few variables for the table tests; ?unbound is not.
func testBinding(name string) (rdf.Term, bool) {
	switch name {
	case "iri":
		return rdf.NewIRI("http://example.org/a"), true
	case "blank":
		return rdf.NewBlank("b1"), true
	case "str":
		return rdf.NewLiteral("abc", rdf.XSDString, ""), true
	case "en":
		return rdf.NewLiteral("abc", "", "en"), true
	case "int":
		return rdf.NewLiteral("7", rdf.XSDInteger, ""), true
	case "dt":
		return rdf.NewLiteral("2010-12-21T15:38:02-08:00", xsdDateTime, ""), true
	case "odd":
		return rdf.NewLiteral("x", "http://example.org/type", ""), true
	}
	return rdf.Term{}, false
}

// testEnv is an Env whose NOW, EXISTS, BNODE and aggregates are fixed.
func testEnv() *Env {
	return &Env{
		Now:  time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC),
		Base: "http://example.org/base/",
		Exists: func(_ context.Context, g *sparql.Group, b Binding) (bool, error) {
			return len(g.Elements) > 0, nil
		},
		Aggregate: func(a *sparql.ExprAggregate) (rdf.Term, error) {
			return rdf.NewLiteral("42", rdf.XSDInteger, ""), nil
		},
		NewBlank: func(label string) rdf.Term { return rdf.NewBlank("new" + label) },
	}
}

// show writes a term compactly for expectations: "a", "a"@en,
// "1"^^xsd:integer, <iri>, _:b; "error" for a type error.
func show(t rdf.Term, err error) string {
	if err != nil {
		if errors.Is(err, ErrType) {
			return "error"
		}
		return "fatal: " + err.Error()
	}
	switch t.Kind {
	case rdf.IRI:
		return "<" + t.Value + ">"
	case rdf.Blank:
		return "_:" + t.Value
	case rdf.Literal:
		switch {
		case t.Lang != "":
			return `"` + t.Value + `"@` + t.Lang
		case t.Datatype == rdf.XSDString:
			return `"` + t.Value + `"`
		case strings.HasPrefix(t.Datatype, rdf.XSDNS):
			return `"` + t.Value + `"^^xsd:` + strings.TrimPrefix(t.Datatype, rdf.XSDNS)
		}
		return `"` + t.Value + `"^^<` + t.Datatype + `>`
	}
	return "unbound"
}

type evalCase struct{ expr, want string }

func runEvalCases(t *testing.T, cases []evalCase) {
	t.Helper()
	env := testEnv()
	for _, c := range cases {
		e := parseExpr(t, c.expr)
		got := show(Eval(context.Background(), e, testBinding, env))
		if got != c.want {
			t.Errorf("%s = %s, want %s", c.expr, got, c.want)
		}
	}
}
