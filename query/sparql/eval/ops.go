package eval

import (
	"container/heap"
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
	"github.com/akutan-dev/akutan/query/sparql/fn"
)

// evalJoin streams the left side. A BGP on the right is joined by index
// nested loop (the left's solutions become its lookups); VALUES is
// joined row by row; anything else is evaluated once and hashed.
func (e *evaluator) evalJoin(ctx context.Context, n *join, seed binding, emit emitFn) error {
	switch r := n.right.(type) {
	case *bgp:
		c := e.newChain(ctx, r.triples, seed, varSet(inScopeAll(n.left)), func(_ int, b binding) error { return emit(b) })
		err := e.eval(ctx, n.left, seed, func(b binding) error { return c.push(ctx, 0, tagged{b: b}) })
		if err != nil {
			return err
		}
		return c.close(ctx)
	case *values:
		rows := valuesRows(r.data)
		return e.eval(ctx, n.left, seed, func(b binding) error {
			for _, row := range rows {
				if compatible(b, row) {
					if err := emit(merge(b, row)); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	right, err := e.collect(ctx, n.right, seed)
	if err != nil {
		return err
	}
	h := newHashSide(right)
	return e.eval(ctx, n.left, seed, func(b binding) error {
		return h.each(b, func(r binding) error { return emit(merge(b, r)) })
	})
}

// hashSide indexes a join's materialized side by the variables that every
// one of its solutions binds.
type hashSide struct {
	keyVars []string
	rows    []binding
	index   map[string][]int
}

func newHashSide(rows []binding) *hashSide {
	h := &hashSide{rows: rows}
	if len(rows) == 0 {
		return h
	}
	for v := range rows[0] {
		all := true
		for _, r := range rows[1:] {
			if _, ok := r[v]; !ok {
				all = false
				break
			}
		}
		if all {
			h.keyVars = append(h.keyVars, v)
		}
	}
	sort.Strings(h.keyVars)
	h.index = map[string][]int{}
	for i, r := range rows {
		k, _ := h.key(r)
		h.index[k] = append(h.index[k], i)
	}
	return h
}

func (h *hashSide) key(b binding) (string, bool) {
	var sb strings.Builder
	for _, v := range h.keyVars {
		t, ok := b[v]
		if !ok {
			return "", false
		}
		writeTermKey(&sb, t)
	}
	return sb.String(), true
}

// each calls f with every row compatible with b.
func (h *hashSide) each(b binding, f func(binding) error) error {
	if len(h.rows) == 0 {
		return nil
	}
	if k, ok := h.key(b); ok {
		for _, i := range h.index[k] {
			if compatible(b, h.rows[i]) {
				if err := f(h.rows[i]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, r := range h.rows {
		if compatible(b, r) {
			if err := f(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// evalLeftJoin is OPTIONAL (section 18.5 LeftJoin): each left solution
// extended by the compatible right solutions that pass the filter, or
// alone when none do. A BGP on the right runs as an index nested loop
// over batches of the left.
func (e *evaluator) evalLeftJoin(ctx context.Context, n *leftJoin, seed binding, emit emitFn) error {
	finish := func(l binding, matches []binding) error {
		found := false
		for _, m := range matches {
			if len(n.filter) > 0 {
				ok, err := e.test(ctx, n.filter, m)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
			}
			found = true
			if err := emit(m); err != nil {
				return err
			}
		}
		if !found {
			return emit(l)
		}
		return nil
	}
	if r, ok := n.right.(*bgp); ok {
		bound := varSet(inScopeAll(n.left))
		var batch []binding
		run := func() error {
			matches := make([][]binding, len(batch))
			c := e.newChain(ctx, r.triples, seed, bound, func(tag int, b binding) error {
				matches[tag] = append(matches[tag], b)
				return nil
			})
			for i, l := range batch {
				if err := c.push(ctx, 0, tagged{tag: i, b: l}); err != nil {
					return err
				}
			}
			if err := c.close(ctx); err != nil {
				return err
			}
			for i, l := range batch {
				if err := finish(l, matches[i]); err != nil {
					return err
				}
			}
			batch = batch[:0]
			return nil
		}
		err := e.eval(ctx, n.left, seed, func(b binding) error {
			batch = append(batch, b)
			if len(batch) >= e.batch {
				return run()
			}
			return nil
		})
		if err != nil {
			return err
		}
		return run()
	}
	right, err := e.collect(ctx, n.right, seed)
	if err != nil {
		return err
	}
	h := newHashSide(right)
	return e.eval(ctx, n.left, seed, func(l binding) error {
		var matches []binding
		err := h.each(l, func(r binding) error { matches = append(matches, merge(l, r)); return nil })
		if err != nil {
			return err
		}
		return finish(l, matches)
	})
}

// evalMinus keeps the left solutions that no right solution is both
// compatible with and shares a variable with (section 18.5 Minus).
func (e *evaluator) evalMinus(ctx context.Context, n *minus, seed binding, emit emitFn) error {
	right, err := e.collect(ctx, n.right, seed)
	if err != nil {
		return err
	}
	return e.eval(ctx, n.left, seed, func(l binding) error {
		for _, r := range right {
			if compatible(l, r) && sharesVar(l, r) {
				return nil
			}
		}
		return emit(l)
	})
}

// groupState is one group's key and its aggregates' accumulators.
type groupState struct {
	key  binding
	accs []fn.Accumulator
}

// evalGroup is Group and Aggregation (section 18.5): every solution is
// added to its group's accumulators; one solution per group comes out,
// binding the named keys and each aggregate's hidden variable. Without
// GROUP BY there is one group, even over no solutions.
func (e *evaluator) evalGroup(ctx context.Context, n *group, seed binding, emit emitFn) error {
	groups := map[string]*groupState{}
	var order []*groupState
	newGroup := func(key binding) *groupState {
		g := &groupState{key: key, accs: make([]fn.Accumulator, len(n.aggs))}
		for i, a := range n.aggs {
			g.accs[i] = fn.NewAccumulator(a)
		}
		order = append(order, g)
		return g
	}
	err := e.eval(ctx, n.inner, seed, func(b binding) error {
		key := binding{}
		var sb strings.Builder
		for i, k := range n.keys {
			t, err := e.evalExpr(ctx, k.Expr, b)
			if err != nil && !errors.Is(err, fn.ErrType) {
				return err
			}
			if err == nil {
				writeTermKey(&sb, t)
				key[groupKeyVar(k, i)] = t
			} else {
				sb.WriteString("\x02")
			}
		}
		g, ok := groups[sb.String()]
		if !ok {
			g = newGroup(key)
			groups[sb.String()] = g
		}
		for i, a := range n.aggs {
			if g.accs[i] == nil {
				continue
			}
			if a.Arg == nil {
				g.accs[i].Add(rdf.Term{}, nil)
				continue
			}
			t, err := e.evalExpr(ctx, a.Arg, b)
			if err != nil && !errors.Is(err, fn.ErrType) {
				return err
			}
			g.accs[i].Add(t, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(order) == 0 && len(n.keys) == 0 {
		newGroup(binding{})
	}
	for _, g := range order {
		out := binding{}
		for v, t := range g.key {
			if !strings.HasPrefix(v, "\x00") {
				out[v] = t
			}
		}
		for i, a := range n.aggs {
			if g.accs[i] == nil {
				continue
			}
			if t, err := g.accs[i].Result(); err == nil {
				out[e.aggs[a]] = t
			}
		}
		if err := emit(out); err != nil {
			return err
		}
	}
	return nil
}

// groupKeyVar is the variable a GROUP BY key binds: its AS variable, the
// variable itself, or a hidden name for a bare expression.
func groupKeyVar(k sparql.GroupCondition, i int) string {
	if k.Var != "" {
		return k.Var
	}
	if t, ok := k.Expr.(*sparql.ExprTerm); ok && t.Term.Kind == sparql.Var {
		return t.Term.Value
	}
	return "\x00key" + string(rune('0'+i))
}

// sortItem is a solution with its ORDER BY keys evaluated once.
type sortItem struct {
	b    binding
	keys []*rdf.Term
	seq  int
}

type sorter struct {
	conds []sparql.OrderCondition
	items []sortItem
	// reverse makes the heap a max-heap, to drop the worst of the top k.
	reverse bool
}

func (s *sorter) less(a, b sortItem) bool {
	for i, c := range s.conds {
		d := fn.OrderCompare(a.keys[i], b.keys[i])
		if c.Descending {
			d = -d
		}
		if d != 0 {
			return d < 0
		}
	}
	return a.seq < b.seq
}

func (s *sorter) Len() int { return len(s.items) }
func (s *sorter) Less(i, j int) bool {
	if s.reverse {
		return s.less(s.items[j], s.items[i])
	}
	return s.less(s.items[i], s.items[j])
}
func (s *sorter) Swap(i, j int) { s.items[i], s.items[j] = s.items[j], s.items[i] }
func (s *sorter) Push(x any)    { s.items = append(s.items, x.(sortItem)) }
func (s *sorter) Pop() any {
	x := s.items[len(s.items)-1]
	s.items = s.items[:len(s.items)-1]
	return x
}

// evalOrderBy sorts by fn.OrderCompare (ties keep their order). With a
// limit it keeps only the best limit solutions in a heap.
func (e *evaluator) evalOrderBy(ctx context.Context, n *orderBy, seed binding, emit emitFn) error {
	s := &sorter{conds: n.conds, reverse: n.limit > 0}
	seq := 0
	err := e.eval(ctx, n.inner, seed, func(b binding) error {
		it := sortItem{b: b, keys: make([]*rdf.Term, len(n.conds)), seq: seq}
		seq++
		for i, c := range n.conds {
			t, err := e.evalExpr(ctx, c.Expr, b)
			if err != nil && !errors.Is(err, fn.ErrType) {
				return err
			}
			if err == nil {
				it.keys[i] = &t
			}
		}
		if n.limit <= 0 {
			s.items = append(s.items, it)
			return nil
		}
		if int64(len(s.items)) < n.limit {
			heap.Push(s, it)
			return nil
		}
		if s.less(it, s.items[0]) {
			s.items[0] = it
			heap.Fix(s, 0)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.reverse = false
	sort.Sort(s)
	for _, it := range s.items {
		if err := emit(it.b); err != nil {
			return err
		}
	}
	return nil
}

// inScopeAll is inScope with hidden variables too: what a join's left
// side may bind, for ordering the right side's patterns.
func inScopeAll(n node) []string {
	out := inScope(n)
	if b, ok := n.(*bgp); ok {
		for v := range bgpVars(b.triples) {
			out = append(out, v)
		}
	}
	return out
}

func varSet(vars []string) map[string]bool {
	out := make(map[string]bool, len(vars))
	for _, v := range vars {
		out[v] = true
	}
	return out
}
