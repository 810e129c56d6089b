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
	// cacheLimit bounds the name cache (WithNameCacheLimit); 0: none.
	cacheLimit int
	// shared is the names cache of many queries (WithNames); nil: none.
	shared *engine.Names

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

// WithNameCacheLimit bounds how many entities the Graph remembers the
// names of: when a batch would take the cache over n, it is emptied
// first. A Graph that streams the whole graph (an export) then holds a
// bounded number of names however many entities there are; a query keeps
// the default, an unbounded cache, since an update relies on KID to map
// the blank nodes it matched back to their entities.
func WithNameCacheLimit(n int) Option { return func(g *Graph) { g.cacheLimit = n } }

// New returns the graph views hold as of log index.
func New(views engine.Views, index uint64, opts ...Option) *Graph {
	g := &Graph{views: views, index: index, terms: map[uint64]rdf.Term{}, kids: map[rdf.Term]uint64{}}
	for _, o := range opts {
		o(g)
	}
	return g
}

// Prepare implements eval.Preparer: it resolves every entity the
// patterns name in one batch, for Estimate and Match to find cached.
func (g *Graph) Prepare(ctx context.Context, patterns []eval.Pattern) {
	_, _ = g.resolve(ctx, patterns) // a failure shows again where it matters
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

// matchChunk is how many matches Match names (in one batch) and emits at
// a time; the lookups hand their matches over in chunks of this size.
const matchChunk = 1024

// Match implements eval.Graph. The lookups run in their own goroutines
// and hand their matches over in chunks, through a channel of bounded
// size, to the goroutine that called Match, which names the entities of
// each chunk and emits it: a Match holds a few chunks at a time, however
// many facts it finds. emit may call Match again: a lookup waiting to
// hand over a chunk holds nothing a nested Match needs.
func (g *Graph) Match(ctx context.Context, patterns []eval.Pattern, emit func(i int, t rdf.Triple) error) error {
	return g.match(ctx, patterns, func(hits []hit) error { return g.emitHits(ctx, hits, emit) })
}

// match runs the lookups of patterns and hands their matches to handle,
// a chunk at a time, in the calling goroutine (see Match).
func (g *Graph) match(ctx context.Context, patterns []eval.Pattern, handle func([]hit) error) error {
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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st := &matchState{cancel: cancel}
	chunks := b.start(ctx, st, g.views, g.index, pts)
	// Every chunk is taken, even after a failure, until the channel
	// closes: it closes once every lookup has returned, so none is left
	// running when Match returns.
	for hits := range chunks {
		if st.failed() {
			continue
		}
		if err := handle(hits); err != nil {
			st.fail(err)
		}
	}
	return st.failure()
}

// emitHits names the entities of hits (the ones the cache lacks, in one
// batch) and emits them.
func (g *Graph) emitHits(ctx context.Context, hits []hit, emit func(i int, t rdf.Triple) error) error {
	kids := map[uint64]bool{}
	for _, h := range hits {
		kids[h.f.Subject], kids[h.f.Predicate] = true, true
		if h.f.Object.Kind == storage.KindEntity {
			kids[h.f.Object.Entity] = true
		}
	}
	terms, err := g.termsOf(ctx, kids)
	if err != nil {
		return fmt.Errorf("naming the entities of %d matches: %w", len(hits), err)
	}
	for _, h := range hits {
		t := rdf.Triple{S: terms[h.f.Subject], P: terms[h.f.Predicate]}
		if h.f.Object.Kind == storage.KindEntity {
			t.O = terms[h.f.Object.Entity]
		} else {
			t.O = rdf.ObjectTerm(h.f.Object)
		}
		if err := emit(h.pattern, t); err != nil {
			return err
		}
	}
	return nil
}

// matchState is the outcome of one Match: the first error (of a lookup,
// of naming entities, or of emit) stops it.
type matchState struct {
	cancel context.CancelFunc // stops the lookups
	mu     sync.Mutex
	err    error // the cause: the lookups it cancels fail after it
}

func (m *matchState) fail(err error) {
	m.mu.Lock()
	if m.err == nil {
		m.err = err
	}
	m.mu.Unlock()
	m.cancel()
}

func (m *matchState) failed() bool { return m.failure() != nil }

func (m *matchState) failure() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
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
			case rdf.Literal, standInKind:
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
		if kid, ok := standInKID(*t); ok {
			return kid, true
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

// Visible reports whether f is data rather than Akutan's bookkeeping (see
// the package documentation, Internal facts).
func Visible(f storage.Fact) bool { return visible(f) }

// visible reports whether f is data rather than Akutan's bookkeeping.
func visible(f storage.Fact) bool {
	return !internal(f.Subject) && !internal(f.Predicate) &&
		(f.Object.Kind != storage.KindEntity || !internal(f.Object.Entity))
}

// sink gathers one lookup's matches into chunks and hands each full one
// over; once the Match is cancelled it drops them. Its add is called as
// the lookup's Emit, one call at a time.
type sink struct {
	ctx     context.Context
	out     chan<- []hit
	buf     []hit
	dropped bool // some chunk was dropped: the Match must not succeed
}

func (s *sink) add(h hit) {
	// The buffer grows as matches come (up to matchChunk): most lookups
	// of a join step find a few, and a full chunk is ~200 KB to clear.
	s.buf = append(s.buf, h)
	if len(s.buf) >= matchChunk {
		s.flush()
	}
}

func (s *sink) flush() {
	if len(s.buf) == 0 {
		return
	}
	select {
	case s.out <- s.buf:
	case <-s.ctx.Done():
		s.dropped = true
	}
	s.buf = nil
}

// start asks every lookup of the batch, each kind in its own goroutine,
// and returns the channel their visible facts that match their patterns
// come through, in chunks. The channel closes once every lookup has
// returned; a lookup that fails records its error in st, which cancels
// ctx and so the others.
func (b *batch) start(ctx context.Context, st *matchState, views engine.Views, index uint64, pts []*pattern) <-chan []hit {
	// collect returns an Emit that keeps the facts of lookup j that match
	// its owners' patterns.
	collect := func(owners [][]int, out *sink) viewclient.Emit {
		return func(j int, f storage.Fact) {
			if j < 0 || j >= len(owners) || !visible(f) {
				return
			}
			for _, i := range owners[j] {
				if pts[i].accepts(f) {
					out.add(hit{i, f})
				}
			}
		}
	}
	var calls []func(*sink) error
	if len(b.spo) > 0 {
		calls = append(calls, func(out *sink) error {
			return wrap("LookupSPO", len(b.spo), views.LookupSPO(ctx, index, b.spo, collect(b.spoOwner, out)))
		})
	}
	if len(b.sp) > 0 {
		calls = append(calls, func(out *sink) error {
			return wrap("LookupSP", len(b.sp), views.LookupSP(ctx, index, b.sp, collect(b.spOwner, out)))
		})
	}
	if len(b.po) > 0 {
		calls = append(calls, func(out *sink) error {
			return wrap("LookupPO", len(b.po), views.LookupPO(ctx, index, b.po, collect(b.poOwner, out)))
		})
	}
	if len(b.s) > 0 {
		calls = append(calls, func(out *sink) error {
			return wrap("LookupS", len(b.s), views.LookupS(ctx, index, b.s, collect(b.sOwner, out)))
		})
	}
	if len(b.p) > 0 {
		calls = append(calls, func(out *sink) error {
			return wrap("LookupP", len(b.p), views.LookupP(ctx, index, b.p, collect(b.pOwner, out)))
		})
	}
	if len(b.cmp) > 0 {
		calls = append(calls, func(out *sink) error {
			return wrap("LookupPOCmp", len(b.cmp), views.LookupPOCmp(ctx, index, b.cmp, collect(b.cmpOwner, out)))
		})
	}
	if len(b.scanAll) > 0 || len(b.scanByObject) > 0 {
		calls = append(calls, func(out *sink) error {
			return wrap("Scan", 1, views.Scan(ctx, index, func(_ int, f storage.Fact) {
				if !visible(f) {
					return
				}
				for _, i := range b.scanAll {
					out.add(hit{i, f})
				}
				for _, i := range b.scanByObject[objectKey(f.Object)] {
					if pts[i].accepts(f) {
						out.add(hit{i, f})
					}
				}
			}))
		})
	}
	chunks := make(chan []hit, len(calls))
	var wg sync.WaitGroup
	for _, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := &sink{ctx: ctx, out: chunks}
			if err := call(out); err != nil {
				st.fail(err) // the Match fails: the other lookups are wasted
				return
			}
			out.flush()
			if out.dropped {
				// Cancelled after all (by the caller: a failure of the
				// Match is recorded already): the matches dropped must
				// not make a short answer.
				st.fail(fmt.Errorf("matches dropped: %w", context.Cause(ctx)))
			}
		}()
	}
	go func() {
		wg.Wait()
		close(chunks)
	}()
	return chunks
}

func wrap(kind string, n int, err error) error {
	if err != nil {
		return fmt.Errorf("%s of %d lookups: %w", kind, n, err)
	}
	return nil
}
