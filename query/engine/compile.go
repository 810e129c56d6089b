package engine

import (
	"fmt"

	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/query/planner"
	"github.com/akutan-dev/akutan/storage"
)

// compiled is a query with its names resolved, ready to plan.
type compiled struct {
	pq *planner.Query
	// facts lists the fact patterns in query order (for the bare form's
	// columns).
	facts []*planner.Pattern
	kids  map[uint64]string // constant KIDs to the names the query used
}

// compiler turns AST quads into planner patterns, numbering variables in
// order of first appearance (the column order of SELECT *).
type compiler struct {
	names map[string]uint64
	kids  map[uint64]string
	q     *planner.Query
	index map[string]int
}

func (c *compiler) variable(name string) planner.Term {
	if i, ok := c.index[name]; ok {
		return planner.Variable(i)
	}
	c.index[name] = len(c.q.Vars)
	c.q.Vars = append(c.q.Vars, name)
	return planner.Variable(len(c.q.Vars) - 1)
}

// hidden adds a variable no query text can name.
func (c *compiler) hidden() planner.Term {
	v := len(c.q.Vars)
	c.q.Vars = append(c.q.Vars, fmt.Sprintf(" id%d", v))
	c.q.Hidden = c.q.Hidden.With(v)
	return planner.Variable(v)
}

// term resolves one field; found is false when it names a missing entity.
func (c *compiler) term(t parser.Term) (out planner.Term, found bool, err error) {
	switch v := t.(type) {
	case *parser.Variable:
		return c.variable(v.Name), true, nil
	case *parser.Entity:
		kid, ok := c.names[v.Name]
		if ok {
			c.kids[kid] = v.Name
		}
		return planner.Constant(storage.AEntity(kid)), ok, nil
	case *parser.KID:
		return planner.Constant(storage.AEntity(v.ID)), true, nil
	case *parser.Literal:
		val := v.Value
		if v.Unit != nil {
			unit, ok, err := c.term(v.Unit)
			if err != nil || !ok {
				return planner.Constant(val), ok, err
			}
			val.Unit = unit.Val.Entity
		}
		return planner.Constant(val), true, nil
	}
	return planner.Absent(), false, fmt.Errorf("unexpected %T in a query", t)
}

func (c *compiler) quad(q *parser.Quad, hideID bool) (*planner.Pattern, error) {
	// Every field starts absent: a comparison has no predicate, and a set
	// no object, and a zero Term would be variable 0.
	p := &planner.Pattern{Pos: q.Pos, ID: planner.Absent(), P: planner.Absent(), O: planner.Absent(), Optional: q.Optional}
	var firstErr error
	resolve := func(t parser.Term) planner.Term {
		out, found, err := c.term(t)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		if !found {
			p.Missing = true
		}
		return out
	}
	if q.ID != nil {
		p.ID, p.UserID = resolve(q.ID), true
	}
	p.S = resolve(q.Subject)
	if op, isOp := q.Predicate.(*parser.Operator); isOp {
		p.Op = op.Op
	} else {
		p.P = resolve(q.Predicate)
	}
	if set, isSet := q.Object.(*parser.Set); isSet {
		p.Set = c.set(set)
		p.Missing = false // missing members are dropped; an empty set matches nothing
	} else {
		p.O = resolve(q.Object)
	}
	if firstErr != nil {
		return nil, fmt.Errorf("%s: %w", q.Pos, firstErr)
	}
	if hideID && p.IsFact() && q.ID == nil {
		p.ID = c.hidden()
	}
	return p, nil
}

// set resolves a set literal, dropping entities that do not exist.
func (c *compiler) set(s *parser.Set) []storage.Object {
	var out []storage.Object
	for _, v := range s.Values {
		if t, found, err := c.term(v); err == nil && found && !t.IsVar() {
			out = append(out, t.Val)
		}
	}
	return out
}

// compile resolves the query's patterns. The bare form gets a hidden
// fact-ID variable on every pattern without one, to report fact IDs.
func compile(q *parser.Query, names map[string]uint64) (*compiled, error) {
	c := &compiler{names: names, kids: map[uint64]string{}, q: &planner.Query{}, index: map[string]int{}}
	out := &compiled{pq: c.q, kids: c.kids}
	for _, quad := range q.Where {
		p, err := c.quad(quad, q.Form == parser.FormFacts)
		if err != nil {
			return nil, err
		}
		c.q.Patterns = append(c.q.Patterns, p)
		if p.IsFact() {
			out.facts = append(out.facts, p)
		}
	}
	return out, nil
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
