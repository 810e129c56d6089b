// Package enginetest is an in-memory engine.Views for tests of the query
// engine: facts held in memory and answered as the views would answer
// them, with the lookups that need chosen hash ranges failing the way they
// fail when no view covers those ranges.
//
// A failing lookup behaves like the view client's: the lookups (or, for a
// lookup that asks every range, the facts) that lie outside the failing
// ranges are answered first, then the call returns an error naming the
// space and the range, wrapping fanout.ErrUncovered. So a query sees some
// rows before the failure, as it does when one partition of a real
// cluster is down.
package enginetest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// Views holds a graph in memory. It is safe for concurrent use.
type Views struct {
	mu      sync.Mutex
	facts   []storage.Fact
	names   map[string]uint64
	index   uint64 // the last index used; every Entity and Add takes one
	failing map[space.Space][]space.Range
	deleted map[uint64]uint64 // fact ID -> the index of its tombstone
}

// New returns an empty graph.
func New() *Views {
	return &Views{names: map[string]uint64{}, failing: map[space.Space][]space.Range{}, deleted: map[uint64]uint64{}}
}

// Entity returns the KID of the entity with the external name, creating
// it (and its HasExternalID fact) the first time.
func (v *Views) Entity(name string) uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	if kid, ok := v.names[name]; ok {
		return kid
	}
	v.index++
	kid := storage.KIDOf(v.index, 1)
	v.names[name] = kid
	v.facts = append(v.facts, storage.Fact{Index: v.index, ID: storage.KIDOf(v.index, 2),
		Subject: kid, Predicate: storage.KIDHasExternalID, Object: storage.AString(name, "")})
	return kid
}

// unnamed creates an entity without an external name.
func (v *Views) unnamed() uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.index++
	return storage.KIDOf(v.index, 1)
}

// Add stores the fact subject predicate object and returns its ID.
func (v *Views) Add(subject, predicate uint64, object storage.Object) uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.index++
	id := storage.KIDOf(v.index, 1)
	v.facts = append(v.facts, storage.Fact{Index: v.index, ID: id, Subject: subject, Predicate: predicate, Object: object})
	return id
}

// Put stores facts exactly as given, with their own Index and ID, the way
// a view stores the facts of a log entry: for fakes that replay a log.
// Later calls to Entity and Add take indexes after the largest one put.
func (v *Views) Put(facts ...storage.Fact) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, f := range facts {
		v.facts = append(v.facts, f)
		v.index = max(v.index, f.Index)
	}
}

// Tombstone deletes each fact's ID as of the fact's Index, the way a view
// applies the deletes of a log entry (logentry.Effect.Deletes): lookups as
// of that index or later no longer see the fact, earlier ones still do. A
// fact deleted already stays deleted as of its first tombstone. Later
// calls to Entity and Add take indexes after the largest one given.
func (v *Views) Tombstone(facts ...storage.Fact) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, f := range facts {
		if _, gone := v.deleted[f.ID]; !gone {
			v.deleted[f.ID] = f.Index
		}
		v.index = max(v.index, f.Index)
	}
}

// visible reports whether f exists as of index.
func (v *Views) visible(f storage.Fact, index uint64) bool {
	if f.Index > index {
		return false
	}
	at, gone := v.deleted[f.ID]
	return !gone || at > index
}

// Index returns the last log index of the graph: queries at it see every
// fact added so far.
func (v *Views) Index() uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.index
}

// Fail makes every lookup that needs a hash in r of sp fail from now on.
func (v *Views) Fail(sp space.Space, r space.Range) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.failing[sp] = append(v.failing[sp], r)
}

// Heal makes every lookup succeed again.
func (v *Views) Heal() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.failing = map[space.Space][]space.Range{}
}

// failure returns the error for hash h of sp, or nil when h is served.
func (v *Views) failure(sp space.Space, h uint64) error {
	for _, r := range v.failing[sp] {
		if r.Contains(h) {
			return fmt.Errorf("%s lookups: hash range %s: %w", sp, r, fanout.ErrUncovered)
		}
	}
	return nil
}

// coverFailure returns the error for a lookup that needs all of sp.
func (v *Views) coverFailure(sp space.Space) error {
	if rs := v.failing[sp]; len(rs) > 0 {
		return fmt.Errorf("%s lookups: hash range %s: %w", sp, rs[0], fanout.ErrUncovered)
	}
	return nil
}

// points answers point lookups: lookup i lives at points[i] of sp and
// matches the facts for which match(i, fact) holds.
func (v *Views) points(ctx context.Context, index uint64, sp space.Space, points []uint64,
	match func(i int, f storage.Fact) bool, emit viewclient.Emit) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var (
		out      []answer
		firstErr error
	)
	v.mu.Lock()
	for i, h := range points {
		if err := v.failure(sp, h); err != nil {
			firstErr = cmpOr(firstErr, err)
			continue
		}
		for _, f := range v.facts {
			if v.visible(f, index) && match(i, f) {
				out = append(out, answer{i, f})
			}
		}
	}
	v.mu.Unlock()
	emitAll(out, emit)
	return firstErr
}

// answer is a fact found for lookup number i.
type answer struct {
	i int
	f storage.Fact
}

// emitAll emits the answers found. They are emitted after the lock is
// released, as a view client emits them with nothing held: emit may block
// (a SPARQL Match hands matches over to the goroutine that evaluates
// them) until lookups it runs meanwhile are answered.
func emitAll(out []answer, emit viewclient.Emit) {
	for _, a := range out {
		emit(a.i, a.f)
	}
}

