package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/akutan-dev/akutan/query/planner"
)

// batch is a group of rows moving between operators.
type batch []row

// Execution tuning.
const (
	// outBatch is the most rows an operator sends downstream at once.
	outBatch = 256
	// chanDepth is how many batches an operator may have in flight to its
	// consumer before it blocks: the back-pressure window.
	chanDepth = 4
)

// group owns the goroutines of one execution: the first error cancels the
// rest, and wait returns only when all have finished.
type group struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error
	// stopped is set when the output stage ended the execution because
	// its answer was complete: failures after that are the echo of the
	// cancellation, not failures of the query.
	stopped bool
}

func newGroup(ctx context.Context) *group {
	ctx, cancel := context.WithCancel(ctx)
	return &group{ctx: ctx, cancel: cancel}
}

func (g *group) goRun(fn func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := fn(); err != nil {
			g.fail(err)
		}
	}()
}

func (g *group) fail(err error) {
	g.mu.Lock()
	if g.err == nil && !g.stopped {
		g.err = err
	}
	g.mu.Unlock()
	g.cancel()
}

// failed returns the first failure so far. Once an operator failed, the
// others stop early and their channels close as if they had finished, so
// the rows that still arrive may be incomplete or (after an outer join cut
// short) wrong.
func (g *group) failed() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// stop ends the execution because the answer is complete, waits for it,
// and returns the failure that happened before the stop, if any: the rows
// the answer was made of may then be wrong.
func (g *group) stop() error {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
	return g.wait()
}

// wait stops everything still running and returns the first error.
func (g *group) wait() error {
	g.cancel()
	g.wg.Wait()
	return g.failed()
}

// executor turns a plan into running operators.
type executor struct {
	g         *group
	index     uint64
	views     Views
	nvars     int
	loopBatch int
	ops       []*opStats // in plan pre-order
}

// start starts node n and its inputs; rows arrive on the returned channel,
// which is closed when n is done (or the execution stops).
func (x *executor) start(n *planner.Node) <-chan batch {
	st := &opStats{node: n}
	x.ops = append(x.ops, st)
	l := &lookuper{views: countingViews{Views: x.views, st: st}, index: x.index, linkScanAbove: n.LinkScanAbove}
	var inputs []<-chan batch
	for _, c := range n.Children() {
		inputs = append(inputs, x.start(c))
	}
	out := make(chan batch, chanDepth)
	em := &emitter{ctx: x.g.ctx, out: out, st: st}
	x.g.goRun(func() error {
		defer close(out)
		st.begin()
		defer st.finish()
		if err := x.run(n, l, em, inputs); err != nil {
			return err
		}
		em.flush()
		return nil
	})
	return out
}

func (x *executor) run(n *planner.Node, l *lookuper, em *emitter, in []<-chan batch) error {
	switch n.Op {
	case planner.OpUnit:
		em.add(make(row, x.nvars))
	case planner.OpEmpty:
	case planner.OpValues:
		for _, r := range filter(n.Pattern, []row{make(row, x.nvars)}) {
			em.add(r)
		}
	case planner.OpLookup:
		return x.lookupLeaf(n, l, em)
	case planner.OpLoopJoin:
		return x.loopJoin(n, l, em, in[0])
	case planner.OpHashJoin:
		return x.hashJoin(n, em, in[0], in[1])
	case planner.OpSelect:
		return x.selectRows(n, em, in[0])
	default:
		return fmt.Errorf("internal error: unknown operator %d", n.Op)
	}
	return nil
}

// lookupLeaf looks up a pattern with nothing bound.
func (x *executor) lookupLeaf(n *planner.Node, l *lookuper, em *emitter) error {
	empty := make(row, x.nvars)
	add := func(m match) {
		if r, ok := extend(empty, n.Pattern, m); ok {
			em.add(r)
		}
	}
	if len(n.Pushed) > 0 {
		return l.findPushed(x.g.ctx, n.Pattern, n.Pushed, add)
	}
	return l.find(x.g.ctx, n.Pattern, n.Access, []row{empty}, func(_ int, m match) { add(m) })
}

// loopJoin reads the left rows in large batches and looks up the right
// pattern for a whole batch at once (one call, many lookups per RPC).
func (x *executor) loopJoin(n *planner.Node, l *lookuper, em *emitter, left <-chan batch) error {
	for {
		rows, more := collect(x.g.ctx, left, x.loopBatch)
		if len(rows) > 0 {
			if err := x.joinBatch(n, l, em, rows); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

func (x *executor) joinBatch(n *planner.Node, l *lookuper, em *emitter, rows []row) error {
	matched := make([]bool, len(rows))
	err := l.find(x.g.ctx, n.Pattern, n.Access, rows, func(i int, m match) {
		if r, ok := extend(rows[i], n.Pattern, m); ok {
			matched[i] = true
			em.add(r)
		}
	})
	if err != nil {
		return err
	}
	if n.Outer {
		for i, r := range rows {
			if !matched[i] {
				em.add(r)
			}
		}
	}
	return nil
}

// collect reads at least want rows (fewer when the input ends); more is
// false once the input is finished.
func collect(ctx context.Context, in <-chan batch, want int) (rows []row, more bool) {
	for len(rows) < want {
		select {
		case b, ok := <-in:
			if !ok {
				return rows, false
			}
			rows = append(rows, b...)
		case <-ctx.Done():
			return rows, false
		}
	}
	return rows, true
}

// selectRows applies an OpSelect's filters.
func (x *executor) selectRows(n *planner.Node, em *emitter, in <-chan batch) error {
	for b := range drain(x.g.ctx, in) {
		rows := []row(b)
		for _, f := range n.Filters {
			rows = filter(f, rows)
		}
		for _, r := range rows {
			em.add(r)
		}
	}
	return nil
}

// drain yields the batches of in until it closes or ctx ends.
func drain(ctx context.Context, in <-chan batch) func(yield func(batch) bool) {
	return func(yield func(batch) bool) {
		for {
			select {
			case b, ok := <-in:
				if !ok || !yield(b) {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}
}

// emitter batches an operator's output rows and sends them downstream,
// blocking (back-pressure) while the consumer is behind.
type emitter struct {
	ctx     context.Context
	out     chan<- batch
	st      *opStats
	pending batch
}

func (em *emitter) add(r row) {
	em.pending = append(em.pending, r)
	if len(em.pending) >= outBatch {
		em.flush()
	}
}

func (em *emitter) flush() {
	if len(em.pending) == 0 {
		return
	}
	select {
	case em.out <- em.pending:
		em.st.rows.Add(uint64(len(em.pending)))
	case <-em.ctx.Done():
	}
	em.pending = nil
}

// since returns nanoseconds from t to now.
func since(t time.Time) int64 { return time.Since(t).Nanoseconds() }
