package eval

import (
	"context"
	"slices"
	"sort"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
)

// tagged is a solution travelling through a chain, with the index of the
// input it extends (LeftJoin needs to know which inputs found a match).
type tagged struct {
	tag int
	b   binding
}

// chain evaluates a basic graph pattern as an index nested loop join:
// solutions wait at step k until a batch is full, then one Graph.Match
// call looks up the step's pattern once per waiting solution, and each
// match moves on to step k+1. Only a batch per step is held at a time.
type chain struct {
	e     *evaluator
	steps []sparql.TriplePattern
	bufs  [][]tagged
	out   func(tag int, b binding) error
	// filters are the FILTER conjuncts over the BGP that its lookups may
	// use as hints (Pattern.ObjectFilter), by variable; nil: none.
	filters map[string][]pushedCmp
	// namer is the graph when it can match without naming (a Namer): then
	// the steps bind stand-ins, and solutions are named in batches on
	// their way out (unnamed holds them until then).
	namer   Namer
	unnamed []tagged
	// settled marks the steps that have decided whether to move to the
	// end of the chain (deferCheck); it moves with them.
	settled []bool
}

// newChain orders triples for evaluation given the variables bound in
// seed and in bound (those a join's left side binds).
func (e *evaluator) newChain(ctx context.Context, triples []sparql.TriplePattern, seed binding, bound map[string]bool, out func(int, binding) error) *chain {
	known := map[string]bool{}
	for v := range seed {
		known[v] = true
	}
	for v := range bound {
		known[v] = true
	}
	if p, ok := e.g.(Preparer); ok && len(triples) > 1 {
		p.Prepare(ctx, constantTerms(triples))
	}
	steps := orderTriples(triples, known, e.estimate(ctx))
	namer, _ := e.g.(Namer)
	return &chain{e: e, steps: steps, bufs: make([][]tagged, len(steps)), out: out, namer: namer, settled: make([]bool, len(steps))}
}

// push hands t to step k.
func (c *chain) push(ctx context.Context, k int, t tagged) error {
	if k == len(c.steps) {
		if c.namer == nil {
			return c.out(t.tag, t.b)
		}
		c.unnamed = append(c.unnamed, t)
		if len(c.unnamed) >= max(c.e.batch, nameBatch) {
			return c.sendUnnamed(ctx)
		}
		return nil
	}
	c.bufs[k] = append(c.bufs[k], t)
	if len(c.bufs[k]) >= c.e.batch {
		return c.flush(ctx, k)
	}
	return nil
}

// close runs every step's partial batch, in order, since each feeds the
// next.
func (c *chain) close(ctx context.Context) error {
	for k := range c.steps {
		if err := c.flush(ctx, k); err != nil {
			return err
		}
	}
	return c.sendUnnamed(ctx)
}

func (c *chain) flush(ctx context.Context, k int) error {
	buf := c.bufs[k]
	c.bufs[k] = nil
	if len(buf) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	step := c.steps[k]
	// Only a step's first flush may move it (deferCheck): after that,
	// solutions have gone past it, whichever way it ran.
	first := !c.settled[k]
	c.settled[k] = true
	if step.Path != nil {
		// Paths walk named terms: they compare the nodes they reach.
		if err := c.name(ctx, buf); err != nil {
			return err
		}
		return c.e.pathStep(ctx, step, buf, func(t tagged) error { return c.push(ctx, k+1, t) })
	}
	if c.namer != nil {
		var err error
		if buf, err = c.standIns(ctx, step, buf); err != nil {
			return err
		}
	}
	if sv, open := c.chooseOpen(ctx, step, buf); open != 0 {
		return c.flushOpen(ctx, k, buf, sv, open)
	}
	if deferred, err := c.deferCheck(ctx, k, buf, first); err != nil {
		return err
	} else if deferred { // another step is at k now
		c.bufs[k] = buf
		return c.flush(ctx, k)
	}
	patterns := make([]Pattern, len(buf))
	hint := objectFilter(step, c.filters)
	for i, in := range buf {
		patterns[i] = substituted(step, in.b)
		if patterns[i].O == nil {
			patterns[i].ObjectFilter = hint
		}
	}
	return c.match(ctx, patterns, func(i int, t rdf.Triple) error {
		if i < 0 || i >= len(buf) {
			return nil
		}
		b, ok := bindTriple(buf[i].b, step, t)
		if !ok {
			return nil
		}
		return c.push(ctx, k+1, tagged{tag: buf[i].tag, b: b})
	})
}

