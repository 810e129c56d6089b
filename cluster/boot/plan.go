package boot

import (
	"errors"
	"fmt"
	"math/bits"
	"sort"

	"github.com/akutan-dev/akutan/cluster/space"
)

// Peer is a serving Disk View of the booting view's space.
type Peer struct {
	Addr    string // gRPC host:port
	Range   space.Range
	Applied uint64
}

// Assignment asks one peer for one sub-range.
type Assignment struct {
	Addr  string
	Range space.Range
}

// Plan is how a view loads its range: every assignment's keys as of Index.
type Plan struct {
	Index       uint64
	Assignments []Assignment
}

// ErrUncovered means the peers do not cover the whole range.
var ErrUncovered = errors.New("peers do not cover the range")

// MakePlan splits own into pieces that each lie inside or outside every
// peer's range, divides each piece evenly among the peers holding it (so
// that replicas of one range share the work), and merges neighbouring
// sub-ranges asked of the same peer. The plan is deterministic for a given
// set of peers, so that views booting at the same time ask the same
// sources for the same sub-ranges, which their carousels then serve
// together. The index is the lowest applied index among the peers used.
func MakePlan(own space.Range, peers []Peer) (Plan, error) {
	peers = overlapping(own, peers)
	var clipped []space.Range
	for _, p := range peers {
		clipped = append(clipped, clip(p.Range, own))
	}
	pieces := space.Split(clipped)
	if err := checkCovers(own, pieces); err != nil {
		return Plan{}, err
	}
	var plan Plan
	used := map[string]bool{}
	for _, piece := range pieces {
		holders := holding(peers, piece)
		for i, sub := range divide(piece, len(holders)) {
			plan.add(holders[i].Addr, sub)
			if !used[holders[i].Addr] {
				used[holders[i].Addr] = true
				if len(used) == 1 || holders[i].Applied < plan.Index {
					plan.Index = holders[i].Applied
				}
			}
		}
	}
	return plan, nil
}

// overlapping returns the peers whose range overlaps own, sorted by
// address, one per address.
func overlapping(own space.Range, peers []Peer) []Peer {
	seen := map[string]bool{}
	var out []Peer
	for _, p := range peers {
		if p.Range.Overlaps(own) && !seen[p.Addr] {
			seen[p.Addr] = true
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr < out[j].Addr })
	return out
}

func clip(r, to space.Range) space.Range {
	return space.Range{Start: max(r.Start, to.Start), End: min(r.End, to.End)}
}

// checkCovers checks that sorted, disjoint pieces cover exactly own.
func checkCovers(own space.Range, pieces []space.Range) error {
	next := own.Start
	for _, p := range pieces {
		if p.Start != next {
			return fmt.Errorf("%w: nothing serves 0x%016x-0x%016x of %s", ErrUncovered, next, p.Start-1, own)
		}
		if p.End == own.End {
			return nil
		}
		next = p.End + 1
	}
	return fmt.Errorf("%w: nothing serves 0x%016x-0x%016x of %s", ErrUncovered, next, own.End, own)
}

func holding(peers []Peer, piece space.Range) []Peer {
	var out []Peer
	for _, p := range peers {
		if p.Range.Contains(piece.Start) {
			out = append(out, p)
		}
	}
	return out
}

// divide cuts r into n contiguous, nearly equal sub-ranges (fewer if r is
// smaller than n).
func divide(r space.Range, n int) []space.Range {
	width := r.End - r.Start // the size minus one: the full space overflows
	if uint64(n)-1 > width {
		n = int(width + 1)
	}
	out := make([]space.Range, 0, n)
	start := r.Start
	for i := 1; i <= n; i++ {
		end := r.End
		if i < n {
			hi, lo := bits.Mul64(width, uint64(i))
			q, _ := bits.Div64(hi, lo, uint64(n))
			end = r.Start + q
		}
		out = append(out, space.Range{Start: start, End: end})
		start = end + 1
	}
	return out
}

// add appends an assignment, merging it with the previous one to the same
// peer when they touch.
func (p *Plan) add(addr string, r space.Range) {
	for i := range p.Assignments {
		a := &p.Assignments[i]
		if a.Addr == addr && a.Range.End != ^uint64(0) && a.Range.End+1 == r.Start {
			a.Range.End = r.End
			return
		}
	}
	p.Assignments = append(p.Assignments, Assignment{Addr: addr, Range: r})
}
