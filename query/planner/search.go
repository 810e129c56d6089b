package planner

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/akutan-dev/akutan/query/parser"
)

// maxExhaustive is the largest number of required patterns planned by
// trying every join order; beyond it the search is greedy.
const maxExhaustive = 10

// relation is one input of the join search: a required fact pattern, or
// an <in> comparison on a variable that optional patterns alone do not
// bind (it enumerates its set, or filters when joined after its variable
// is bound).
type relation struct {
	p    *Pattern
	vars VarSet // the variables it shares with others (hidden ones left out)
}

// candidate is the cheapest plan found for a group of relations.
type candidate struct {
	node    *Node
	applied VarSet // the comparisons (by number) it already applies
}

// planner holds one planning run.
type planner struct {
	q        *Query
	st       *Stats
	rels     []relation
	cmps     []*Pattern // comparisons for the required part, by number
	optional []*Pattern
	memo     map[uint64]*candidate
	card     map[uint64]float64
}

// Plan chooses the cheapest plan for q. st may be nil.
func Plan(q *Query, st *Stats) (*Node, error) {
	pl := &planner{q: q, st: st, memo: map[uint64]*candidate{}, card: map[uint64]float64{}}
	if err := pl.classify(); err != nil {
		return nil, err
	}
	root, applied, err := pl.required()
	if err != nil {
		return nil, err
	}
	if root, err = pl.addOptional(root); err != nil {
		return nil, err
	}
	return pl.selectRest(root, applied), nil
}

// classify sorts the patterns into relations, comparisons and optional
// patterns, and checks that every comparison's variables get bound.
func (pl *planner) classify() error {
	var required, optionalVars VarSet
	for _, p := range pl.q.Patterns {
		switch {
		case p.IsFact() && p.Optional:
			pl.optional = append(pl.optional, p)
			optionalVars = optionalVars.Union(p.Vars())
		case p.IsFact():
			pl.rels = append(pl.rels, relation{p: p, vars: p.Vars().Minus(pl.q.Hidden)})
			required = required.Union(p.Vars())
		}
	}
	for _, p := range pl.q.Patterns {
		if p.IsFact() {
			continue
		}
		v := p.Vars()
		switch {
		case p.Op == parser.OpIn && p.S.IsVar() && (required.Has(p.S.Var) || !optionalVars.Has(p.S.Var)):
			// A set can filter, or drive lookups of the patterns that use
			// its variable: the join search decides.
			pl.rels = append(pl.rels, relation{p: p, vars: v})
			required = required.Union(v)
		case !v.SubsetOf(required.Union(optionalVars)):
			missing := v.Minus(required.Union(optionalVars)).Members()[0]
			return &Error{Pos: p.Pos, Msg: fmt.Sprintf("the comparison's variable ?%s is not bound by any fact pattern", pl.q.Vars[missing])}
		default:
			pl.cmps = append(pl.cmps, p)
		}
	}
	if len(pl.rels) > 63 {
		return &Error{Pos: pl.rels[63].p.Pos, Msg: "too many patterns: a query may have at most 63 required patterns"}
	}
	return nil
}

// required plans the join of the required relations.
func (pl *planner) required() (*Node, VarSet, error) {
	if len(pl.rels) == 0 {
		return &Node{Op: OpUnit, EstRows: 1}, VarSet{}, nil
	}
	full := uint64(1)<<len(pl.rels) - 1
	var c *candidate
	if len(pl.rels) <= maxExhaustive {
		c = pl.best(full)
	} else {
		c = pl.greedy()
	}
	if c == nil {
		return nil, VarSet{}, pl.unreachable()
	}
	return c.node, c.applied, nil
}

// unreachable explains why no plan exists: some pattern can never have
// its subject or predicate known.
func (pl *planner) unreachable() error {
	for i, r := range pl.rels {
		others := VarSet{}
		for j, o := range pl.rels {
			if j != i {
				others = others.Union(o.vars)
			}
		}
		if _, ok := pl.access(r.p, others, 1); !ok && r.p.IsFact() {
			return &Error{Pos: r.p.Pos, Msg: needsKnown}
		}
	}
	return &Error{Pos: pl.rels[0].p.Pos, Msg: "no plan can look up these patterns: " + needsKnown}
}

const needsKnown = "this pattern needs a known subject or predicate: a constant, or a variable bound by another (non-optional) pattern; " +
	"the views find facts by subject or by predicate, not by object or fact ID alone"

// vars returns the shared variables of a group of relations.
func (pl *planner) vars(mask uint64) VarSet {
	var s VarSet
	for m := mask; m != 0; m &= m - 1 {
		s = s.Union(pl.rels[bits.TrailingZeros64(m)].vars)
	}
	return s
}