// nameBatch is the fewest solutions a chain names at once on their way
// out (a Namer's Name costs a round of lookups per call); a Graph names
// the matches of one Match call in chunks of about as many.
const nameBatch = 1024

// match is the graph's Match, or its MatchUnnamed when it is a Namer.
func (c *chain) match(ctx context.Context, patterns []Pattern, emit func(int, rdf.Triple) error) error {
	if c.namer != nil {
		return c.namer.MatchUnnamed(ctx, patterns, emit)
	}
	return c.e.g.Match(ctx, patterns, emit)
}

// isRDF reports whether t is an RDF term rather than a Namer's stand-in.
func isRDF(t rdf.Term) bool { return t.Kind == rdf.IRI || t.Kind == rdf.Blank || t.Kind == rdf.Literal }

// termAt is where a term of a batch of solutions is: the solution and
// the variable.
type termAt struct {
	sol int
	v   string
}

// solutionTerms lists the values that buf's solutions give vars (nil:
// every variable) and that pick keeps, with where each is.
func solutionTerms(buf []tagged, vars []string, pick func(rdf.Term) bool) ([]termAt, []rdf.Term) {
	var where []termAt
	var terms []rdf.Term
	for i, in := range buf {
		if vars == nil {
			for v, t := range in.b {
				if pick(t) {
					where = append(where, termAt{i, v})
					terms = append(terms, t)
				}
			}
			continue
		}
		for _, v := range vars {
			if t, ok := in.b[v]; ok && pick(t) {
				where = append(where, termAt{i, v})
				terms = append(terms, t)
			}
		}
	}
	return where, terms
}

// standIns returns buf with the IRIs and blank nodes that the solutions
// give step's variables replaced by their stand-ins, resolved in one
// batch, so that they compare equal to what MatchUnnamed returns. (They
// come from outside the chain: a seed, the left side of a join, a path.)
// A changed solution is copied: the original may be its caller's.
func (c *chain) standIns(ctx context.Context, step sparql.TriplePattern, buf []tagged) ([]tagged, error) {
	vars := stepVars(step)
	if len(vars) == 0 {
		return buf, nil
	}
	where, terms := solutionTerms(buf, vars, func(t rdf.Term) bool { return t.Kind == rdf.IRI || t.Kind == rdf.Blank })
	if len(terms) == 0 {
		return buf, nil
	}
	replaced, err := c.namer.StandIns(ctx, terms)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(buf)
	copied := make([]bool, len(buf))
	for j, w := range where {
		if !copied[w.sol] {
			out[w.sol].b = clone(out[w.sol].b)
			copied[w.sol] = true
		}
		out[w.sol].b[w.v] = replaced[j]
	}
	return out, nil
}

// stepVars lists step's variables, each once, in the order of its
// positions.
func stepVars(step sparql.TriplePattern) []string {
	var vars []string
	for _, t := range [3]sparql.Term{step.Subject, step.Predicate, step.Object} {
		if v, ok := patternVar(t); ok && !slices.Contains(vars, v) {
			vars = append(vars, v)
		}
	}
	return vars
}

// name replaces the stand-ins in the solutions of buf with the terms they
// stand for, in one batch. Only solutions the chain made hold stand-ins,
// so they are changed in place.
func (c *chain) name(ctx context.Context, buf []tagged) error {
	if c.namer == nil {
		return nil
	}
	where, terms := solutionTerms(buf, nil, func(t rdf.Term) bool { return !isRDF(t) })
	if len(terms) == 0 {
		return nil
	}
	named, err := c.namer.Name(ctx, terms)
	if err != nil {
		return err
	}
	for j, w := range where {
		buf[w.sol].b[w.v] = named[j]
	}
	return nil
}

// sendUnnamed names the solutions waiting to leave the chain and sends
// them out.
func (c *chain) sendUnnamed(ctx context.Context) error {
	out := c.unnamed
	c.unnamed = nil
	if err := c.name(ctx, out); err != nil {
		return err
	}
	for _, t := range out {
		if err := c.out(t.tag, t.b); err != nil {
			return err
		}
	}
	return nil
}

