package viewgraph

import (
	"context"
	"fmt"
	"sync"

	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/planner"
	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql/eval"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// Graph is the stored graph as of one log index. It is safe for
// concurrent use; it is meant to live for one query.
type Graph struct {
	views engine.Views
	index uint64
	stats func() *planner.Stats // nil: estimates from defaults

	mu    sync.Mutex
	terms map[uint64]rdf.Term // entity KID -> its term
	kids  map[rdf.Term]uint64 // IRI or blank node -> its KID; 0: none
}

var (
	_ eval.Graph     = (*Graph)(nil)
	_ eval.Estimator = (*Graph)(nil)
)

// Option configures a Graph.
type Option func(*Graph)

// WithStats gives the Graph the views' statistics (as the Akutan
// language's planner has them), for its estimates; the function is called
// once per estimate and may return nil.
func WithStats(stats func() *planner.Stats) Option { return func(g *Graph) { g.stats = stats } }

// New returns the graph views hold as of log index.
func New(views engine.Views, index uint64, opts ...Option) *Graph {
	g := &Graph{views: views, index: index, terms: map[uint64]rdf.Term{}, kids: map[rdf.Term]uint64{}}
	for _, o := range opts {
		o(g)
	}
	return g
}

// Estimate implements eval.Estimator from the views' statistics
// (planner.Stats.Matches). A pattern naming something that is not stored
// matches nothing; one whose names cannot be resolved now is estimated as
// if they were all variables.
func (g *Graph) Estimate(ctx context.Context, p eval.Pattern, bound eval.Bound) float64 {
	var st *planner.Stats
	if g.stats != nil {
		st = g.stats()
	}
	b := planner.Bound{S: bound.S, P: bound.P, O: bound.O}
	pts, err := g.resolve(ctx, []eval.Pattern{p})
	if err != nil {
		return st.Matches(0, 0, nil, b)
	}
	pt := pts[0]
	if pt == nil {
		return 0
	}
	return st.Matches(pt.s, pt.p, pt.o, b)
}

// pattern is an eval.Pattern in storage terms.
type pattern struct {
	s, p    uint64          // 0: unbound
	o       *storage.Object // nil: unbound
	literal bool            // o is a literal: keep only facts with exactly that term
	// scans, with only p bound, are the range scans that find every fact
	// whose object can pass the pattern's ObjectFilter (objectScans);
	// ranged: the lookup is them, not the whole predicate.
	scans  []*wire.POCmp
	ranged bool
}

// accepts reports whether f matches the pattern: the lookups find facts
// by their bound parts, but a fact found for one pattern of a shared
// lookup is checked against each.
func (pt pattern) accepts(f storage.Fact) bool {
	if pt.s != 0 && f.Subject != pt.s || pt.p != 0 && f.Predicate != pt.p {
		return false
	}
	switch {
	case pt.o == nil:
		return true
	case pt.literal:
		return f.Object.Kind != storage.KindEntity && storage.SameTerm(f.Object, *pt.o)
	}
	return f.Object.Kind == storage.KindEntity && f.Object.Entity == pt.o.Entity
}

// Match implements eval.Graph.
func (g *Graph) Match(ctx context.Context, patterns []eval.Pattern, emit func(i int, t rdf.Triple) error) error {
	pts, err := g.resolve(ctx, patterns)
	if err != nil {
		return err
	}
	var b batch
	for i, pt := range pts {
		if pt != nil {
			b.add(i, *pt)
		}
	}
	hits, err := b.run(ctx, g.views, g.index, pts)
	if err != nil {
		return err
	}
	kids := map[uint64]bool{}
	for _, h := range hits {
		kids[h.f.Subject], kids[h.f.Predicate] = true, true
		if h.f.Object.Kind == storage.KindEntity {
			kids[h.f.Object.Entity] = true
		}
	}
	if err := g.termsOf(ctx, kids); err != nil {
		return fmt.Errorf("naming the entities of %d matches: %w", len(hits), err)
	}
	for _, h := range hits {
		t := rdf.Triple{S: g.term(h.f.Subject), P: g.term(h.f.Predicate)}
		if h.f.Object.Kind == storage.KindEntity {
			t.O = g.term(h.f.Object.Entity)
		} else {
			t.O = rdf.ObjectTerm(h.f.Object)
		}
		if err := emit(h.pattern, t); err != nil {
			return err
		}
	}
	return nil
}

// resolve converts the patterns to storage terms; a pattern with a term
// that names nothing stored becomes nil: it matches nothing.
func (g *Graph) resolve(ctx context.Context, patterns []eval.Pattern) ([]*pattern, error) {
	var entities []rdf.Term
	for i, p := range patterns {
		for _, part := range []struct {
			what string
			t    *rdf.Term
		}{{"subject", p.S}, {"predicate", p.P}, {"object", p.O}} {
			if part.t == nil {
				continue
			}
			switch part.t.Kind {
			case rdf.IRI, rdf.Blank:
				entities = append(entities, *part.t)
			case rdf.Literal:
			default:
				return nil, fmt.Errorf("pattern %d: %s: a term of unknown kind %d", i, part.what, part.t.Kind)
			}
		}
	}
	kids, err := g.kidsOf(ctx, entities)
	if err != nil {
		return nil, fmt.Errorf("resolving the IRIs and blank nodes of %d patterns: %w", len(patterns), err)
	}
	entity := func(t *rdf.Term) (uint64, bool) {
		if t.Kind == rdf.Literal {
			return 0, false
		}
		kid := kids[*t]
		return kid, kid != 0
	}
	out := make([]*pattern, len(patterns))
	for i, p := range patterns {
		var pt pattern
		ok := true
		if p.S != nil {
			pt.s, ok = entity(p.S)
		}
		if ok && p.P != nil {
			pt.p, ok = entity(p.P)
		}
		if ok && p.O != nil {
			pt.o, pt.literal, ok = object(p.O, entity)
		}
		if ok && pt.s == 0 && pt.p != 0 && p.O == nil && len(p.ObjectFilter) > 0 {
			pt.scans, pt.ranged = objectScans(pt.p, p.ObjectFilter)
		}
		if ok {
			out[i] = &pt
		}
	}
	return out, nil
}

// object converts a pattern's object term to the object to look up (by
// its value) and keep (by exact term); literal reports it is a literal.
func object(t *rdf.Term, entity func(*rdf.Term) (uint64, bool)) (o *storage.Object, literal, ok bool) {
	if t.Kind != rdf.Literal {
		kid, ok := entity(t)
		o := storage.AEntity(kid)
		return &o, false, ok
	}
	lit := rdf.LiteralObject(*t)
	return &lit, true, true
}

// hit is a fact that matches pattern number pattern.
type hit struct {
	pattern int
	f       storage.Fact
}

// batch groups a Match's patterns into lookups: patterns asking the same
// lookup share it (owners lists them).
type batch struct {
	spo      []viewclient.SPO
	spoOwner [][]int
	spoAt    map[string]int

	sp      []viewclient.SP
	spOwner [][]int
	spAt    map[viewclient.SP]int

	po      []viewclient.PO
	poOwner [][]int
	poAt    map[string]int

	s      []uint64
	sOwner [][]int
	sAt    map[uint64]int

	p      []uint64
	pOwner [][]int
	pAt    map[uint64]int

	cmp      []*wire.POCmp
	cmpOwner [][]int
	cmpAt    map[string]int

	scanAll      []int            // patterns with nothing bound
	scanByObject map[string][]int // patterns with only the object bound
}

// share returns the position of the lookup with key in at, adding it
// with add when it is new.
func share[K comparable](at *map[K]int, owners *[][]int, key K, i int, add func()) {
	if *at == nil {
		*at = map[K]int{}
	}
	pos, ok := (*at)[key]
	if !ok {
		pos = len(*owners)
		(*at)[key] = pos
		*owners = append(*owners, nil)
		add()
	}
	(*owners)[pos] = append((*owners)[pos], i)
}

func objectKey(o storage.Object) string { return string(storage.AppendObject(nil, o)) }

// scanKey identifies a range scan of objectScans, whose objects convert.
func scanKey(c *wire.POCmp) string {
	key := func(o *wire.Object) string {
		if o == nil {
			return ""
		}
		x, _ := wire.ToObject(o)
		return objectKey(x)
	}
	return fmt.Sprintf("%d %d %q %q", c.Predicate, c.Op, key(c.Value), key(c.End))
}

func (b *batch) add(i int, pt pattern) {
	switch {
	case pt.s != 0 && pt.p != 0 && pt.o != nil:
		l := viewclient.SPO{Subject: pt.s, Predicate: pt.p, Object: *pt.o}
		key := fmt.Sprintf("%d %d %s", pt.s, pt.p, objectKey(*pt.o))
		share(&b.spoAt, &b.spoOwner, key, i, func() { b.spo = append(b.spo, l) })
	case pt.s != 0 && pt.p != 0:
		l := viewclient.SP{Subject: pt.s, Predicate: pt.p}
		share(&b.spAt, &b.spOwner, l, i, func() { b.sp = append(b.sp, l) })
	case pt.p != 0 && pt.o != nil:
		l := viewclient.PO{Predicate: pt.p, Object: *pt.o}
		key := fmt.Sprintf("%d %s", pt.p, objectKey(*pt.o))
		share(&b.poAt, &b.poOwner, key, i, func() { b.po = append(b.po, l) })
	case pt.s != 0:
		share(&b.sAt, &b.sOwner, pt.s, i, func() { b.s = append(b.s, pt.s) })
	case pt.p != 0 && pt.s == 0 && pt.o == nil && pt.ranged:
		// The scans of one pattern do not overlap, so no fact is found
		// twice; none means nothing can pass.
		for _, c := range pt.scans {
			share(&b.cmpAt, &b.cmpOwner, scanKey(c), i, func() { b.cmp = append(b.cmp, c) })
		}
	case pt.p != 0:
		share(&b.pAt, &b.pOwner, pt.p, i, func() { b.p = append(b.p, pt.p) })
	case pt.o != nil:
		if b.scanByObject == nil {
			b.scanByObject = map[string][]int{}
		}
		key := objectKey(*pt.o)
		b.scanByObject[key] = append(b.scanByObject[key], i)
	default:
		b.scanAll = append(b.scanAll, i)
	}
}

// visible reports whether f is data rather than Akutan's bookkeeping.
func visible(f storage.Fact) bool {
	return !internal(f.Subject) && !internal(f.Predicate) &&
		(f.Object.Kind != storage.KindEntity || !internal(f.Object.Entity))
}

// run asks every lookup of the batch, each kind in parallel, and returns
// the visible facts that match their patterns.
func (b *batch) run(ctx context.Context, views engine.Views, index uint64, pts []*pattern) ([]hit, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// collect returns an Emit that keeps the facts of lookup j that match
	// its owners' patterns, in out.
	collect := func(owners [][]int, out *[]hit) viewclient.Emit {
		return func(j int, f storage.Fact) {
			if j < 0 || j >= len(owners) || !visible(f) {
				return
			}
			for _, i := range owners[j] {
				if pts[i].accepts(f) {
					*out = append(*out, hit{i, f})
				}
			}
		}
	}
	var calls []func(*[]hit) error
	if len(b.spo) > 0 {
		calls = append(calls, func(out *[]hit) error {
			return wrap("LookupSPO", len(b.spo), views.LookupSPO(ctx, index, b.spo, collect(b.spoOwner, out)))
		})
	}
	if len(b.sp) > 0 {
		calls = append(calls, func(out *[]hit) error {
			return wrap("LookupSP", len(b.sp), views.LookupSP(ctx, index, b.sp, collect(b.spOwner, out)))
		})
	}
	if len(b.po) > 0 {
		calls = append(calls, func(out *[]hit) error {
			return wrap("LookupPO", len(b.po), views.LookupPO(ctx, index, b.po, collect(b.poOwner, out)))
		})
	}
	if len(b.s) > 0 {
		calls = append(calls, func(out *[]hit) error {
			return wrap("LookupS", len(b.s), views.LookupS(ctx, index, b.s, collect(b.sOwner, out)))
		})
	}
	if len(b.p) > 0 {
		calls = append(calls, func(out *[]hit) error {
			return wrap("LookupP", len(b.p), views.LookupP(ctx, index, b.p, collect(b.pOwner, out)))
		})
	}
	if len(b.cmp) > 0 {
		calls = append(calls, func(out *[]hit) error {
			return wrap("LookupPOCmp", len(b.cmp), views.LookupPOCmp(ctx, index, b.cmp, collect(b.cmpOwner, out)))
		})
	}
	if len(b.scanAll) > 0 || len(b.scanByObject) > 0 {
		calls = append(calls, func(out *[]hit) error {
			return wrap("Scan", 1, views.Scan(ctx, index, func(_ int, f storage.Fact) {
				if !visible(f) {
					return
				}
				for _, i := range b.scanAll {
					*out = append(*out, hit{i, f})
				}
				for _, i := range b.scanByObject[objectKey(f.Object)] {
					if pts[i].accepts(f) {
						*out = append(*out, hit{i, f})
					}
				}
			}))
		})
	}
	results := make([][]hit, len(calls))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error // the cause: the calls it cancels fail after it
	)
	for k, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := call(&results[k]); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				cancel() // the Match fails: the other lookups are wasted
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	var all []hit
	for _, r := range results {
		all = append(all, r...)
	}
	return all, nil
}

func wrap(kind string, n int, err error) error {
	if err != nil {
		return fmt.Errorf("%s of %d lookups: %w", kind, n, err)
	}
	return nil
}
