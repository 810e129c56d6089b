package planner

import (
	"math"

	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
)

// The cost model, in units of one index seek on a view. It is meant to
// tell a good plan from a bad one, not to predict times.
const (
	costRPC  = 20.0 // one lookup RPC: a network round trip
	costSeek = 1.0  // one lookup inside a view: an index seek
	costFact = 0.1  // reading and shipping one fact
	costHash = 0.02 // hashing or probing one row in the API server
	// LoopBatch is the number of left rows a loop join turns into one
	// batched lookup call.
	LoopBatch = 1024
	// inferLevels is the expected depth of a transitive search, and
	// inferGrowth the inferred facts per stored fact it finds.
	inferLevels = 3
	inferGrowth = 2.0
)

// estimate is what looking up a pattern for n input rows would do.
type estimate struct {
	access Access
	rows   float64 // output rows per input row
	cost   float64 // for all n input rows
}

// known reports whether a term is a constant or a bound variable.
func known(t Term, bound VarSet) bool { return !t.IsVar() || bound.Has(t.Var) }

// access chooses how to look up p given the bound variables, for n input
// rows. ok is false when the views cannot answer it: neither the subject
// nor the predicate is known.
func (pl *planner) access(p *Pattern, bound VarSet, n float64) (estimate, bool) {
	s, pr, o := known(p.S, bound), known(p.P, bound), known(p.O, bound)
	if !s && !pr {
		return estimate{}, false
	}
	if p.Missing {
		return estimate{access: LookupSPO}, true
	}
	var e estimate
	if p.Infers() {
		e = pl.inferAccess(p, s, o, n)
	} else {
		e = pl.lookupAccess(p, s, pr, o, n)
	}
	if !p.ID.IsAbsent() && known(p.ID, bound) {
		e.rows = math.Min(e.rows, 1) // a known fact ID matches one fact at most
	}
	return e, true
}

// lookupAccess estimates a lookup of stored facts.
func (pl *planner) lookupAccess(p *Pattern, s, pr, o bool, n float64) estimate {
	st := pl.st
	switch {
	case s && pr && o:
		return pl.point(LookupSPO, n, pl.spoRows(p))
	case s && pr:
		rows := float64(defaultSP)
		if !p.P.IsVar() {
			rows = st.perSubject(p.P.Val.Entity)
			if !p.S.IsVar() {
				rows = st.spFacts(p.S.Val.Entity, p.P.Val.Entity)
			}
		}
		return pl.point(LookupSP, n, rows)
	case pr && o:
		rows := float64(defaultPO)
		if !p.P.IsVar() {
			rows = st.perObject(p.P.Val.Entity)
			if !p.O.IsVar() {
				rows = st.poFacts(p.P.Val.Entity, p.O.Val)
			}
		}
		return pl.point(LookupPO, n, rows)
	case s:
		rows := float64(defaultS)
		if o {
			rows *= 0.1
		}
		return pl.cover(LookupS, n, rows, n*defaultS)
	}
	rows := pl.predicateRows(p)
	return pl.cover(LookupP, n, rows, n*rows)
}

func (pl *planner) predicateRows(p *Pattern) float64 {
	if p.P.IsVar() {
		return defaultPredicate
	}
	return pl.st.predicateFacts(p.P.Val.Entity)
}

// spoRows estimates the chance that a fully known fact exists.
func (pl *planner) spoRows(p *Pattern) float64 {
	if p.P.IsVar() {
		return 0.5
	}
	pred := p.P.Val.Entity
	return math.Min(1, 0.5*math.Min(pl.st.perSubject(pred), pl.st.perObject(pred)))
}

// point estimates n lookups that each go to one view.
func (pl *planner) point(a Access, n, rows float64) estimate {
	rpcs := math.Ceil(n/LoopBatch) * math.Min(n, pl.st.ranges())
	return estimate{access: a, rows: rows, cost: rpcs*costRPC + n*costSeek + n*rows*costFact}
}

// cover estimates n lookups that each need every range of a space; read is
// the facts the views read (more than they return when filtered).
func (pl *planner) cover(a Access, n, rows, read float64) estimate {
	r := pl.st.ranges()
	rpcs := math.Ceil(n/LoopBatch) * r
	return estimate{access: a, rows: rows, cost: rpcs*costRPC + n*r*costSeek + read*costFact}
}

// inferAccess estimates a transitive search. Each level is one batched
// lookup of the previous level's new nodes.
func (pl *planner) inferAccess(p *Pattern, s, o bool, n float64) estimate {
	pred := p.P.Val.Entity
	st := pl.st
	fwd, back := st.perSubject(pred), st.perObject(pred)
	scan := pl.linkScanAbove(p)
	switch {
	case s && o:
		rows := math.Min(1, pl.spoRows(p)*inferGrowth)
		if fwd <= back {
			return pl.search(InferSPO, n, fwd, rows, scan)
		}
		return pl.search(InferSPOBack, n, back, rows, scan)
	case s:
		first := fwd
		if !p.S.IsVar() {
			first = st.spFacts(p.S.Val.Entity, pred)
		}
		return pl.search(InferSP, n, first, first*inferGrowth, scan)
	case o:
		first := back
		if !p.O.IsVar() {
			first = st.poFacts(pred, p.O.Val)
		}
		return pl.search(InferPO, n, first, first*inferGrowth, scan)
	}
	facts := st.predicateFacts(pred)
	e := pl.cover(InferP, n, facts*inferGrowth, n*facts)
	e.cost += n * facts * costHash // closing the relation in memory
	return e
}

