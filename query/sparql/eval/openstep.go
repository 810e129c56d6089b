package eval

import (
	"context"
	"math/bits"
	"slices"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
)

// lookupCost is what one lookup costs, in matches: a lookup costs about
// as much as streaming this many more matches through a join. On LUBM-10
// in akutan local a point lookup costs about 10 µs of CPU all told (LUBM's
// Q2: 14 ms for 1,351 lookups); a match is a map probe and a solution, a
// microsecond or so. The ratio is a judgement, not a fit: it only has to
// tell 135 lookups from one.
const lookupCost = 8

// An open step looks up its pattern with some of the variables its
// solutions bind left out (open), once per distinct value of the others,
// and joins each match with the waiting solutions that agree with it on
// the open variables, through a hash of their values: the hash join of an
// index nested loop join. Where few lookups finding more matches cost less
// than a lookup per distinct value, it wins: LUBM's Q2 checks the type of
// 135 departments, one lookup each, where one lookup finds all 189
// departments; and it checks 221 department-university pairs, where ten
// lookups find the departments of its ten universities. chooseOpen picks
// the open variables by the Graph's estimates (lookups times lookupCost
// plus estimated matches, for each choice); a Graph without estimates
// gets a lookup per distinct solution, every bound variable substituted.

// stepValues numbers the values that a batch of solutions gives the
// variables a step's lookup could substitute, so that grouping the
// solutions by a choice of them hashes small integers, not terms.
type stepValues struct {
	terms [3]sparql.Term // the step's subject, predicate and object
	bound []string       // its variables every solution binds (at most 3)
	ids   []map[rdf.Term]int32
	rows  [][3]int32 // per solution, the number of its value of bound[j]
}

// newStepValues returns the numbered values of buf for step, whose
// variables the first solution binds are bound (boundVars), or nil when
// there are none or the solutions do not all bind the same ones (the left
// side of an OPTIONAL may leave some unbound).
func newStepValues(step sparql.TriplePattern, buf []tagged, bound []string) *stepValues {
	sv := &stepValues{terms: [3]sparql.Term{step.Subject, step.Predicate, step.Object}, bound: bound}
	if len(sv.bound) == 0 {
		return nil
	}
	sv.ids = make([]map[rdf.Term]int32, len(sv.bound))
	for j := range sv.ids {
		sv.ids[j] = map[rdf.Term]int32{}
	}
	sv.rows = make([][3]int32, len(buf))
	for i, in := range buf {
		for _, t := range sv.terms {
			if v, ok := patternVar(t); ok {
				if _, ok := in.b[v]; ok != slices.Contains(sv.bound, v) {
					return nil
				}
			}
		}
		for j, v := range sv.bound {
			val := in.b[v]
			id, ok := sv.ids[j][val]
			if !ok {
				id = int32(len(sv.ids[j]))
				sv.ids[j][val] = id
			}
			sv.rows[i][j] = id
		}
	}
	return sv
}

// key is row projected on the bound variables that mask selects (the
// others -1).
func key(row [3]int32, mask int) [3]int32 {
	out := [3]int32{-1, -1, -1}
	for j := range 3 {
		if mask&(1<<j) != 0 {
			out[j] = row[j]
		}
	}
	return out
}

// distinct counts the solutions' distinct values of the bound variables
// that mask selects.
func (sv *stepValues) distinct(mask int) int {
	switch bits.OnesCount(uint(mask)) {
	case 0:
		return 1
	case 1: // what numbering counted
		return len(sv.ids[bits.TrailingZeros(uint(mask))])
	}
	seen := make(map[[3]int32]struct{}, len(sv.rows))
	for _, row := range sv.rows {
		seen[key(row, mask)] = struct{}{}
	}
	return len(seen)
}

