package eval

import (
	"context"
	"sync"

	"github.com/akutan-dev/akutan/query/rdf"
)

// MemGraph is a Graph held in memory: a set of triples indexed by
// subject, predicate and object. Unit tests and the W3C runner use it. It
// is safe for concurrent use, and emit may call Match again.
type MemGraph struct {
	mu      sync.RWMutex
	triples map[string]rdf.Triple
	// order keeps insertion order so that Triples and scans are
	// deterministic; removed entries are compacted lazily.
	order   []string
	removed int
	index   [3]map[string]map[string]struct{}
}

// NewMemGraph returns a graph holding triples (duplicates kept once).
func NewMemGraph(triples []rdf.Triple) *MemGraph {
	g := &MemGraph{triples: map[string]rdf.Triple{}}
	for i := range g.index {
		g.index[i] = map[string]map[string]struct{}{}
	}
	g.Add(triples...)
	return g
}

// Add adds triples; ones already present are ignored.
func (g *MemGraph) Add(triples ...rdf.Triple) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, t := range triples {
		t.Pos = rdf.Position{}
		k := tripleKey(t)
		if _, ok := g.triples[k]; ok {
			continue
		}
		g.triples[k] = t
		g.order = append(g.order, k)
		for i, x := range [3]rdf.Term{t.S, t.P, t.O} {
			tk := termKey(x)
			set := g.index[i][tk]
			if set == nil {
				set = map[string]struct{}{}
				g.index[i][tk] = set
			}
			set[k] = struct{}{}
		}
	}
}

// Delete removes triples; ones not present are ignored.
func (g *MemGraph) Delete(triples ...rdf.Triple) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, t := range triples {
		k := tripleKey(t)
		if _, ok := g.triples[k]; !ok {
			continue
		}
		delete(g.triples, k)
		g.removed++
		for i, x := range [3]rdf.Term{t.S, t.P, t.O} {
			tk := termKey(x)
			delete(g.index[i][tk], k)
			if len(g.index[i][tk]) == 0 {
				delete(g.index[i], tk)
			}
		}
	}
	if g.removed > len(g.order)/2 {
		g.compact()
	}
}

func (g *MemGraph) compact() {
	live := g.order[:0]
	for _, k := range g.order {
		if _, ok := g.triples[k]; ok {
			live = append(live, k)
		}
	}
	// Drop keys that were removed and added again, keeping the first.
	seen := make(map[string]bool, len(live))
	out := live[:0]
	for _, k := range live {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	g.order = out
	g.removed = 0
}

// Len is the number of triples.
func (g *MemGraph) Len() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.triples)
}

// Triples returns every triple, in the order they were added.
func (g *MemGraph) Triples() []rdf.Triple {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]rdf.Triple, 0, len(g.triples))
	seen := make(map[string]bool, len(g.triples))
	for _, k := range g.order {
		if t, ok := g.triples[k]; ok && !seen[k] {
			seen[k] = true
			out = append(out, t)
		}
	}
	return out
}

// Match implements Graph. Each pattern's matches are copied out under
// the lock and emitted after it is released, so emit may use the graph.
func (g *MemGraph) Match(ctx context.Context, patterns []Pattern, emit func(i int, t rdf.Triple) error) error {
	for i, p := range patterns {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, t := range g.matches(p) {
			if err := emit(i, t); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *MemGraph) matches(p Pattern) []rdf.Triple {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var smallest map[string]struct{}
	indexed := false
	for i, x := range [3]*rdf.Term{p.S, p.P, p.O} {
		if x == nil {
			continue
		}
		set := g.index[i][termKey(*x)]
		if !indexed || len(set) < len(smallest) {
			smallest, indexed = set, true
		}
	}
	var out []rdf.Triple
	if !indexed {
		seen := make(map[string]bool, len(g.triples))
		for _, k := range g.order {
			if t, ok := g.triples[k]; ok && !seen[k] {
				seen[k] = true
				out = append(out, t)
			}
		}
		return out
	}
	for k := range smallest {
		t := g.triples[k]
		if matchesPattern(p, t) {
			out = append(out, t)
		}
	}
	return out
}

func matchesPattern(p Pattern, t rdf.Triple) bool {
	return (p.S == nil || *p.S == t.S) && (p.P == nil || *p.P == t.P) && (p.O == nil || *p.O == t.O)
}
