package floor

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
)

// DefaultCopies is K when none is configured: each entry the log may
// discard must be held durably by at least two views of every range, so
// that losing one view never forces the cluster to ask another cluster
// for data.
const DefaultCopies = 2

// Result is a cluster's floor, or why it has none.
type Result struct {
	// Floor is the highest index every piece of every space holds durably
	// in at least Copies views; meaningful only when Short is empty.
	Floor uint64
	// Short names each piece of a space with fewer than Copies counted
	// views ("hashsp 0x0000000000000000-0x7fffffffffffffff: 1 of 2 views").
	Short []string
}

// OK reports whether the cluster has a floor.
func (r Result) OK() bool { return len(r.Short) == 0 }

// Compute works out the floor of cluster from the members one server sees
// in gossip, counting copies views per piece (at least 1).
func Compute(members []gossip.Member, cluster string, copies int) Result {
	copies = max(copies, 1)
	var res Result
	first := true
	for _, sp := range space.Spaces() {
		var held []holding
		for _, m := range members {
			if counts(m, cluster, sp) {
				held = append(held, holding{rg: m.Meta.Range(), durable: min(m.Meta.DurableIndex, m.Meta.AppliedIndex)})
			}
		}
		for _, p := range pieces(held) {
			var indexes []uint64
			for _, h := range held {
				if h.rg.Contains(p.Start) {
					indexes = append(indexes, h.durable)
				}
			}
			if len(indexes) < copies {
				res.Short = append(res.Short, fmt.Sprintf("%s %s: %d of %d views", sp, p, len(indexes), copies))
				continue
			}
			slices.SortFunc(indexes, func(a, b uint64) int { return cmp.Compare(b, a) })
			if f := indexes[copies-1]; first || f < res.Floor {
				res.Floor, first = f, false
			}
		}
	}
	if !res.OK() {
		res.Floor = 0
	}
	return res
}

// holding is what one view holds durably.
type holding struct {
	rg      space.Range
	durable uint64
}

// counts reports whether m is a view of cluster serving space sp that
// counts towards the floor: serving and not draining.
func counts(m gossip.Member, cluster string, sp space.Space) bool {
	meta := m.Meta
	return meta.Role == "view" && health.ClusterOf(meta) == cluster && space.Space(meta.Space) == sp &&
		meta.Range().Valid() && meta.Serving && meta.State != gossip.StateDraining
}

// pieces cuts the space at every boundary of the views' ranges, and adds
// the pieces no view serves, so that the pieces tile the whole space. A
// piece lies entirely inside or outside each range, so its start decides.
func pieces(held []holding) []space.Range {
	ranges := make([]space.Range, len(held))
	for i, h := range held {
		ranges[i] = h.rg
	}
	out := append(space.Split(ranges), space.Uncovered(ranges)...)
	slices.SortFunc(out, func(a, b space.Range) int { return cmp.Compare(a.Start, b.Start) })
	return out
}
