package engine

import (
	"context"
	"sort"
	"sync/atomic"
	"time"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/planner"
	"github.com/akutan-dev/akutan/wire"
)

// OperatorStats is what one operator of an executed plan did.
type OperatorStats struct {
	Depth    int
	Label    string
	EstRows  float64
	EstCost  float64
	Rows     uint64        // rows produced
	Calls    uint64        // batched lookup calls to the view client
	RPCs     uint64        // view RPCs those calls needed (see countingViews)
	Lookups  uint64        // individual lookups in them
	Duration time.Duration // from the operator's start to its last row
}

// opStats counts one running operator's work.
type opStats struct {
	node                 *planner.Node
	rows, calls, lookups atomic.Uint64
	rpcs                 atomic.Uint64
	start                time.Time
	nanos                atomic.Int64
}

func (s *opStats) begin()  { s.start = time.Now() }
func (s *opStats) finish() { s.nanos.Store(since(s.start)) }

// Topology is implemented by view clients that can list the views of a
// space (viewclient.Client does); with it, operators count RPCs.
type Topology interface {
	Targets(sp space.Space) []fanout.Target
}

// countingViews counts an operator's lookups. The RPC count assumes one
// RPC per view range a call touches, which is what the fanout sends when
// nothing fails; retries and hedged requests are not seen here.
type countingViews struct {
	Views
	st *opStats
}

// countPoints counts a call of point lookups, placed where the view
// client sends them.
func (c countingViews) countPoints(sp space.Space, points []uint64) {
	c.count(len(points), sp, points)
}

// count counts a call of n lookups; points are their hashes in sp, or nil
// for a call that covers all of sp.
func (c countingViews) count(n int, sp space.Space, points []uint64) {
	if n == 0 {
		return
	}
	c.st.calls.Add(1)
	c.st.lookups.Add(uint64(n))
	c.st.rpcs.Add(uint64(rangesHit(c.Views, sp, points)))
}

// rangesHit counts the distinct view ranges of sp the points fall in (all
// of them when points is nil: a covering lookup).
func rangesHit(v Views, sp space.Space, points []uint64) int {
	topo, ok := v.(Topology)
	if !ok {
		return 1
	}
	targets := topo.Targets(sp)
	all := make([]space.Range, len(targets))
	for i, t := range targets {
		all[i] = t.Range
	}
	ranges := space.Split(all)
	if points == nil || len(ranges) == 0 {
		return max(1, len(ranges))
	}
	hit := map[int]bool{}
	for _, h := range points {
		i := sort.Search(len(ranges), func(i int) bool { return ranges[i].End >= h })
		hit[i] = true
	}
	return len(hit)
}

func (c countingViews) LookupS(ctx context.Context, index uint64, subjects []uint64, emit viewclient.Emit) error {
	c.count(len(subjects), space.HashSP, nil)
	return c.Views.LookupS(ctx, index, subjects, emit)
}

func (c countingViews) LookupSP(ctx context.Context, index uint64, l []viewclient.SP, emit viewclient.Emit) error {
	c.countPoints(viewclient.Place(l))
	return c.Views.LookupSP(ctx, index, l, emit)
}

func (c countingViews) LookupSPO(ctx context.Context, index uint64, l []viewclient.SPO, emit viewclient.Emit) error {
	c.countPoints(viewclient.Place(l))
	return c.Views.LookupSPO(ctx, index, l, emit)
}

func (c countingViews) LookupPO(ctx context.Context, index uint64, l []viewclient.PO, emit viewclient.Emit) error {
	c.countPoints(viewclient.Place(l))
	return c.Views.LookupPO(ctx, index, l, emit)
}

func (c countingViews) LookupPOCmp(ctx context.Context, index uint64, l []*wire.POCmp, emit viewclient.Emit) error {
	c.count(len(l), space.HashPO, nil)
	return c.Views.LookupPOCmp(ctx, index, l, emit)
}

func (c countingViews) LookupP(ctx context.Context, index uint64, predicates []uint64, emit viewclient.Emit) error {
	c.count(len(predicates), space.HashPO, nil)
	return c.Views.LookupP(ctx, index, predicates, emit)
}

func (c countingViews) Scan(ctx context.Context, index uint64, emit viewclient.Emit) error {
	c.count(1, space.HashSP, nil)
	return c.Views.Scan(ctx, index, emit)
}

// report snapshots the counters with the plan's labels.
func report(ops []*opStats, vars []string, name planner.Namer) []OperatorStats {
	depth := map[*planner.Node]int{}
	if len(ops) > 0 {
		ops[0].node.Walk(func(n *planner.Node, d int) { depth[n] = d })
	}
	out := make([]OperatorStats, len(ops))
	for i, s := range ops {
		out[i] = OperatorStats{
			Depth: depth[s.node], Label: s.node.Label(vars, name), EstRows: s.node.EstRows, EstCost: s.node.EstCost,
			Rows: s.rows.Load(), Calls: s.calls.Load(), RPCs: s.rpcs.Load(), Lookups: s.lookups.Load(),
			Duration: time.Duration(s.nanos.Load()),
		}
	}
	return out
}
