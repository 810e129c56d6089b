package fn

import (
	"context"
	"testing"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
)

// FuzzEval checks that no parsed expression makes Eval, EBV, OrderCompare
// or an accumulator panic, and that an expression either has a value or
// fails.
func FuzzEval(f *testing.F) {
	for _, s := range []string{
		"1 / 3 + ?int * 2.5e0",
		`REPLACE(?en, "(a)(b)?", "$2$1$10", "ix")`,
		`SUBSTR("\U0001D400bc", -1.5, "NaN"^^xsd:double)`,
		`xsd:integer("1e400"^^xsd:double) IN (1, ?unbound, 1/0)`,
		`IF(?dt < "2010-12-21T15:38:02"^^xsd:dateTime, TZ(?dt), TIMEZONE(NOW()))`,
		`COALESCE(STRDT(?str, ex:t), STRLANG(?str, "x-y"), BNODE(?str))`,
		`REGEX(?str, "[\\w-[a]]|\\p{IsGreek}|(?i)a{2,1}")`,
		`ROUND("-0.5"^^xsd:float) = CEIL(?odd) || !EXISTS { ?s ?p ?o }`,
		`COUNT(DISTINCT ?x) + SUM(?y) / AVG(?z)`,
		`xsd:decimal("1e-400"^^xsd:double) * 99999999999999999999999`,
		`ENCODE_FOR_URI(LCASE(UCASE(CONCAT(?en, "\u0000"))))`,
	} {
		f.Add(s)
	}
	env := testEnv()
	aggs := []string{"COUNT", "SUM", "AVG", "MIN", "MAX", "SAMPLE", "GROUP_CONCAT"}
	f.Fuzz(func(t *testing.T, expr string) {
		q, err := sparql.ParseQuery(testPrologue+"SELECT ("+expr+" AS ?result) {}", "")
		if err != nil || len(q.Projection) != 1 || q.Projection[0].Expr == nil {
			return
		}
		v, err := Eval(context.Background(), q.Projection[0].Expr, testBinding, env)
		if (err == nil) == (v.Kind == 0) {
			t.Fatalf("Eval(%s) = %v, %v: want a value or an error", expr, v, err)
		}
		if err != nil {
			return
		}
		EBV(v)
		if c := Canonical(v); Canonical(c) != c {
			t.Fatalf("Canonical is not idempotent on %v: %v then %v", v, c, Canonical(c))
		}
		if OrderCompare(&v, &v) != 0 {
			t.Fatalf("%v is not equal to itself", v)
		}
		for _, name := range aggs {
			for _, distinct := range []bool{false, true} {
				acc := NewAccumulator(&sparql.ExprAggregate{Name: name, Distinct: distinct, Separator: ","})
				acc.Add(v, nil)
				acc.Add(v, nil)
				acc.Add(rdf.Term{}, ErrType)
				acc.Result()
			}
		}
	})
}
