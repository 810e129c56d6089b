package engine

import (
	"fmt"

	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
)

// term is a resolved quad field: a variable (Var >= 0) or a constant.
type term struct {
	Var int
	Val storage.Object
}

func (t term) isVar() bool { return t.Var >= 0 }

// noTerm marks an absent fact-ID field.
var noTerm = term{Var: -1}

// pattern is a resolved quad: a fact pattern (Op == 0) or an operator.
type pattern struct {
	pos      parser.Position
	ID       term
	hasID    bool
	S, P, O  term
	Op       parser.Op
	Set      []term // Op == OpIn
	Optional bool
	// missing means a constant names an entity that does not exist, so the
	// pattern matches nothing.
	missing bool
}

// plan is a query ready to run: its variables and its ordered steps.
type plan struct {
	vars  []string
	steps []*pattern
}

// compiler turns AST quads into patterns, numbering variables in order of
// first appearance (the column order of SELECT *).
type compiler struct {
	names map[string]uint64
	vars  []string
	index map[string]int
}

func (c *compiler) variable(name string) term {
	if i, ok := c.index[name]; ok {
		return term{Var: i}
	}
	c.index[name] = len(c.vars)
	c.vars = append(c.vars, name)
	return term{Var: len(c.vars) - 1}
}

// term resolves one field; ok is false when it names a missing entity.
func (c *compiler) term(t parser.Term) (out term, ok bool, err error) {
	switch v := t.(type) {
	case *parser.Variable:
		return c.variable(v.Name), true, nil
	case *parser.Entity:
		kid, found := c.names[v.Name]
		return term{Var: -1, Val: storage.AEntity(kid)}, found, nil
	case *parser.KID:
		return term{Var: -1, Val: storage.AEntity(v.ID)}, true, nil
	case *parser.Literal:
		val := v.Value
		if v.Unit != nil {
			unit, found, err := c.term(v.Unit)
			if err != nil || !found {
				return term{Var: -1, Val: val}, found, err
			}
			val.Unit = unit.Val.Entity
		}
		return term{Var: -1, Val: val}, true, nil
	}
	return noTerm, false, fmt.Errorf("unexpected %T in a query", t)
}

func (c *compiler) quad(q *parser.Quad) (*pattern, error) {
	p := &pattern{pos: q.Pos, ID: noTerm, Optional: q.Optional}
	ok := true
	resolve := func(t parser.Term) term {
		out, found, err := c.term(t)
		if err != nil && ok {
			ok = false
		}
		if !found {
			p.missing = true
		}
		return out
	}
	if q.ID != nil {
		p.ID, p.hasID = resolve(q.ID), true
	}
	p.S = resolve(q.Subject)
	if op, isOp := q.Predicate.(*parser.Operator); isOp {
		p.Op = op.Op
	} else {
		p.P = resolve(q.Predicate)
	}
	if set, isSet := q.Object.(*parser.Set); isSet {
		p.Set = c.set(set)
	} else {
		p.O = resolve(q.Object)
	}
	if !ok {
		return nil, fmt.Errorf("%s: pattern has a term the engine cannot use", q.Pos)
	}
	return p, nil
}

// set resolves a set literal, dropping entities that do not exist.
func (c *compiler) set(s *parser.Set) []term {
	var out []term
	for _, v := range s.Values {
		if t, found, err := c.term(v); err == nil && found && !t.isVar() {
			out = append(out, t)
		}
	}
	return out
}

// compile resolves the query's patterns and orders them.
func compile(q *parser.Query, names map[string]uint64) (*plan, error) {
	c := &compiler{names: names, index: map[string]int{}}
	var patterns []*pattern
	for _, quad := range q.Where {
		p, err := c.quad(quad)
		if err != nil {
			return nil, err
		}
		patterns = append(patterns, p)
	}
	steps, err := order(patterns, len(c.vars))
	if err != nil {
		return nil, err
	}
	return &plan{vars: c.vars, steps: steps}, nil
}

// namesIn lists the external names a query mentions.
func namesIn(q *parser.Query) []string {
	var names []string
	var visit func(t parser.Term)
	visit = func(t parser.Term) {
		switch v := t.(type) {
		case *parser.Entity:
			names = append(names, v.Name)
		case *parser.Literal:
			if v.Unit != nil {
				visit(v.Unit)
			}
		case *parser.Set:
			for _, x := range v.Values {
				visit(x)
			}
		}
	}
	for _, quad := range q.Where {
		for _, t := range []parser.Term{quad.ID, quad.Subject, quad.Predicate, quad.Object} {
			if t != nil {
				visit(t)
			}
		}
	}
	return names
}