// linkScanAbove is the frontier size above which one scan of p's
// entity-valued facts costs less than looking up every frontier node.
func (pl *planner) linkScanAbove(p *Pattern) float64 {
	links := pl.st.entityFacts(p.P.Val.Entity)
	return (links*costFact + pl.st.ranges()*(costRPC+costSeek)) / costSeek
}

// search estimates a breadth-first search of inferLevels levels from n
// start nodes, each node leading to branching others; past the first
// level, a large frontier is answered by one scan of the links instead.
func (pl *planner) search(a Access, n, branching, rows, scanAbove float64) estimate {
	e := estimate{access: a, rows: rows}
	frontier := n
	limit := math.Max(n, pl.st.factsOr(1e6))
	for level := 0; level < inferLevels && frontier >= 1; level++ {
		if level > 0 && frontier > scanAbove {
			e.cost += scanAbove * costSeek
			break
		}
		lvl := pl.point(a, frontier, branching)
		e.cost += lvl.cost
		frontier = math.Min(frontier*branching, limit)
		// Later levels mostly find nothing new: each shrinks the frontier.
		branching = math.Min(branching, 1) * 0.5
	}
	return e
}

func (st *Stats) factsOr(def float64) float64 {
	if st == nil || st.Facts == 0 {
		return def
	}
	return st.Facts
}

// selectivity estimates the fraction of rows a comparison keeps.
func selectivity(c *Pattern) float64 {
	switch c.Op {
	case parser.OpEq:
		return 0.1
	case parser.OpNotEqual:
		return 0.9
	case parser.OpIn:
		return math.Min(1, 0.1*float64(len(c.Set)))
	}
	return 1.0 / 3
}

// pushable reports whether comparison c can become a range scan on the
// object of p: p has a constant predicate and an unbound object variable
// and subject variable, and c compares that object with a constant. A
// <notEqual> stays a filter: the range scan sees only values of the
// constant's own kind and unit, while the filter keeps all others too.
func pushable(p, c *Pattern) bool {
	if !p.IsFact() || p.P.IsVar() || !p.O.IsVar() || !p.S.IsVar() || p.S.Var == p.O.Var || p.Missing {
		return false
	}
	if !p.ID.IsAbsent() && p.UserID && !p.ID.IsVar() {
		return false
	}
	switch c.Op {
	case parser.OpEq, parser.OpGt, parser.OpGte, parser.OpLt, parser.OpLte:
	default:
		return false
	}
	return !c.Missing && c.S.IsVar() && c.S.Var == p.O.Var && !c.O.IsVar() && c.O.Val.Kind != 0
}

// pushedRows estimates the facts a range scan on p's object returns.
func (pl *planner) pushedRows(p *Pattern, cmps []*Pattern) float64 {
	pred := p.P.Val.Entity
	if len(cmps) == 1 && cmps[0].Op == parser.OpEq {
		return pl.st.poFacts(pred, cmps[0].O.Val)
	}
	rows := pl.st.predicateFacts(pred)
	for _, c := range cmps {
		rows *= selectivity(c)
	}
	return math.Max(1, rows)
}

// pushedAccess estimates a leaf range scan. For an inferring pattern a
// second scan reads the predicate's entity-valued facts (the only links a
// chain can have), and chains ending in the range are closed in memory.
func (pl *planner) pushedAccess(p *Pattern, cmps []*Pattern) estimate {
	rows := pl.pushedRows(p, cmps)
	if !p.Infers() {
		return pl.cover(LookupPOCmp, 1, rows, rows)
	}
	links := pl.st.entityFacts(p.P.Val.Entity)
	e := pl.cover(InferPOCmp, 1, rows*inferGrowth, rows)
	e.cost += pl.cover(InferPOCmp, 1, links, links).cost + (rows+links)*costHash
	if links == 0 {
		e.rows = rows // nothing links two facts: no chains to infer
	}
	return e
}

// rangePair finds a <gte> and a <lt> on the same variable with constants
// of one kind and group: together one CMP_RANGE scan.
func rangePair(p *Pattern, cmps []*Pattern) (lo, hi *Pattern) {
	for _, c := range cmps {
		if !pushable(p, c) {
			continue
		}
		switch {
		case c.Op == parser.OpGte && lo == nil:
			lo = c
		case c.Op == parser.OpLt && hi == nil:
			hi = c
		}
	}
	if lo == nil || hi == nil || !sameGroup(lo.O.Val, hi.O.Val) || storage.CompareObjects(lo.O.Val, hi.O.Val) > 0 {
		return nil, nil
	}
	return lo, hi
}

func sameGroup(a, b storage.Object) bool {
	return string(storage.AppendObjectGroup(nil, a)) == string(storage.AppendObjectGroup(nil, b))
}