// cover answers n lookups that need every range of sp.
func (v *Views) cover(ctx context.Context, index uint64, sp space.Space, n int,
	match func(i int, f storage.Fact) bool, emit viewclient.Emit) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var out []answer
	v.mu.Lock()
	for i := range n {
		for _, f := range v.facts {
			if v.visible(f, index) && v.failure(sp, sp.Hash(f)) == nil && match(i, f) {
				out = append(out, answer{i, f})
			}
		}
	}
	err := v.coverFailure(sp)
	v.mu.Unlock()
	emitAll(out, emit)
	return err
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func sameObject(a, b storage.Object) bool {
	return bytes.Equal(storage.AppendObject(nil, a), storage.AppendObject(nil, b))
}

// LookupS implements engine.Views.
func (v *Views) LookupS(ctx context.Context, index uint64, subjects []uint64, emit viewclient.Emit) error {
	return v.cover(ctx, index, space.HashSP, len(subjects),
		func(i int, f storage.Fact) bool { return f.Subject == subjects[i] }, emit)
}

// LookupSP implements engine.Views.
func (v *Views) LookupSP(ctx context.Context, index uint64, lookups []viewclient.SP, emit viewclient.Emit) error {
	sp, points := viewclient.Place(lookups)
	return v.points(ctx, index, sp, points,
		func(i int, f storage.Fact) bool {
			return f.Subject == lookups[i].Subject && f.Predicate == lookups[i].Predicate
		}, emit)
}

// LookupSPO implements engine.Views.
func (v *Views) LookupSPO(ctx context.Context, index uint64, lookups []viewclient.SPO, emit viewclient.Emit) error {
	sp, points := viewclient.Place(lookups)
	return v.points(ctx, index, sp, points,
		func(i int, f storage.Fact) bool {
			l := lookups[i]
			return f.Subject == l.Subject && f.Predicate == l.Predicate && sameObject(f.Object, l.Object)
		}, emit)
}

// LookupPO implements engine.Views.
func (v *Views) LookupPO(ctx context.Context, index uint64, lookups []viewclient.PO, emit viewclient.Emit) error {
	sp, points := viewclient.Place(lookups)
	return v.points(ctx, index, sp, points,
		func(i int, f storage.Fact) bool {
			return f.Predicate == lookups[i].Predicate && sameObject(f.Object, lookups[i].Object)
		}, emit)
}

// LookupPOCmp implements engine.Views.
func (v *Views) LookupPOCmp(ctx context.Context, index uint64, lookups []*wire.POCmp, emit viewclient.Emit) error {
	cmps := make([]func(storage.Fact) bool, len(lookups))
	for i, l := range lookups {
		c, err := comparison(l)
		if err != nil {
			return fmt.Errorf("comparison %d: %w", i, err)
		}
		cmps[i] = c
	}
	return v.cover(ctx, index, space.HashPO, len(lookups),
		func(i int, f storage.Fact) bool { return cmps[i](f) }, emit)
}

// LookupP implements engine.Views.
func (v *Views) LookupP(ctx context.Context, index uint64, predicates []uint64, emit viewclient.Emit) error {
	return v.cover(ctx, index, space.HashPO, len(predicates),
		func(i int, f storage.Fact) bool { return f.Predicate == predicates[i] }, emit)
}

// Scan implements engine.Views.
func (v *Views) Scan(ctx context.Context, index uint64, emit viewclient.Emit) error {
	return v.cover(ctx, index, space.HashSP, 1, func(int, storage.Fact) bool { return true }, emit)
}

// comparison returns what a view's LookupPOCmp keeps: facts with the
// predicate whose object is of the value's kind and group and compares as
// asked (every fact with the predicate for CMP_ANY).
func comparison(c *wire.POCmp) (func(storage.Fact) bool, error) {
	if c.Op == wire.CmpOp_CMP_ANY {
		return func(f storage.Fact) bool { return f.Predicate == c.Predicate }, nil
	}
	val, err := wire.ToObject(c.Value)
	if err != nil {
		return nil, err
	}
	var end storage.Object
	if c.Op == wire.CmpOp_CMP_RANGE {
		if end, err = wire.ToObject(c.End); err != nil {
			return nil, err
		}
	}
	group := storage.AppendObjectGroup(nil, val)
	holds, err := cmpHolds(c.Op, val, end)
	if err != nil {
		return nil, err
	}
	return func(f storage.Fact) bool {
		return f.Predicate == c.Predicate && bytes.Equal(storage.AppendObjectGroup(nil, f.Object), group) && holds(f.Object)
	}, nil
}

func cmpHolds(op wire.CmpOp, val, end storage.Object) (func(storage.Object) bool, error) {
	cmp := func(o storage.Object) int { return storage.CompareObjects(o, val) }
	switch op {
	case wire.CmpOp_CMP_EQ:
		return func(o storage.Object) bool { return cmp(o) == 0 }, nil
	case wire.CmpOp_CMP_NE:
		return func(o storage.Object) bool { return cmp(o) != 0 }, nil
	case wire.CmpOp_CMP_GT:
		return func(o storage.Object) bool { return cmp(o) > 0 }, nil
	case wire.CmpOp_CMP_GTE:
		return func(o storage.Object) bool { return cmp(o) >= 0 }, nil
	case wire.CmpOp_CMP_LT:
		return func(o storage.Object) bool { return cmp(o) < 0 }, nil
	case wire.CmpOp_CMP_LTE:
		return func(o storage.Object) bool { return cmp(o) <= 0 }, nil
	case wire.CmpOp_CMP_PREFIX:
		return func(o storage.Object) bool { return strings.HasPrefix(o.Str, val.Str) }, nil
	case wire.CmpOp_CMP_RANGE:
		return func(o storage.Object) bool { return cmp(o) >= 0 && storage.CompareObjects(o, end) < 0 }, nil
	}
	return nil, fmt.Errorf("unknown comparison operator %v", op)
}
