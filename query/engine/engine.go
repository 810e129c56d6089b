package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/query/planner"
)

// ErrInvalidQuery marks a query that parses but cannot be run as written;
// the message says where and why.
var ErrInvalidQuery = errors.New("invalid query")

// Engine answers queries from the views. It is safe for concurrent use;
// its only mutable state is a cache of plans (planCache) and the names it
// may share with others (WithNames).
type Engine struct {
	views     Views
	stats     func() *planner.Stats
	loopBatch int
	plans     *planCache
	names     *Names // nil: each query resolves its own
}

// Option configures an Engine.
type Option func(*Engine)

// WithStats gives the planner the views' statistics; stats may return nil
// while none are known.
func WithStats(stats func() *planner.Stats) Option { return func(e *Engine) { e.stats = stats } }

// WithLoopBatch sets how many left rows a loop join looks up per call
// (default planner.LoopBatch; the fanout splits a call into one RPC per
// view, so each RPC carries a share of them).
func WithLoopBatch(n int) Option { return func(e *Engine) { e.loopBatch = max(1, n) } }

// WithNames makes the engine resolve the names of its queries' constants
// and answers through a cache it shares with other queries (see Names).
func WithNames(n *Names) Option { return func(e *Engine) { e.names = n } }

// New returns an engine reading from views.
func New(views Views, opts ...Option) *Engine {
	e := &Engine{views: views, stats: func() *planner.Stats { return nil }, loopBatch: planner.LoopBatch, plans: newPlanCache()}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Options are per-query choices.
type Options struct {
	// Explain sends the chosen plan with the header and, after the rows,
	// what each operator did.
	Explain bool
}

// Chunk is one piece of a streamed answer. The first chunk has Index and
// Columns, never nil (empty for a query with no variable), and Plan when
// explaining; the rest carry Rows and a nil Columns; when explaining, the
// last carries Operators and Analysis.
type Chunk struct {
	Index     uint64
	Columns   []string
	Rows      [][]Value
	Plan      string
	Analysis  string
	Operators []OperatorStats
}

// Run answers q as of log index, collecting the whole answer.
func (en *Engine) Run(ctx context.Context, q *parser.Query, index uint64) (*Result, error) {
	res := &Result{Index: index}
	err := en.Stream(ctx, q, index, Options{}, func(c *Chunk) error {
		if c.Columns != nil {
			res.Columns = c.Columns
		}
		res.Rows = append(res.Rows, c.Rows...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Stream answers q as of log index, sending rows as they are produced,
// except where ORDER BY, COUNT or ASK need all of them first.
func (en *Engine) Stream(ctx context.Context, q *parser.Query, index uint64, opts Options, send func(*Chunk) error) error {
	names, err := en.names.ResolveNames(ctx, en.views, index, namesIn(q))
	if err != nil {
		return err
	}
	c, err := compile(q, names)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidQuery, err)
	}
	root, err := en.plans.plan(c.pq, en.stats())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidQuery, err)
	}
	out := newOutput(q, c, en.views, en.names, index)
	header := &Chunk{Index: index, Columns: out.cols}
	if opts.Explain {
		header.Plan = out.describe() + root.Explain(c.pq.Vars, c.namer())
	}
	if err := send(header); err != nil {
		return err
	}
	ops, err := en.execute(ctx, c, root, index, out, send)
	if err != nil || !opts.Explain {
		return err
	}
	return send(&Chunk{Operators: ops, Analysis: analysis(ops)})
}

// execute runs the plan and feeds its rows to the output stage.
func (en *Engine) execute(ctx context.Context, c *compiled, root *planner.Node, index uint64, out *output, send func(*Chunk) error) ([]OperatorStats, error) {
	g := newGroup(ctx)
	x := &executor{g: g, index: index, views: en.views, nvars: len(c.pq.Vars), loopBatch: en.loopBatch}
	plan := running{rows: x.start(root), g: g}
	err := out.consume(ctx, plan, send)
	// consume has finished or stopped the plan unless sending failed;
	// either way nothing of it may outlive the query.
	if execErr := plan.finish(); err == nil {
		err = execErr
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return report(x.ops, c.pq.Vars, c.namer()), err
}

// running is the executing plan as the output stage sees it: its rows, and
// whether they can be trusted. When an operator fails, the others are
// cancelled and close their channels as if they had finished, so the end
// of rows alone never means the answer is complete.
type running struct {
	rows <-chan batch
	g    *group
}

// finish waits for the plan to end and returns its failure. An answer
// that depends on every row (COUNT, ORDER BY, ASK false, the last chunk
// of a stream) may be sent only once finish returned nil.
func (r running) finish() error { return executionError(r.g.wait()) }

// stop ends the plan early because the answer is complete (ASK found a
// row, LIMIT is reached) and returns a failure that happened before the
// stop: the rows the answer was made of may then be incomplete or wrong.
func (r running) stop() error { return executionError(r.g.stop()) }

// failed returns the plan's failure so far.
func (r running) failed() error { return executionError(r.g.failed()) }

func executionError(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("executing query: %w", err)
}

// namer names the KIDs the query spelled out, for plan text.
func (c *compiled) namer() planner.Namer {
	return func(kid uint64) string { return c.kids[kid] }
}
