package health

import (
	"cmp"
	"slices"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
)

// placed is a view's place in a space, for the coverage math.
type placed struct {
	space    space.Space
	rg       space.Range
	upToDate bool
	draining bool // up to date, but about to be stopped (gossip.StateDraining)
}

// classify sorts the members into r's log servers and API servers, and
// returns the views with their status and their places.
func classify(r *Report, members []gossip.Member, unreachable map[string]string) ([]View, []placed) {
	views := []View{}
	var places []placed
	r.APIs = []Node{}
	for _, m := range members {
		switch m.Meta.Role {
		case "log":
			r.Log.Servers = append(r.Log.Servers, node(m))
		case "api":
			r.APIs = append(r.APIs, node(m))
		case "view":
			v := r.view(m, unreachable[m.Name])
			views = append(views, v)
			if v.Status != ViewInvalid {
				places = append(places, placed{space.Space(v.Space), m.Meta.Range(), v.Status == ViewUpToDate,
					v.Status == ViewUpToDate && m.Meta.State == gossip.StateDraining})
			}
		}
	}
	return views, places
}

func node(m gossip.Member) Node {
	return Node{
		Name: m.Name, GossipAddr: m.Addr, GRPCAddr: m.Meta.GRPCAddr, HTTPAddr: m.Meta.HTTPAddr,
		DC: m.Meta.DC, AppliedIndex: m.Meta.AppliedIndex, DurableIndex: m.Meta.DurableIndex, Serving: m.Meta.Serving,
		State: m.Meta.State, MaxLogVersion: m.Meta.MaxLogVersion,
	}
}

// view describes a view member relative to r's reference index;
// unreachable says why it could not be connected to, if it could not.
func (r *Report) view(m gossip.Member, unreachable string) View {
	v := View{Node: node(m), Space: m.Meta.Space, Range: m.Meta.Range().String(), Unreachable: unreachable}
	if r.ReferenceIndex > m.Meta.AppliedIndex {
		v.Lag = r.ReferenceIndex - m.Meta.AppliedIndex
	}
	v.Status = viewStatus(m.Meta, unreachable != "", v.Lag, r.MaxLag)
	return v
}

func viewStatus(meta gossip.Meta, unreachable bool, lag, maxLag uint64) string {
	switch {
	case !space.Space(meta.Space).Valid() || !meta.Range().Valid():
		return ViewInvalid
	case !meta.Serving && meta.State == ViewBooting:
		return ViewBooting
	case !meta.Serving && meta.State == ViewFailed:
		return ViewFailed
	case !meta.Serving:
		return ViewNotServing
	case unreachable:
		return ViewUnreachable
	case lag > maxLag:
		return ViewLagging
	}
	return ViewUpToDate
}

// piece is a sub-range of a space and its count of up-to-date views, and
// of those, the draining ones.
type piece struct {
	space    space.Space
	rg       space.Range
	upToDate int
	draining int
}

// copies is how many of the piece's views count for health: up to date
// and not draining.
func (p piece) copies() int { return p.upToDate - p.draining }

// coverSpaces computes the coverage of every known space, and returns it
// also as pieces, in order, for judge.
func coverSpaces(places []placed) ([]Space, []piece) {
	out := make([]Space, 0, len(space.Spaces()))
	var all []piece
	for _, sp := range space.Spaces() {
		var in []placed
		for _, p := range places {
			if p.space == sp {
				in = append(in, p)
			}
		}
		s, pieces := cover(sp, in)
		out = append(out, s)
		all = append(all, pieces...)
	}
	return out, all
}

// cover cuts the space at every view boundary and counts, for each piece,
// the views serving it. Pieces that no view serves at all come from
// space.Uncovered, so that the pieces tile the whole space.
func cover(sp space.Space, places []placed) (Space, []piece) {
	ranges := make([]space.Range, len(places))
	for i, p := range places {
		ranges[i] = p.rg
	}
	pieces := append(space.Split(ranges), space.Uncovered(ranges)...)
	slices.SortFunc(pieces, func(a, b space.Range) int { return cmp.Compare(a.Start, b.Start) })
	s := Space{Space: string(sp), Ranges: make([]RangeCoverage, len(pieces))}
	counted := make([]piece, len(pieces))
	for i, rg := range pieces {
		s.Ranges[i] = count(rg, places)
		counted[i] = piece{space: sp, rg: rg, upToDate: s.Ranges[i].UpToDate, draining: s.Ranges[i].Draining}
		if i == 0 || s.Ranges[i].UpToDate < s.MinUpToDate {
			s.MinUpToDate = s.Ranges[i].UpToDate
		}
	}
	return s, counted
}

// count counts the views serving piece. A piece from Split lies entirely
// inside or entirely outside every view's range, so its start decides.
func count(piece space.Range, places []placed) RangeCoverage {
	rc := RangeCoverage{Range: piece.String()}
	for _, p := range places {
		if p.rg.Contains(piece.Start) {
			rc.Views++
			if p.upToDate {
				rc.UpToDate++
			}
			if p.draining {
				rc.Draining++
			}
		}
	}
	return rc
}
