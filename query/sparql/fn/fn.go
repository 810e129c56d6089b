package fn

import (
	"context"
	"errors"
	"fmt"
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

// typeErrorf returns an error wrapping ErrType that says what was wrong.
func typeErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrType, fmt.Sprintf(format, args...))
}

// isTypeError reports whether err is a SPARQL expression error, which the
// logical operators, IF, COALESCE and IN may absorb; any other error stops
// the evaluation.
func isTypeError(err error) bool { return errors.Is(err, ErrType) }

// Eval evaluates e in the solution b. An error wrapping ErrType is a
// SPARQL expression error; any other error (a cancelled context, a failed
// EXISTS lookup) stops the query.
func Eval(ctx context.Context, e sparql.Expr, b Binding, env *Env) (rdf.Term, error) {
	if env == nil {
		env = &Env{}
	}
	ev := &evaluator{ctx: ctx, binding: b, env: env}
	return ev.eval(e)
}

// EBV is the effective boolean value of t (section 17.2.2).
func EBV(t rdf.Term) (bool, error) {
	if t.Kind != rdf.Literal {
		return false, typeErrorf("%s has no effective boolean value", describe(t))
	}
	switch {
	case t.Datatype == rdf.XSDBoolean:
		b, _ := booleanOf(t) // an invalid lexical form is false
		return b, nil
	case t.Datatype == rdf.XSDString || t.Lang != "":
		return t.Value != "", nil
	case numericDatatype(t.Datatype):
		n, ok := numberOf(t)
		return ok && !n.isNaN() && n.sign() != 0, nil
	}
	return false, typeErrorf("%s has no effective boolean value", describe(t))
}

// evaluator evaluates the expressions of one solution.
type evaluator struct {
	ctx     context.Context
	binding Binding
	env     *Env
}

func (ev *evaluator) eval(e sparql.Expr) (rdf.Term, error) {
	switch e := e.(type) {
	case *sparql.ExprTerm:
		return ev.term(e.Term)
	case *sparql.ExprBinary:
		return ev.binary(e)
	case *sparql.ExprUnary:
		return ev.unary(e)
	case *sparql.ExprIn:
		return ev.in(e)
	case *sparql.ExprCall:
		if e.Name == "" {
			return ev.callIRI(e)
		}
		return ev.builtin(e)
	case *sparql.ExprExists:
		return ev.exists(e)
	case *sparql.ExprAggregate:
		if e == nil || ev.env.Aggregate == nil {
			return rdf.Term{}, errors.New("evaluating an aggregate outside a grouped query")
		}
		return ev.env.Aggregate(e)
	}
	return rdf.Term{}, fmt.Errorf("evaluating expression: unknown node %T", e)
}

func (ev *evaluator) term(t sparql.Term) (rdf.Term, error) {
	switch t.Kind {
	case sparql.Var:
		if ev.binding != nil {
			if v, ok := ev.binding(t.Value); ok && v.Kind != 0 {
				return v, nil
			}
		}
		return rdf.Term{}, typeErrorf("?%s is unbound", t.Value)
	case sparql.IRI, sparql.Blank, sparql.Literal:
		return t.RDF(), nil
	}
	return rdf.Term{}, fmt.Errorf("evaluating expression: term of unknown kind %d", t.Kind)
}

// ebvOf evaluates e to its effective boolean value.
func (ev *evaluator) ebvOf(e sparql.Expr) (bool, error) {
	t, err := ev.eval(e)
	if err != nil {
		return false, err
	}
	return EBV(t)
}

func (ev *evaluator) binary(e *sparql.ExprBinary) (rdf.Term, error) {
	switch e.Op {
	case "||", "&&":
		return ev.logical(e)
	}
	left, err := ev.eval(e.Left)
	if err != nil {
		return rdf.Term{}, err
	}
	right, err := ev.eval(e.Right)
	if err != nil {
		return rdf.Term{}, err
	}
	switch e.Op {
	case "=", "!=", "<", ">", "<=", ">=":
		v, err := relational(e.Op, left, right)
		if err != nil {
			return rdf.Term{}, err
		}
		return boolTerm(v), nil
	case "+", "-", "*", "/":
		a, okA := numberOf(left)
		b, okB := numberOf(right)
		if !okA || !okB {
			return rdf.Term{}, typeErrorf("%s %s %s: both must be numbers", describe(left), e.Op, describe(right))
		}
		n, err := arithmetic(e.Op, a, b)
		if err != nil {
			return rdf.Term{}, err
		}
		return n.term(), nil
	}
	return rdf.Term{}, fmt.Errorf("evaluating expression: unknown operator %q", e.Op)
}