// bound returns every variable a group binds, hidden ones included.
func (pl *planner) bound(mask uint64) VarSet {
	var s VarSet
	for m := mask; m != 0; m &= m - 1 {
		s = s.Union(pl.rels[bits.TrailingZeros64(m)].p.Vars())
	}
	return s
}

// best returns the cheapest plan for a group, memoized.
func (pl *planner) best(mask uint64) *candidate {
	if c, ok := pl.memo[mask]; ok {
		return c
	}
	var c *candidate
	if bits.OnesCount64(mask) == 1 {
		c = pl.leaf(bits.TrailingZeros64(mask))
	} else {
		c = pl.join(mask, false)
		if c == nil {
			c = pl.join(mask, true) // a disconnected group: allow cross products
		}
	}
	pl.memo[mask] = c
	return c
}

// join finds the cheapest way to build a group from two smaller ones:
// extending one by a relation through a loop join, or hash-joining any
// two parts.
func (pl *planner) join(mask uint64, cross bool) *candidate {
	var best *candidate
	consider := func(c *candidate) {
		if c != nil && (best == nil || c.node.EstCost < best.node.EstCost) {
			best = c
		}
	}
	for m := mask; m != 0; m &= m - 1 {
		r := bits.TrailingZeros64(m)
		left := mask &^ (1 << r)
		if lc := pl.best(left); lc != nil && (cross || pl.connected(left, 1<<r)) {
			consider(pl.loopJoin(mask, lc, r))
		}
	}
	low := mask & -mask
	rest := mask &^ low
	for sub := rest; ; sub = (sub - 1) & rest {
		a := low | sub
		b := mask &^ a
		if b != 0 && (cross || pl.connected(a, b)) {
			if ac, bc := pl.best(a), pl.best(b); ac != nil && bc != nil {
				consider(pl.hashJoin(mask, ac, bc, false))
			}
		}
		if sub == 0 {
			break
		}
	}
	return best
}

func (pl *planner) connected(a, b uint64) bool {
	return !pl.vars(a).Intersect(pl.vars(b)).Empty()
}

// leaf plans one relation on its own; nil if it cannot be looked up
// without bound variables.
func (pl *planner) leaf(i int) *candidate {
	p := pl.rels[i].p
	mask := uint64(1) << i
	switch {
	case p.Missing:
		return &candidate{node: &Node{Op: OpEmpty, Pattern: p, Bound: p.Vars()}}
	case !p.IsFact():
		n := &Node{Op: OpValues, Pattern: p, Bound: p.Vars(), EstRows: float64(len(p.Set))}
		return pl.withSelect(mask, &candidate{node: n})
	}
	var best *candidate
	if e, ok := pl.access(p, VarSet{}, 1); ok {
		n := &Node{Op: OpLookup, Pattern: p, Access: e.access, Bound: p.Vars(), EstRows: e.rows, EstCost: e.cost, LinkScanAbove: pl.scanAbove(p)}
		best = pl.withSelect(mask, &candidate{node: n})
	}
	for _, c := range pl.pushdowns(mask, p) {
		if best == nil || c.node.EstCost < best.node.EstCost {
			best = c
		}
	}
	return best
}

// pushdowns lists the leaf plans that answer a comparison on p's object
// with a range scan.
func (pl *planner) pushdowns(mask uint64, p *Pattern) []*candidate {
	var sets [][]*Pattern
	if lo, hi := rangePair(p, pl.cmps); lo != nil {
		sets = append(sets, []*Pattern{lo, hi})
	}
	for _, c := range pl.cmps {
		if pushable(p, c) {
			sets = append(sets, []*Pattern{c})
		}
	}
	var out []*candidate
	for _, set := range sets {
		e := pl.pushedAccess(p, set)
		var applied VarSet
		for _, c := range set {
			applied = applied.With(pl.cmpIndex(c))
		}
		n := &Node{Op: OpLookup, Pattern: p, Access: e.access, Pushed: set, Bound: p.Vars(), EstRows: e.rows, EstCost: e.cost}
		out = append(out, pl.withSelect(mask, &candidate{node: n, applied: applied}))
	}
	return out
}

func (pl *planner) cmpIndex(c *Pattern) int {
	for i, x := range pl.cmps {
		if x == c {
			return i
		}
	}
	return -1
}

