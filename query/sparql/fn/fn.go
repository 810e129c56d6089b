package fn

import (
	"context"
	"errors"
	"time"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
)

// Binding gives a variable's value in the solution being evaluated; ok is
// false when the variable is unbound.
type Binding func(name string) (t rdf.Term, ok bool)

// Env is what an expression needs beyond its solution. One Env serves one
// query (NOW() is the same throughout); NewBlank and Aggregate change per
// solution or group.
type Env struct {
	// Now is the value of NOW() for the whole query.
	Now time.Time
	// Base is the query's base IRI, against which IRI() resolves relative
	// IRIs; empty for none.
	Base string
	// Exists evaluates [NOT] EXISTS: whether group has a solution
	// compatible with b. Nil makes EXISTS an error.
	Exists func(ctx context.Context, group *sparql.Group, b Binding) (bool, error)
	// Aggregate gives an aggregate's value for the current group (HAVING,
	// SELECT and ORDER BY expressions of a grouped query). Nil makes an
	// aggregate an error.
	Aggregate func(a *sparql.ExprAggregate) (rdf.Term, error)
	// NewBlank returns the blank node BNODE(label) names within the current
	// solution (the same label gives the same node in one solution, a new
	// one in the next); label is "" for BNODE().
	NewBlank func(label string) rdf.Term
}

// ErrType is the SPARQL type error (section 17.3): an expression without
// a value. FILTER treats it as false, BIND leaves the variable unbound.
var ErrType = errors.New("type error")

// Eval evaluates e in the solution b. An error wrapping ErrType is a
// SPARQL expression error; any other error (a cancelled context, a failed
// EXISTS lookup) stops the query.
func Eval(ctx context.Context, e sparql.Expr, b Binding, env *Env) (rdf.Term, error) {
	return rdf.Term{}, errors.New("fn.Eval: not implemented")
}

// EBV is the effective boolean value of t (section 17.2.2).
func EBV(t rdf.Term) (bool, error) { return false, errors.New("fn.EBV: not implemented") }

// OrderCompare orders two optional terms for ORDER BY (section 15.1):
// unbound first, then blank nodes, IRIs and literals, comparable literals
// by value. It is a total order, so sorting with it is deterministic.
func OrderCompare(a, b *rdf.Term) int { return 0 }

// Accumulator computes one aggregate over a group's solutions.
type Accumulator interface {
	// Add adds the value of the aggregate's argument in one solution
	// (err wraps ErrType when the argument had no value there; COUNT(*)
	// passes a zero Term).
	Add(t rdf.Term, err error)
	// Result is the aggregate's value; an error wrapping ErrType leaves it
	// unbound.
	Result() (rdf.Term, error)
}

// NewAccumulator returns an accumulator for a, honouring DISTINCT and
// GROUP_CONCAT's separator.
func NewAccumulator(a *sparql.ExprAggregate) Accumulator { return nil }