// chooseOpen returns the numbered values of buf for step and the mask
// of their variables (sv.bound) that step's lookups should leave open;
// 0: none (substitute all).
func (c *chain) chooseOpen(ctx context.Context, step sparql.TriplePattern, buf []tagged) (sv *stepValues, open int) {
	est, ok := c.e.g.(Estimator)
	if !ok || len(buf) < 2 {
		return nil, 0
	}
	bound := boundVars(step, buf[0].b)
	if len(bound) == 0 {
		return nil, 0
	}
	all := 1<<len(bound) - 1
	constants := constantTerms([]sparql.TriplePattern{step})[0]
	perLookup := make([]float64, all+1) // by mask of open variables
	for open := range perLookup {
		inLookup := func(t sparql.Term) bool {
			v, ok := patternVar(t)
			j := slices.Index(bound, v)
			return ok && j >= 0 && open&(1<<j) == 0
		}
		b := Bound{S: inLookup(step.Subject), P: inLookup(step.Predicate), O: inLookup(step.Object)}
		perLookup[open] = lookupCost + est.Estimate(ctx, constants, b)
	}
	// Numbering the values costs a map probe per solution: skip it when
	// even a single lookup with variables left open would cost more than
	// a lookup per solution with none (LUBM's Q2 checks 297 students'
	// type, where leaving the student open finds every graduate student).
	if slices.Min(perLookup[1:]) >= float64(len(buf))*perLookup[0] {
		return nil, 0
	}
	if sv = newStepValues(step, buf, bound); sv == nil {
		return nil, 0
	}
	best, bestCost := 0, 0.0
	for open, cost := range perLookup {
		cost *= float64(sv.distinct(all &^ open))
		if open == 0 || cost < bestCost {
			best, bestCost = open, cost
		}
	}
	return sv, best
}

// boundVars lists step's variables that b binds, each once, in the order
// of the step's positions (as stepValues numbers them).
func boundVars(step sparql.TriplePattern, b binding) []string {
	var bound []string
	for _, v := range stepVars(step) {
		if _, ok := b[v]; ok {
			bound = append(bound, v)
		}
	}
	return bound
}

// flushOpen runs step k for buf with the bound variables that open
// selects (a chooseOpen mask) left out of its lookups: one lookup per
// distinct value of the others, each match joined through a hash with
// the solutions that agree with it on the open ones.
func (c *chain) flushOpen(ctx context.Context, k int, buf []tagged, sv *stepValues, open int) error {
	step := c.steps[k]
	all := 1<<len(sv.bound) - 1
	// groupKey is a lookup (its substituted values) and the values of the
	// open variables.
	type groupKey struct {
		lookup int
		open   [3]int32
	}
	lookupOf := map[[3]int32]int{}
	members := map[groupKey][]int{}
	var patterns []Pattern
	for i, in := range buf {
		lk := key(sv.rows[i], all&^open)
		g, ok := lookupOf[lk]
		if !ok {
			g = len(patterns)
			lookupOf[lk] = g
			p := Pattern{}
			for pos, t := range sv.terms {
				term := substitute(t, in.b)
				if v, ok := patternVar(t); ok {
					if j := slices.Index(sv.bound, v); j >= 0 && open&(1<<j) != 0 {
						term = nil
					}
				}
				switch pos {
				case 0:
					p.S = term
				case 1:
					p.P = term
				default:
					p.O = term
				}
			}
			if v, ok := patternVar(step.Object); ok && p.O == nil && !slices.Contains(sv.bound, v) {
				p.ObjectFilter = objectFilter(step, c.filters)
			}
			patterns = append(patterns, p)
		}
		gk := groupKey{lookup: g, open: key(sv.rows[i], open)}
		members[gk] = append(members[gk], i)
	}
	return c.match(ctx, patterns, func(g int, t rdf.Triple) error {
		if g < 0 || g >= len(patterns) {
			return nil
		}
		gk := groupKey{lookup: g, open: [3]int32{-1, -1, -1}}
		matched := [3]rdf.Term{t.S, t.P, t.O}
		for pos, pt := range sv.terms {
			v, ok := patternVar(pt)
			if !ok {
				continue
			}
			j := slices.Index(sv.bound, v)
			if j < 0 || open&(1<<j) == 0 {
				continue
			}
			id, ok := sv.ids[j][matched[pos]]
			if !ok {
				return nil // no waiting solution has that value
			}
			gk.open[j] = id
		}
		for _, i := range members[gk] {
			b, ok := bindTriple(buf[i].b, step, t)
			if !ok {
				continue
			}
			if err := c.push(ctx, k+1, tagged{tag: buf[i].tag, b: b}); err != nil {
				return err
			}
		}
		return nil
	})
}
