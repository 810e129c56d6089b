package update

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/engine/enginetest"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// memLog is an in-memory Log: entries are numbered from 1, and each one
// is replayed into graph as soon as it is appended, as the views would
// replay it. Read tails the log like the real client: it waits for
// entries past the end until its context ends.
type memLog struct {
	graph *memGraph

	mu      sync.Mutex
	entries [][]byte
	grew    chan struct{} // closed and replaced by every append
	// beforeAppend, when set, runs before Append writes each entry; it may
	// write entries itself with put (another writer getting in first) or
	// fail the append.
	beforeAppend func(ctx context.Context, data []byte) error
	lastIndexErr error
}

func newMemLog() *memLog {
	return &memLog{graph: newMemGraph(), grew: make(chan struct{})}
}

func (l *memLog) setBeforeAppend(f func(ctx context.Context, data []byte) error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.beforeAppend = f
}

func (l *memLog) LastIndex(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lastIndexErr != nil {
		return 0, l.lastIndexErr
	}
	return uint64(len(l.entries)), nil
}

func (l *memLog) Append(ctx context.Context, entries [][]byte) (first, last uint64, err error) {
	for i, data := range entries {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		l.mu.Lock()
		hook := l.beforeAppend
		l.mu.Unlock()
		if hook != nil {
			if err := hook(ctx, data); err != nil {
				return 0, 0, err
			}
		}
		last = l.put(data)
		if i == 0 {
			first = last
		}
	}
	return first, last, nil
}

// put appends data without running beforeAppend, and returns its index.
func (l *memLog) put(data []byte) uint64 {
	l.mu.Lock()
	l.entries = append(l.entries, data)
	index := uint64(len(l.entries))
	close(l.grew)
	l.grew = make(chan struct{})
	l.mu.Unlock()
	l.graph.apply(index, data)
	return index
}

func (l *memLog) Read(ctx context.Context, start uint64, fn func(index uint64, data []byte) error) error {
	next := max(start, 1)
	for {
		l.mu.Lock()
		entries, grew := l.entries, l.grew
		l.mu.Unlock()
		for ; next <= uint64(len(entries)); next++ {
			if err := fn(next, entries[next-1]); err != nil {
				return err
			}
		}
		select {
		case <-grew:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// decisions returns the decisions in the log, in order.
func (l *memLog) decisions() []logentry.Decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []logentry.Decision
	for i, data := range l.entries {
		if d, ok := logentry.DecisionOf(uint64(i+1), data); ok {
			out = append(out, d)
		}
	}
	return out
}

func (l *memLog) length() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(len(l.entries))
}

// memGraph is the views, in memory: it applies every entry by
// logentry.Replay into an enginetest.Views, adding what that lacks:
// tombstones, and transactions held pending until their first decision.
// Unlike a view, a lookup touching an undecided transaction does not wait
// for the decision; it sees the graph without the transaction.
type memGraph struct {
	views *enginetest.Views

	mu      sync.Mutex
	deleted map[uint64]uint64          // fact ID -> index of its tombstone
	pending map[uint64]logentry.Effect // undecided transactions by index
}

func newMemGraph() *memGraph {
	return &memGraph{views: enginetest.New(), deleted: map[uint64]uint64{}, pending: map[uint64]logentry.Effect{}}
}

func keepAll(storage.Fact) bool { return true }

// apply replays the entry data at index.
func (g *memGraph) apply(index uint64, data []byte) {
	fx, err := logentry.Replay(index, data, logentry.MaxSupportedVersion, keepAll)
	if err != nil {
		panic(fmt.Sprintf("the fake log got an entry no view can read: %v", err)) // a broken test
	}
	g.mu.Lock()
	var write []logentry.Effect
	switch {
	case fx.Pending:
		g.pending[index] = fx
	case fx.Decide != nil:
		if tx, ok := g.pending[fx.Decide.Tx]; ok {
			delete(g.pending, fx.Decide.Tx)
			if fx.Decide.Commit {
				write = append(write, tx)
			}
		}
	default:
		write = append(write, fx)
	}
	for _, w := range write {
		for _, f := range w.Deletes {
			if _, ok := g.deleted[f.ID]; !ok {
				g.deleted[f.ID] = w.Index
			}
		}
	}
	g.mu.Unlock()
	for _, w := range write {
		g.views.Put(w.Inserts...)
	}
}

// Pending lists the undecided transactions, as views report them.
func (g *memGraph) Pending() []uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []uint64
	for tx := range g.pending {
		out = append(out, tx)
	}
	slices.Sort(out)
	return out
}

// alive wraps emit to drop facts deleted at or before index.
func (g *memGraph) alive(index uint64, emit viewclient.Emit) viewclient.Emit {
	g.mu.Lock()
	dead := make(map[uint64]uint64, len(g.deleted))
	for id, at := range g.deleted {
		dead[id] = at
	}
	g.mu.Unlock()
	return func(i int, f storage.Fact) {
		if at, ok := dead[f.ID]; !ok || at > index {
			emit(i, f)
		}
	}
}

func (g *memGraph) LookupS(ctx context.Context, index uint64, subjects []uint64, emit viewclient.Emit) error {
	return g.views.LookupS(ctx, index, subjects, g.alive(index, emit))
}

func (g *memGraph) LookupSP(ctx context.Context, index uint64, lookups []viewclient.SP, emit viewclient.Emit) error {
	return g.views.LookupSP(ctx, index, lookups, g.alive(index, emit))
}

func (g *memGraph) LookupSPO(ctx context.Context, index uint64, lookups []viewclient.SPO, emit viewclient.Emit) error {
	return g.views.LookupSPO(ctx, index, lookups, g.alive(index, emit))
}

func (g *memGraph) LookupPO(ctx context.Context, index uint64, lookups []viewclient.PO, emit viewclient.Emit) error {
	return g.views.LookupPO(ctx, index, lookups, g.alive(index, emit))
}

func (g *memGraph) LookupPOCmp(ctx context.Context, index uint64, lookups []*wire.POCmp, emit viewclient.Emit) error {
	return g.views.LookupPOCmp(ctx, index, lookups, g.alive(index, emit))
}

func (g *memGraph) LookupP(ctx context.Context, index uint64, predicates []uint64, emit viewclient.Emit) error {
	return g.views.LookupP(ctx, index, predicates, g.alive(index, emit))
}

func (g *memGraph) Scan(ctx context.Context, index uint64, emit viewclient.Emit) error {
	return g.views.Scan(ctx, index, g.alive(index, emit))
}

// fakeClock is a Clock the test moves: each tick is sent on an unbuffered
// channel, so tickAt returns once the Timer has taken the tick, and the
// next tickAt once the Timer has finished handling it.
type fakeClock struct {
	start time.Time
	ticks chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), ticks: make(chan time.Time)}
}

func (c *fakeClock) NewTicker(time.Duration) (<-chan time.Time, func()) { return c.ticks, func() {} }

// tickAt delivers a tick at start+at.
func (c *fakeClock) tickAt(at time.Duration) { c.ticks <- c.start.Add(at) }
