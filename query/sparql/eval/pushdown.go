package eval

import (
	"strings"

	"github.com/akutan-dev/akutan/query/sparql"
)

// pushedCmp is a conjunct of a FILTER that compares a variable with a
// literal, "?v Op Value", as a hint for the lookups that bind ?v.
type pushedCmp struct {
	op    string
	value sparql.Term
}

// flipped is the operator of "b op a" for "a op b".
var flipped = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}

// objectFilters finds the conjuncts of exprs (a FILTER's expressions, all
// of which a solution must pass) of the form "?v OP literal" or "literal
// OP ?v" with OP one of < <= > >= =, by variable. A solution the FILTER
// keeps binds ?v to a term for which each of them holds, so a lookup that
// binds ?v need only find such terms. Nested && are conjuncts too;
// anything else (||, !, functions) is left to the FILTER alone.
func objectFilters(exprs []sparql.Expr) map[string][]pushedCmp {
	var out map[string][]pushedCmp
	var walk func(x sparql.Expr)
	walk = func(x sparql.Expr) {
		b, ok := x.(*sparql.ExprBinary)
		if !ok {
			return
		}
		if b.Op == "&&" {
			walk(b.Left)
			walk(b.Right)
			return
		}
		op, ok := flipped[b.Op]
		if !ok {
			return
		}
		l, lok := b.Left.(*sparql.ExprTerm)
		r, rok := b.Right.(*sparql.ExprTerm)
		if !lok || !rok {
			return
		}
		switch {
		case l.Term.Kind == sparql.Var && r.Term.Kind == sparql.Literal:
			op = b.Op
		case r.Term.Kind == sparql.Var && l.Term.Kind == sparql.Literal:
			l, r = r, l
		default:
			return
		}
		if out == nil {
			out = map[string][]pushedCmp{}
		}
		out[l.Term.Value] = append(out[l.Term.Value], pushedCmp{op: op, value: r.Term})
	}
	for _, x := range exprs {
		walk(x)
	}
	return out
}

// objectFilter is the hint for a triple pattern of a BGP under a FILTER
// with the conjuncts cmps: those about its object, when the object is a
// variable and the predicate a constant IRI (a property path, or a
// variable predicate, gets none).
func objectFilter(t sparql.TriplePattern, cmps map[string][]pushedCmp) []Comparison {
	if len(cmps) == 0 || t.Path != nil || t.Predicate.Kind != sparql.IRI || t.Object.Kind != sparql.Var {
		return nil
	}
	var out []Comparison
	for _, c := range cmps[t.Object.Value] {
		out = append(out, Comparison{Op: c.op, Value: c.value.RDF()})
	}
	return out
}

// formatObjectFilter is how Explain shows the hint of a pattern.
func formatObjectFilter(t sparql.TriplePattern, cmps map[string][]pushedCmp) string {
	if objectFilter(t, cmps) == nil {
		return ""
	}
	parts := make([]string, 0, len(cmps[t.Object.Value]))
	for _, c := range cmps[t.Object.Value] {
		parts = append(parts, "?"+t.Object.Value+" "+c.op+" "+formatTerm(c.value))
	}
	return "  [object filter " + strings.Join(parts, " && ") + "]"
}