// logical evaluates || and && with the three-valued logic of section
// 17.2: an error on one side is absorbed when the other side decides.
func (ev *evaluator) logical(e *sparql.ExprBinary) (rdf.Term, error) {
	decisive := e.Op == "||" // true decides ||, false decides &&
	l, errL := ev.ebvOf(e.Left)
	if errL != nil && !isTypeError(errL) {
		return rdf.Term{}, errL
	}
	if errL == nil && l == decisive {
		return boolTerm(decisive), nil
	}
	r, errR := ev.ebvOf(e.Right)
	switch {
	case errR != nil && !isTypeError(errR):
		return rdf.Term{}, errR
	case errR == nil && r == decisive:
		return boolTerm(decisive), nil
	case errL != nil:
		return rdf.Term{}, errL
	case errR != nil:
		return rdf.Term{}, errR
	}
	return boolTerm(!decisive), nil
}

func (ev *evaluator) unary(e *sparql.ExprUnary) (rdf.Term, error) {
	if e.Op == "!" {
		v, err := ev.ebvOf(e.Arg)
		if err != nil {
			return rdf.Term{}, err
		}
		return boolTerm(!v), nil
	}
	t, err := ev.eval(e.Arg)
	if err != nil {
		return rdf.Term{}, err
	}
	n, ok := numberOf(t)
	if !ok {
		return rdf.Term{}, typeErrorf("%s%s: not a number", e.Op, describe(t))
	}
	switch e.Op {
	case "+":
		return n.term(), nil
	case "-":
		return n.negate().term(), nil
	}
	return rdf.Term{}, fmt.Errorf("evaluating expression: unknown unary operator %q", e.Op)
}

// in evaluates IN as a disjunction of = and NOT IN as a conjunction of
// != (section 17.4.1.9): a match decides, otherwise an error wins over
// false.
func (ev *evaluator) in(e *sparql.ExprIn) (rdf.Term, error) {
	arg, err := ev.eval(e.Arg)
	if err != nil {
		return rdf.Term{}, err
	}
	var firstErr error
	for _, item := range e.List {
		t, err := ev.eval(item)
		var eq bool
		if err == nil {
			eq, err = Equal(arg, t)
		}
		switch {
		case err != nil && !isTypeError(err):
			return rdf.Term{}, err
		case err != nil:
			if firstErr == nil {
				firstErr = err
			}
		case eq:
			return boolTerm(!e.Not), nil
		}
	}
	if firstErr != nil {
		return rdf.Term{}, firstErr
	}
	return boolTerm(e.Not), nil
}

func (ev *evaluator) exists(e *sparql.ExprExists) (rdf.Term, error) {
	if ev.env.Exists == nil {
		return rdf.Term{}, errors.New("evaluating EXISTS: no pattern evaluator")
	}
	if err := ev.ctx.Err(); err != nil {
		return rdf.Term{}, fmt.Errorf("evaluating EXISTS: %w", err)
	}
	b := ev.binding
	if b == nil {
		b = func(string) (rdf.Term, bool) { return rdf.Term{}, false }
	}
	found, err := ev.env.Exists(ev.ctx, e.Group, b)
	if err != nil {
		return rdf.Term{}, fmt.Errorf("evaluating EXISTS: %w", err)
	}
	return boolTerm(found != e.Not), nil
}

// args evaluates every argument; the first error is the call's.
func (ev *evaluator) args(exprs []sparql.Expr) ([]rdf.Term, error) {
	out := make([]rdf.Term, len(exprs))
	for i, e := range exprs {
		t, err := ev.eval(e)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

// callIRI evaluates a function called by IRI: the XSD casts. Any other
// function is unknown, which is a type error (section 17.6).
func (ev *evaluator) callIRI(e *sparql.ExprCall) (rdf.Term, error) {
	if !isCast(e.IRI) {
		return rdf.Term{}, typeErrorf("unknown function <%s>", e.IRI)
	}
	if len(e.Args) != 1 {
		return rdf.Term{}, typeErrorf("cast to <%s> takes 1 argument, found %d", e.IRI, len(e.Args))
	}
	arg, err := ev.eval(e.Args[0])
	if err != nil {
		return rdf.Term{}, err
	}
	return cast(e.IRI, arg)
}

func boolTerm(b bool) rdf.Term {
	if b {
		return rdf.NewLiteral("true", rdf.XSDBoolean, "")
	}
	return rdf.NewLiteral("false", rdf.XSDBoolean, "")
}

func stringTerm(s string) rdf.Term { return rdf.NewLiteral(s, rdf.XSDString, "") }

// describe writes t briefly for error messages.
func describe(t rdf.Term) string {
	v := t.Value
	if r := []rune(v); len(r) > 40 {
		v = string(r[:40]) + "..."
	}
	switch t.Kind {
	case rdf.IRI:
		return "<" + v + ">"
	case rdf.Blank:
		return "_:" + v
	case rdf.Literal:
		switch {
		case t.Lang != "":
			return fmt.Sprintf("%q@%s", v, t.Lang)
		case t.Datatype == rdf.XSDString:
			return fmt.Sprintf("%q", v)
		}
		return fmt.Sprintf("%q^^<%s>", v, t.Datatype)
	}
	return "an unbound value"
}