// constantTerms returns triples as Patterns of their constant terms (a
// property path's predicate is left out).
func constantTerms(triples []sparql.TriplePattern) []Pattern {
	out := make([]Pattern, len(triples))
	constant := func(x sparql.Term) *rdf.Term {
		if _, ok := patternVar(x); ok {
			return nil
		}
		t := x.RDF()
		return &t
	}
	for i, t := range triples {
		out[i] = Pattern{S: constant(t.Subject), O: constant(t.Object)}
		if t.Path == nil {
			out[i].P = constant(t.Predicate)
		}
	}
	return out
}

// patternVar is the variable a pattern term stands for: a variable, or a
// blank node (a variable that is never projected).
func patternVar(t sparql.Term) (string, bool) {
	switch t.Kind {
	case sparql.Var:
		return t.Value, true
	case sparql.Blank:
		return blankVar(t.Value), true
	}
	return "", false
}

// substituted is step's lookup for the solution b.
func substituted(step sparql.TriplePattern, b binding) Pattern {
	return Pattern{S: substitute(step.Subject, b), P: substitute(step.Predicate, b), O: substitute(step.Object, b)}
}

// substitute is the lookup term for t in b: nil when t is an unbound
// variable.
func substitute(t sparql.Term, b binding) *rdf.Term {
	if v, ok := patternVar(t); ok {
		if x, ok := b[v]; ok {
			return &x
		}
		return nil
	}
	x := t.RDF()
	return &x
}

// bindTriple extends b with the variables of p that t matches, failing
// when a variable that occurs twice would get two values.
func bindTriple(b binding, p sparql.TriplePattern, t rdf.Triple) (binding, bool) {
	out := b
	copied := false
	for _, pair := range [3]struct {
		pt sparql.Term
		v  rdf.Term
	}{{p.Subject, t.S}, {p.Predicate, t.P}, {p.Object, t.O}} {
		v, ok := patternVar(pair.pt)
		if !ok {
			if pair.pt.RDF() != pair.v {
				return nil, false
			}
			continue
		}
		if old, ok := out[v]; ok {
			if old != pair.v {
				return nil, false
			}
			continue
		}
		if !copied {
			out = clone(b)
			copied = true
		}
		out[v] = pair.v
	}
	if !copied {
		out = clone(b)
	}
	return out, true
}

// costFn estimates how many triples t matches (per solution, when bound
// holds some of its variables).
type costFn func(t sparql.TriplePattern, bound map[string]bool) float64

// Estimates of property paths, which graphs do not estimate: one with a
// known end walks from it; one with neither end known walks from every
// node of the graph, after everything else.
const (
	pathFromKnownEnd = 100
	pathFromNowhere  = 1e15
)

// estimate returns the cost function of e's graph, or nil if the graph
// gives no estimates.
func (e *evaluator) estimate(ctx context.Context) costFn {
	est, ok := e.g.(Estimator)
	if !ok {
		return nil
	}
	return func(t sparql.TriplePattern, bound map[string]bool) float64 {
		known := func(x sparql.Term) (term *rdf.Term, isBound bool) {
			if v, ok := patternVar(x); ok {
				return nil, bound[v]
			}
			r := x.RDF()
			return &r, false
		}
		s, sb := known(t.Subject)
		o, ob := known(t.Object)
		if t.Path != nil {
			if s != nil || sb || o != nil || ob {
				return pathFromKnownEnd
			}
			return pathFromNowhere
		}
		p, pb := known(t.Predicate)
		return est.Estimate(ctx, Pattern{S: s, P: p, O: o}, Bound{S: sb, P: pb, O: ob})
	}
}

// orderTriples picks the evaluation order of a BGP. With estimates (cost)
// and at most maxOrderedTriples patterns, it is the order of least
// estimated work (cheapestOrder). Otherwise it is greedy: with estimates,
// next is the pattern that matches the fewest triples given what earlier
// patterns bind. Ties, and every choice without estimates, go to the
// pattern with the most positions already known (constants, or variables
// bound by the seed or by earlier patterns), property paths after plain
// patterns of the same score, then to written order.
func orderTriples(triples []sparql.TriplePattern, known map[string]bool, cost costFn) []sparql.TriplePattern {
	if cost != nil && len(triples) > 1 && len(triples) <= maxOrderedTriples {
		return cheapestOrder(triples, known, cost)
	}
	return greedyOrder(triples, known, cost)
}

