package engine

import (
	"context"
	"fmt"

	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// maxInferDepth bounds a transitive search; cycles are cut by remembering
// visited nodes, so this only limits pathological chains.
const maxInferDepth = 64

func objectKey(o storage.Object) string { return string(storage.AppendObject(nil, o)) }

// inferAll answers a pattern whose predicate is treated as transitive: a
// fact matches if a chain of stored facts with that predicate implies it.
// Each breadth-first level is one batched lookup for all rows.
func (e *executor) inferAll(ctx context.Context, p *pattern, rows []row, matches [][]match, spo, sp, po, pOnly, sOnly []int) error {
	if len(sOnly) > 0 {
		return fmt.Errorf("internal error: inference needs a known predicate")
	}
	for _, group := range [][]int{spo, sp} {
		if err := e.inferForward(ctx, p, rows, matches, group); err != nil {
			return err
		}
	}
	if err := e.inferBackward(ctx, p, rows, matches, po); err != nil {
		return err
	}
	return e.inferAllPairs(ctx, p, rows, matches, pOnly)
}

// inferForward follows the predicate from each row's subject; rows with a
// known object keep only the chains that reach it.
func (e *executor) inferForward(ctx context.Context, p *pattern, rows []row, matches [][]match, group []int) error {
	if len(group) == 0 {
		return nil
	}
	pred := value(p.P, rows[group[0]]).Entity
	starts := make([]storage.Object, len(group))
	for i, ri := range group {
		starts[i] = value(p.S, rows[ri])
	}
	adj, err := e.explore(ctx, starts, func(ctx context.Context, frontier []storage.Object, emit func(from, to storage.Object)) error {
		l := make([]viewclient.SP, len(frontier))
		for i, n := range frontier {
			l[i] = viewclient.SP{Subject: n.Entity, Predicate: pred}
		}
		return e.views.LookupSP(ctx, e.index, l, func(i int, f storage.Fact) { emit(frontier[i], f.Object) })
	})
	if err != nil {
		return err
	}
	for i, ri := range group {
		want := value(p.O, rows[ri])
		for _, o := range reachable(adj, starts[i]) {
			if want.Kind == 0 || sameValue(want, o) {
				matches[ri] = append(matches[ri], match{s: starts[i], p: storage.AEntity(pred), o: o})
			}
		}
	}
	return nil
}

// inferBackward follows the predicate backwards from each row's object.
func (e *executor) inferBackward(ctx context.Context, p *pattern, rows []row, matches [][]match, group []int) error {
	if len(group) == 0 {
		return nil
	}
	pred := value(p.P, rows[group[0]]).Entity
	starts := make([]storage.Object, len(group))
	for i, ri := range group {
		starts[i] = value(p.O, rows[ri])
	}
	adj, err := e.explore(ctx, starts, func(ctx context.Context, frontier []storage.Object, emit func(from, to storage.Object)) error {
		l := make([]viewclient.PO, len(frontier))
		for i, n := range frontier {
			l[i] = viewclient.PO{Predicate: pred, Object: n}
		}
		return e.views.LookupPO(ctx, e.index, l, func(i int, f storage.Fact) { emit(frontier[i], storage.AEntity(f.Subject)) })
	})
	if err != nil {
		return err
	}
	for i, ri := range group {
		for _, s := range reachable(adj, starts[i]) {
			matches[ri] = append(matches[ri], match{s: s, p: storage.AEntity(pred), o: starts[i]})
		}
	}
	return nil
}

// inferAllPairs reads every fact with the predicate and closes the relation
// in memory.
func (e *executor) inferAllPairs(ctx context.Context, p *pattern, rows []row, matches [][]match, group []int) error {
	if len(group) == 0 {
		return nil
	}
	pred := value(p.P, rows[group[0]]).Entity
	adj := map[string][]storage.Object{}
	var subjects []storage.Object
	scan := []*wire.POCmp{{Predicate: pred, Op: wire.CmpOp_CMP_ANY}}
	err := e.views.LookupPOCmp(ctx, e.index, scan, func(_ int, f storage.Fact) {
		s := storage.AEntity(f.Subject)
		k := objectKey(s)
		if _, seen := adj[k]; !seen {
			subjects = append(subjects, s)
		}
		adj[k] = append(adj[k], f.Object)
	})
	if err != nil {
		return err
	}
	var all []match
	for _, s := range subjects {
		for _, o := range reachable(adj, s) {
			all = append(all, match{s: s, p: storage.AEntity(pred), o: o})
		}
	}
	for _, ri := range group {
		matches[ri] = all
	}
	return nil
}

// expand fetches the edges leaving every node of a frontier.
type expand func(ctx context.Context, frontier []storage.Object, emit func(from, to storage.Object)) error

// explore runs a breadth-first search from starts, one batched expand per
// level, and returns the adjacency it discovered. Past the starts, only
// entities are expanded: a literal can end a chain but not continue it.
func (e *executor) explore(ctx context.Context, starts []storage.Object, next expand) (map[string][]storage.Object, error) {
	adj := map[string][]storage.Object{}
	visited := map[string]bool{}
	var frontier []storage.Object
	for _, s := range starts {
		if k := objectKey(s); !visited[k] {
			visited[k] = true
			frontier = append(frontier, s)
		}
	}
	for depth := 0; len(frontier) > 0 && depth < maxInferDepth; depth++ {
		var found []storage.Object
		err := next(ctx, frontier, func(from, to storage.Object) {
			k := objectKey(from)
			adj[k] = append(adj[k], to)
			found = append(found, to)
		})
		if err != nil {
			return nil, err
		}
		frontier = uniqueEntities(found, visited)
	}
	return adj, nil
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
// through a cycle).
func reachable(adj map[string][]storage.Object, start storage.Object) []storage.Object {
	var out []storage.Object
	seen := map[string]bool{}
	stack := []storage.Object{start}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, m := range adj[objectKey(n)] {
			k := objectKey(m)
			if !seen[k] {
				seen[k] = true
				out = append(out, m)
				stack = append(stack, m)
			}
		}
	}
	return out
}
