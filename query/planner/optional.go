package planner

import (
	"math"
	"math/bits"
)

// greedy plans a large group left-deep: it starts from the cheapest
// single relation and repeatedly adds the relation that is cheapest to
// join next, preferring ones that share a variable with the plan so far.
func (pl *planner) greedy() *candidate {
	var cur *candidate
	var mask uint64
	for i := range pl.rels {
		if c := pl.leaf(i); c != nil && (cur == nil || c.node.EstCost < cur.node.EstCost) {
			cur, mask = c, 1<<i
		}
	}
	full := uint64(1)<<len(pl.rels) - 1
	for cur != nil && mask != full {
		next, nextMask := pl.greedyStep(cur, mask, false)
		if next == nil {
			next, nextMask = pl.greedyStep(cur, mask, true)
		}
		cur, mask = next, nextMask
	}
	return cur
}

// greedyStep finds the cheapest one-relation extension of cur.
func (pl *planner) greedyStep(cur *candidate, mask uint64, cross bool) (*candidate, uint64) {
	var best *candidate
	var bestMask uint64
	full := uint64(1)<<len(pl.rels) - 1
	for rest := full &^ mask; rest != 0; rest &= rest - 1 {
		r := bits.TrailingZeros64(rest)
		if !cross && !pl.connected(mask, 1<<r) {
			continue
		}
		m := mask | 1<<r
		opts := []*candidate{pl.loopJoin(m, cur, r)}
		if lc := pl.leaf(r); lc != nil {
			opts = append(opts, pl.hashJoin(m, cur, lc, false))
		}
		for _, c := range opts {
			if c != nil && (best == nil || c.node.EstCost < best.node.EstCost) {
				best, bestMask = c, m
			}
		}
	}
	return best, bestMask
}

// addOptional left-joins the optional patterns in query order, each by a
// loop join with the rows' bindings or by hashing its own lookup,
// whichever is cheaper.
func (pl *planner) addOptional(root *Node) (*Node, error) {
	for _, p := range pl.optional {
		var best *Node
		if e, ok := pl.access(p, root.Bound, math.Max(1, root.EstRows)); ok {
			best = &Node{
				Op: OpLoopJoin, Pattern: p, Access: e.access, Left: root, Outer: true, LinkScanAbove: pl.scanAbove(p),
				Bound: root.Bound.Union(p.Vars()), JoinVars: p.Vars().Intersect(root.Bound).Members(),
				EstRows: root.EstRows * math.Max(1, e.rows), EstCost: root.EstCost + e.cost,
			}
		}
		if e, ok := pl.access(p, VarSet{}, 1); ok && !p.Missing {
			right := &Node{Op: OpLookup, Pattern: p, Access: e.access, Bound: p.Vars(), EstRows: e.rows, EstCost: e.cost, LinkScanAbove: pl.scanAbove(p)}
			h := &Node{
				Op: OpHashJoin, Left: root, Right: right, Outer: true, BuildRight: true,
				Bound: root.Bound.Union(p.Vars()), JoinVars: p.Vars().Intersect(root.Bound).Minus(pl.q.Hidden).Members(),
				EstRows: root.EstRows, EstCost: root.EstCost + right.EstCost + (root.EstRows+right.EstRows)*costHash,
			}
			if best == nil || h.EstCost < best.EstCost {
				best = h
			}
		}
		if best == nil {
			return nil, &Error{Pos: p.Pos, Msg: needsKnown}
		}
		root = best
	}
	return root, nil
}

// selectRest applies the comparisons the required part could not: those
// on variables of optional patterns.
func (pl *planner) selectRest(root *Node, applied VarSet) *Node {
	var filters []*Pattern
	for i, c := range pl.cmps {
		if !applied.Has(i) {
			filters = append(filters, c)
		}
	}
	if len(filters) == 0 {
		return root
	}
	sel := &Node{Op: OpSelect, Filters: filters, Left: root, Bound: root.Bound, EstCost: root.EstCost + root.EstRows*costHash}
	sel.EstRows = root.EstRows
	for _, f := range filters {
		sel.EstRows *= selectivity(f)
	}
	return sel
}