// maxOrderedTriples bounds the BGPs whose every order cheapestOrder
// weighs: it estimates each pattern once per subset of the others
// (n * 2^(n-1) estimates: 1,024 for 8 patterns).
const maxOrderedTriples = 8

// cheapestOrder returns the order of triples with the least estimated
// work, found by dynamic programming over the subsets of patterns
// evaluated so far. Each solution so far looks the next pattern up once
// and gets its estimate's worth of matches, so a step costs the solutions
// before it plus the solutions after it, and the solutions after a
// pattern are those before it times its estimate given the variables
// bound by then. The greedy order can be far worse: for LUBM's Q2 it
// joined every department of a university with every alumnus of it
// before checking either (4,500 solutions where 300 do).
func cheapestOrder(triples []sparql.TriplePattern, known map[string]bool, cost costFn) []sparql.TriplePattern {
	n := len(triples)
	type state struct {
		work, rows float64
		last       int // the pattern added last; -1 for the empty set
		set        bool
	}
	best := make([]state, 1<<n)
	best[0] = state{rows: 1, last: -1, set: true}
	vars := make([][]string, n)
	for i, t := range triples {
		vars[i] = stepVars(t)
	}
	bound := map[string]bool{}
	for subset := 0; subset < 1<<n; subset++ {
		from := best[subset]
		if !from.set {
			continue
		}
		clear(bound)
		for v := range known {
			bound[v] = true
		}
		for i := 0; i < n; i++ {
			if subset&(1<<i) != 0 {
				for _, v := range vars[i] {
					bound[v] = true
				}
			}
		}
		for i := 0; i < n; i++ {
			if subset&(1<<i) != 0 {
				continue
			}
			rows := from.rows * cost(triples[i], bound)
			work := from.work + from.rows + rows
			next := &best[subset|1<<i]
			if !next.set || work < next.work {
				*next = state{work: work, rows: rows, last: i, set: true}
			}
		}
	}
	out := make([]sparql.TriplePattern, n)
	subset := 1<<n - 1
	for k := n - 1; k >= 0; k-- {
		i := best[subset].last
		out[k] = triples[i]
		subset &^= 1 << i
	}
	return out
}

func greedyOrder(triples []sparql.TriplePattern, known map[string]bool, cost costFn) []sparql.TriplePattern {
	bound := map[string]bool{}
	for v := range known {
		bound[v] = true
	}
	left := append([]sparql.TriplePattern(nil), triples...)
	out := make([]sparql.TriplePattern, 0, len(triples))
	score := func(t sparql.TriplePattern) int {
		s := 0
		terms := []sparql.Term{t.Subject, t.Object}
		if t.Path == nil {
			terms = append(terms, t.Predicate)
		}
		for _, x := range terms {
			if v, ok := patternVar(x); !ok || bound[v] {
				s += 4
			}
		}
		if t.Path == nil {
			s++
		} else if _, ok := t.Path.(*sparql.PathRepeat); ok {
			s -= 2
		}
		// The subject known is the cheapest lookup.
		if v, ok := patternVar(t.Subject); !ok || bound[v] {
			s++
		}
		return s
	}
	for len(left) > 0 {
		best, bestCost := 0, 0.0
		if cost != nil {
			bestCost = cost(left[0], bound)
		}
		for i := 1; i < len(left); i++ {
			if cost != nil {
				c := cost(left[i], bound)
				if c < bestCost || (c == bestCost && score(left[i]) > score(left[best])) {
					best, bestCost = i, c
				}
				continue
			}
			if score(left[i]) > score(left[best]) {
				best = i
			}
		}
		t := left[best]
		out = append(out, t)
		left = append(left[:best], left[best+1:]...)
		for _, x := range []sparql.Term{t.Subject, t.Predicate, t.Object} {
			if v, ok := patternVar(x); ok {
				bound[v] = true
			}
		}
	}
	return out
}

// bgpVars is the set of variables a BGP binds.
func bgpVars(triples []sparql.TriplePattern) map[string]bool {
	out := map[string]bool{}
	for _, t := range triples {
		for _, x := range []sparql.Term{t.Subject, t.Predicate, t.Object} {
			if v, ok := patternVar(x); ok {
				out[v] = true
			}
		}
	}
	return out
}

func sortStrings(s []string) { sort.Strings(s) }
