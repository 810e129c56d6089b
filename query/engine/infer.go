package engine

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/planner"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// maxInferDepth bounds a transitive search; cycles are cut by remembering
// visited nodes, so this only limits pathological chains.
const maxInferDepth = 64

// objectKey identifies o as a term, for maps, joins and duplicate
// elimination: its value, then its annotation with a length prefix (so
// that keys concatenate unambiguously). "01"^^xsd:integer and 1 differ.
func objectKey(o storage.Object) string {
	b := storage.AppendObject(nil, o)
	a := storage.AppendAnnotation(nil, o)
	b = binary.AppendUvarint(b, uint64(len(a)))
	return string(append(b, a...))
}

// edge is one stored fact seen from one end: the node at the other end
// and the fact's ID.
type edge struct {
	to storage.Object
	id uint64
}

type adjacency map[string][]edge

// inferAll answers a pattern whose predicate is treated as transitive: a
// fact matches if a chain of stored facts with that predicate implies it.
// Each breadth-first level is one batched lookup for all rows. A match
// that is a stored fact (a chain of one) keeps the fact's ID.
func (l *lookuper) inferAll(ctx context.Context, p *planner.Pattern, access planner.Access, rows []row, g shape, f found) error {
	if len(g.s) > 0 {
		return fmt.Errorf("%s: internal error: inference needs a known predicate", p.Pos)
	}
	forward := append(append([]int(nil), g.spo...), g.sp...)
	backward := g.po
	if access == planner.InferSPOBack {
		forward, backward = g.sp, append(append([]int(nil), g.po...), g.spo...)
	}
	if err := l.inferForward(ctx, p, rows, forward, f); err != nil {
		return err
	}
	if err := l.inferBackward(ctx, p, rows, backward, f); err != nil {
		return err
	}
	return l.inferAllPairs(ctx, p, rows, g.p, f)
}

// inferForward follows the predicate from each row's subject; rows with a
// known object keep only the chains that reach it.
func (l *lookuper) inferForward(ctx context.Context, p *planner.Pattern, rows []row, group []int, f found) error {
	if len(group) == 0 {
		return nil
	}
	pred := value(p.P, rows[group[0]])
	starts := make([]storage.Object, len(group))
	for i, ri := range group {
		starts[i] = value(p.S, rows[ri])
	}
	adj, err := l.explore(ctx, pred.Entity, true, starts, func(ctx context.Context, frontier []storage.Object, emit func(from storage.Object, e edge)) error {
		lk := make([]viewclient.SP, len(frontier))
		for i, n := range frontier {
			lk[i] = viewclient.SP{Subject: n.Entity, Predicate: pred.Entity}
		}
		return l.views.LookupSP(ctx, l.index, lk, func(i int, fact storage.Fact) { emit(frontier[i], edge{fact.Object, fact.ID}) })
	})
	if err != nil {
		return err
	}
	for i, ri := range group {
		want := value(p.O, rows[ri])
		for _, e := range reachable(adj, starts[i]) {
			if want.Kind == 0 || sameValue(want, e.to) {
				f(ri, match{id: idObject(e.id), s: starts[i], p: pred, o: e.to})
			}
		}
	}
	return nil
}

// inferBackward follows the predicate backwards from each row's object;
// rows with a known subject keep only the chains that start there.
func (l *lookuper) inferBackward(ctx context.Context, p *planner.Pattern, rows []row, group []int, f found) error {
	if len(group) == 0 {
		return nil
	}
	pred := value(p.P, rows[group[0]])
	starts := make([]storage.Object, len(group))
	for i, ri := range group {
		starts[i] = value(p.O, rows[ri])
	}
	adj, err := l.exploreBackward(ctx, pred.Entity, starts)
	if err != nil {
		return err
	}
	for i, ri := range group {
		want := value(p.S, rows[ri])
		for _, e := range reachable(adj, starts[i]) {
			if want.Kind == 0 || sameValue(want, e.to) {
				f(ri, match{id: idObject(e.id), s: e.to, p: pred, o: starts[i]})
			}
		}
	}
	return nil
}

func (l *lookuper) exploreBackward(ctx context.Context, pred uint64, starts []storage.Object) (adjacency, error) {
	return l.explore(ctx, pred, false, starts, func(ctx context.Context, frontier []storage.Object, emit func(from storage.Object, e edge)) error {
		lk := make([]viewclient.PO, len(frontier))
		for i, n := range frontier {
			lk[i] = viewclient.PO{Predicate: pred, Object: n}
		}
		return l.views.LookupPO(ctx, l.index, lk, func(i int, fact storage.Fact) {
			emit(frontier[i], edge{storage.AEntity(fact.Subject), fact.ID})
		})
	})
}

