package fn_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
	"github.com/akutan-dev/akutan/query/sparql/fn"
)

func ExampleEval() {
	q, err := sparql.ParseQuery(`SELECT ((?x + 1) / 2 AS ?half) (?x + ?missing AS ?err) {}`, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	solution := func(name string) (rdf.Term, bool) {
		if name == "x" {
			return rdf.NewLiteral("2", rdf.XSDInteger, ""), true
		}
		return rdf.Term{}, false
	}
	env := &fn.Env{}
	for _, p := range q.Projection {
		v, err := fn.Eval(context.Background(), p.Expr, solution, env)
		switch {
		case errors.Is(err, fn.ErrType):
			fmt.Printf("?%s unbound: %v\n", p.Var, err)
		case err != nil: // not a SPARQL error: stop the query
			fmt.Println(err)
			return
		default:
			fmt.Printf("?%s = %q^^<%s>\n", p.Var, v.Value, v.Datatype)
		}
	}
	// Output:
	// ?half = "1.5"^^<http://www.w3.org/2001/XMLSchema#decimal>
	// ?err unbound: type error: ?missing is unbound
}
