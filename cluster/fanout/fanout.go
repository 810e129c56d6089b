package fanout

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/akutan-dev/akutan/cluster/space"
)

// Target is one view able to answer for the points in its range.
type Target struct {
	Addr  string
	Range space.Range
}

// Call asks target about the points at the given positions of the points
// slice. It must not report any result unless it returns nil.
type Call func(ctx context.Context, target Target, positions []int) error

// ErrUncovered means some point has no view left to ask.
var ErrUncovered = errors.New("no available view covers the point")

// Run answers every point through call, retrying failed calls on other
// targets. It fails when a point has no target left to try.
func Run(ctx context.Context, targets []Target, points []uint64, call Call) error {
	tried := make([]map[string]bool, len(points))
	pending := make([]int, len(points))
	for i := range points {
		pending[i] = i
		tried[i] = map[string]bool{}
	}
	var lastErr error
	for len(pending) > 0 {
		groups, err := assign(targets, points, pending, tried)
		if err != nil {
			if lastErr != nil {
				return fmt.Errorf("%w (last failure: %v)", err, lastErr)
			}
			return err
		}
		failed, err := runGroups(ctx, groups, call)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			lastErr = err
		}
		pending = failed
	}
	return nil
}

type group struct {
	target    Target
	positions []int
}

// assign picks a random untried target for each pending point.
func assign(targets []Target, points []uint64, pending []int, tried []map[string]bool) ([]group, error) {
	byAddr := map[string]*group{}
	var order []string
	for _, pos := range pending {
		t, ok := pick(targets, points[pos], tried[pos])
		if !ok {
			return nil, fmt.Errorf("hash 0x%016x: %w", points[pos], ErrUncovered)
		}
		tried[pos][t.Addr] = true
		g := byAddr[t.Addr]
		if g == nil {
			g = &group{target: t}
			byAddr[t.Addr] = g
			order = append(order, t.Addr)
		}
		g.positions = append(g.positions, pos)
	}
	groups := make([]group, 0, len(order))
	for _, a := range order {
		groups = append(groups, *byAddr[a])
	}
	return groups, nil
}

// pick chooses uniformly among the untried targets covering point.
func pick(targets []Target, point uint64, tried map[string]bool) (Target, bool) {
	var chosen Target
	n := 0
	for _, t := range targets {
		if t.Range.Contains(point) && !tried[t.Addr] {
			n++
			if rand.IntN(n) == 0 { // reservoir sampling
				chosen = t
			}
		}
	}
	return chosen, n > 0
}

// runGroups runs the calls in parallel and returns the positions of the
// calls that failed, with one of their errors.
func runGroups(ctx context.Context, groups []group, call Call) ([]int, error) {
	var (
		mu      sync.Mutex
		failed  []int
		lastErr error
		wg      sync.WaitGroup
	)
	for _, g := range groups {
		wg.Add(1)
		go func(g group) {
			defer wg.Done()
			if err := call(ctx, g.target, g.positions); err != nil {
				mu.Lock()
				failed = append(failed, g.positions...)
				lastErr = fmt.Errorf("view %s: %w", g.target.Addr, err)
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	return failed, lastErr
}

// Cover returns one representative point per sub-range of the targets'
// ranges cut at every boundary, with the sub-ranges themselves. Asking a
// view for a sub-range's point and keeping only its results that hash into
// that sub-range covers the whole space exactly once, even while the space
// is partitioned two ways at once.
func Cover(targets []Target) (points []uint64, subranges []space.Range) {
	ranges := make([]space.Range, len(targets))
	for i, t := range targets {
		ranges[i] = t.Range
	}
	subranges = space.Split(ranges)
	points = make([]uint64, len(subranges))
	for i, r := range subranges {
		points[i] = r.Start
	}
	return points, subranges
}