// inferAllPairs reads every fact with the predicate and closes the relation
// in memory.
func (l *lookuper) inferAllPairs(ctx context.Context, p *planner.Pattern, rows []row, group []int, f found) error {
	if len(group) == 0 {
		return nil
	}
	pred := value(p.P, rows[group[0]])
	adj := adjacency{}
	var subjects []storage.Object
	scan := []*wire.POCmp{{Predicate: pred.Entity, Op: wire.CmpOp_CMP_ANY}}
	err := l.views.LookupPOCmp(ctx, l.index, scan, func(_ int, fact storage.Fact) {
		s := storage.AEntity(fact.Subject)
		k := objectKey(s)
		if _, seen := adj[k]; !seen {
			subjects = append(subjects, s)
		}
		adj[k] = append(adj[k], edge{fact.Object, fact.ID})
	})
	if err != nil {
		return err
	}
	for _, s := range subjects {
		for _, e := range reachable(adj, s) {
			m := match{id: idObject(e.id), s: s, p: pred, o: e.to}
			for _, ri := range group {
				f(ri, m)
			}
		}
	}
	return nil
}

func idObject(id uint64) storage.Object {
	if id == 0 {
		return storage.Object{}
	}
	return storage.AEntity(id)
}

// expand fetches the edges leaving every node of a frontier.
type expand func(ctx context.Context, frontier []storage.Object, emit func(from storage.Object, e edge)) error

// explore runs a breadth-first search from starts, one batched expand per
// level, and returns the adjacency it discovered. Past the starts, only
// entities are expanded: a literal can end a chain but not continue it.
// Past the first level, a frontier larger than the plan's LinkScanAbove
// is answered by one scan of all the predicate's entity-valued facts, and
// the search finishes in memory.
func (l *lookuper) explore(ctx context.Context, pred uint64, forward bool, starts []storage.Object, next expand) (adjacency, error) {
	adj := adjacency{}
	visited := map[string]bool{}
	var frontier []storage.Object
	for _, s := range starts {
		if k := objectKey(s); !visited[k] {
			visited[k] = true
			frontier = append(frontier, s)
		}
	}
	for depth := 0; len(frontier) > 0 && depth < maxInferDepth; depth++ {
		if depth > 0 && l.linkScanAbove > 0 && len(frontier) > l.linkScanAbove {
			links, err := l.scanLinks(ctx, pred, forward)
			if err != nil {
				return nil, err
			}
			next = func(_ context.Context, frontier []storage.Object, emit func(storage.Object, edge)) error {
				for _, n := range frontier {
					for _, e := range links[objectKey(n)] {
						emit(n, e)
					}
				}
				return nil
			}
		}
		var reached []storage.Object
		err := next(ctx, frontier, func(from storage.Object, e edge) {
			k := objectKey(from)
			adj[k] = append(adj[k], e)
			reached = append(reached, e.to)
		})
		if err != nil {
			return nil, err
		}
		frontier = uniqueEntities(reached, visited)
	}
	return adj, nil
}

// scanLinks reads every fact with the predicate and an entity object (one
// covering range scan) as an adjacency, forward or backward.
func (l *lookuper) scanLinks(ctx context.Context, pred uint64, forward bool) (adjacency, error) {
	links := adjacency{}
	scan := []*wire.POCmp{{Predicate: pred, Op: wire.CmpOp_CMP_GTE, Value: wire.FromObject(storage.AEntity(1))}}
	err := l.views.LookupPOCmp(ctx, l.index, scan, func(_ int, fact storage.Fact) {
		from, to := storage.AEntity(fact.Subject), fact.Object
		if !forward {
			from, to = to, from
		}
		k := objectKey(from)
		links[k] = append(links[k], edge{to: to, id: fact.ID})
	})
	return links, err
}

func uniqueEntities(nodes []storage.Object, visited map[string]bool) []storage.Object {
	var out []storage.Object
	for _, n := range nodes {
		k := objectKey(n)
		if n.Kind == storage.KindEntity && !visited[k] {
			visited[k] = true
			out = append(out, n)
		}
	}
	return out
}

// reachable lists the nodes reachable from start in adj (start itself only
// through a cycle). A node that is also a direct neighbour carries the ID
// of the stored fact linking them; others carry ID 0 (inferred).
func reachable(adj adjacency, start storage.Object) []edge {
	direct := map[string]uint64{}
	for _, e := range adj[objectKey(start)] {
		direct[objectKey(e.to)] = e.id
	}
	var out []edge
	seen := map[string]bool{}
	stack := []storage.Object{start}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, e := range adj[objectKey(n)] {
			k := objectKey(e.to)
			if !seen[k] {
				seen[k] = true
				out = append(out, edge{to: e.to, id: direct[k]})
				stack = append(stack, e.to)
			}
		}
	}
	return out
}