// loopJoin extends the plan of a group by relation r, looked up with the
// group's bindings.
func (pl *planner) loopJoin(mask uint64, lc *candidate, r int) *candidate {
	left := lc.node
	p := pl.rels[r].p
	if !p.IsFact() {
		// An <in> on a bound variable is a filter; on an unbound one it
		// binds each value for every row.
		n := &Node{Op: OpSelect, Filters: []*Pattern{p}, Left: left, Bound: left.Bound.Union(p.Vars())}
		n.EstRows = left.EstRows * pl.valuesFanout(p, left.Bound)
		n.EstCost = left.EstCost + left.EstRows*costHash
		return pl.withSelect(mask, &candidate{node: n, applied: lc.applied})
	}
	e, ok := pl.access(p, left.Bound, math.Max(1, left.EstRows))
	if !ok {
		return nil
	}
	n := &Node{
		Op: OpLoopJoin, Pattern: p, Access: e.access, Left: left, Bound: left.Bound.Union(p.Vars()), LinkScanAbove: pl.scanAbove(p),
		JoinVars: p.Vars().Intersect(left.Bound).Members(),
		EstRows:  pl.rawCard(mask) * pl.appliedSel(lc.applied), EstCost: left.EstCost + e.cost,
	}
	return pl.withSelect(mask, &candidate{node: n, applied: lc.applied})
}

func (pl *planner) valuesFanout(p *Pattern, bound VarSet) float64 {
	if bound.Has(p.S.Var) {
		return selectivity(p)
	}
	return float64(len(p.Set))
}

// hashJoin joins the plans of two groups; the smaller side is hashed.
func (pl *planner) hashJoin(mask uint64, ac, bc *candidate, outer bool) *candidate {
	a, b := ac.node, bc.node
	applied := ac.applied.Union(bc.applied)
	n := &Node{
		Op: OpHashJoin, Left: a, Right: b, Bound: a.Bound.Union(b.Bound), Outer: outer,
		JoinVars:   a.Bound.Intersect(b.Bound).Minus(pl.q.Hidden).Members(),
		BuildRight: outer || b.EstRows < a.EstRows,
		EstRows:    pl.rawCard(mask) * pl.appliedSel(applied),
		EstCost:    a.EstCost + b.EstCost + (a.EstRows+b.EstRows)*costHash,
	}
	return pl.withSelect(mask, &candidate{node: n, applied: applied})
}

// withSelect adds a selection for the comparisons a group can now apply
// that its inputs did not.
func (pl *planner) withSelect(mask uint64, c *candidate) *candidate {
	bound := pl.bound(mask)
	var filters []*Pattern
	applied := c.applied
	for i, cmp := range pl.cmps {
		if !applied.Has(i) && cmp.Vars().SubsetOf(bound) {
			filters = append(filters, cmp)
			applied = applied.With(i)
		}
	}
	if len(filters) == 0 {
		return c
	}
	in := c.node
	sel := &Node{Op: OpSelect, Filters: filters, Left: in, Bound: in.Bound, EstCost: in.EstCost + in.EstRows*costHash}
	sel.EstRows = in.EstRows
	for _, f := range filters {
		sel.EstRows *= selectivity(f)
	}
	return &candidate{node: sel, applied: applied}
}

func (pl *planner) appliedSel(applied VarSet) float64 {
	s := 1.0
	for _, i := range applied.Members() {
		s *= selectivity(pl.cmps[i])
	}
	return s
}

// rawCard estimates a group's rows before its comparisons, the same for
// every plan of the group: the smallest estimate from adding its
// relations one at a time.
func (pl *planner) rawCard(mask uint64) float64 {
	if c, ok := pl.card[mask]; ok {
		return c
	}
	est := math.Inf(1)
	if bits.OnesCount64(mask) == 1 {
		est = pl.fanout(bits.TrailingZeros64(mask), VarSet{})
	} else {
		for m := mask; m != 0; m &= m - 1 {
			r := bits.TrailingZeros64(m)
			rest := mask &^ (1 << r)
			est = math.Min(est, pl.rawCard(rest)*pl.fanout(r, pl.bound(rest)))
		}
	}
	pl.card[mask] = est
	return est
}

// fanout estimates the rows relation r adds per input row binding bound.
func (pl *planner) fanout(r int, bound VarSet) float64 {
	p := pl.rels[r].p
	switch {
	case p.Missing:
		return 0
	case !p.IsFact():
		return pl.valuesFanout(p, bound)
	}
	if e, ok := pl.access(p, bound, 1); ok {
		return e.rows
	}
	return pl.st.factsOr(1e6)
}

// scanAbove is the runtime threshold for a link scan (see
// Node.LinkScanAbove); 0 for patterns that do not infer.
func (pl *planner) scanAbove(p *Pattern) int {
	if !p.Infers() {
		return 0
	}
	return int(math.Ceil(pl.linkScanAbove(p)))
}
