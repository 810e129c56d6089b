package fanout

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/akutan-dev/akutan/cluster/space"
)

// pool is the set of targets a run currently chooses from.
type pool struct {
	targets   []Target
	newest    uint64 // highest applied index among the targets
	maxLag    uint64
	localDC   string
	penalized map[string]bool // addresses whose calls failed recently
}

func newPool(targets []Target, cfg Config, penalized map[string]bool) pool {
	p := pool{maxLag: cfg.MaxLag, localDC: cfg.LocalDC, penalized: penalized}
	for _, t := range targets {
		if t.Range.Valid() {
			p.targets = append(p.targets, t)
			p.newest = max(p.newest, t.Applied)
		}
	}
	return p
}

// tier ranks a target, lower being better: views whose calls failed
// recently last (they are most likely dead, or restarting), up-to-date
// views first, then views that are draining (about to be stopped: a last
// resort among the live ones), then within those the local datacenter. A
// lagging view would make the call wait for it to catch up, which costs
// more than a remote round trip or a draining view.
func (p pool) tier(t Target) int {
	tier := 0
	if p.penalized[t.Addr] {
		tier += 8
	}
	if p.newest-t.Applied > p.maxLag {
		tier += 4
	}
	if t.Draining {
		tier += 2
	}
	if p.localDC != "" && t.DC != p.localDC {
		tier++
	}
	return tier
}

// pick returns the index of a target for u: one of the best-tier targets
// that contain u's whole range and have not been tried for it, chosen at
// random, except that sticky (the target picked for the previous unit, or
// -1) is kept when it qualifies so that neighbouring units share one call.
func (p pool) pick(u *unit, sticky int) (int, bool) {
	best, n, chosen, stickyOK := math.MaxInt, 0, -1, false
	for i, t := range p.targets {
		if !containsRange(t.Range, u.Range) || u.tried.has(t.Addr) {
			continue
		}
		tier := p.tier(t)
		if tier < best {
			best, n, chosen, stickyOK = tier, 0, -1, false
		}
		if tier == best {
			n++
			if rand.IntN(n) == 0 { // reservoir sampling
				chosen = i
			}
			stickyOK = stickyOK || i == sticky
		}
	}
	if stickyOK {
		return sticky, true
	}
	return chosen, n > 0
}

func containsRange(outer, inner space.Range) bool {
	return outer.Start <= inner.Start && inner.End <= outer.End
}

// cut returns the pieces of r cut at every target boundary inside it, so
// that each piece lies entirely inside or entirely outside every target;
// nil when r needs no cutting.
func (p pool) cut(r space.Range) []space.Range {
	var cuts []uint64
	for _, t := range p.targets {
		if t.Range.Start > r.Start && t.Range.Start <= r.End {
			cuts = append(cuts, t.Range.Start)
		}
		if t.Range.End >= r.Start && t.Range.End < r.End {
			cuts = append(cuts, t.Range.End+1)
		}
	}
	if len(cuts) == 0 {
		return nil
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	pieces := make([]space.Range, 0, len(cuts)+1)
	start := r.Start
	for _, c := range cuts {
		pieces = append(pieces, space.Range{Start: start, End: c - 1})
		start = c
	}
	return append(pieces, space.Range{Start: start, End: r.End})
}

// uncovered returns the hash range around r that the request could not
// get answered, for error messages: the range every target containing r
// shares (the partition whose replicas all failed), or when no target
// contains r, the gap between the targets around it (the partition no
// view serves any more).
func (p pool) uncovered(r space.Range) space.Range {
	out := space.Full()
	found := false
	for _, t := range p.targets {
		if containsRange(t.Range, r) {
			found = true
			out.Start, out.End = max(out.Start, t.Range.Start), min(out.End, t.Range.End)
		}
	}
	if found {
		return out
	}
	for _, t := range p.targets {
		switch {
		case t.Range.End < r.Start:
			out.Start = max(out.Start, t.Range.End+1)
		case t.Range.Start > r.End:
			out.End = min(out.End, t.Range.Start-1)
		}
	}
	return out
}
