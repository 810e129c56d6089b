package planner

import (
	"math"

	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// Stats is what the planner knows about the data, merged from the views'
// statistics. The zero value (nil) means nothing is known: estimates then
// fall back to defaults that favour lookups on known keys.
type Stats struct {
	// Facts is the number of facts in the graph.
	Facts float64
	// Ranges is the number of hash ranges (partitions) per space: a scan
	// that covers a space costs one RPC per range.
	Ranges float64
	sp     map[[2]uint64]float64 // heavy subject-predicate pairs
	po     map[poKey]float64     // heavy predicate-object pairs
	spMax  float64               // unlisted SP pairs have at most this many facts (0: all listed)
	poMax  float64
	preds  map[uint64]*predStats
	// predsComplete means a predicate missing from preds had no facts.
	predsComplete bool
}

type poKey struct {
	predicate uint64
	object    string
}

type predStats struct {
	facts, spKeys, poKeys float64
	entityObjects         float64
}

// Defaults used when statistics are missing.
const (
	defaultSP        = 3    // facts per subject-predicate pair
	defaultPO        = 10   // facts per predicate-object pair
	defaultS         = 20   // facts per subject
	defaultPredicate = 5000 // facts per predicate
	smallKey         = 2    // facts for a key the statistics do not list
)

// NewStats merges the views' replies. Replicas of one range report the
// same data, so only the freshest reply per (space, range) counts.
func NewStats(replies []*wire.StatsReply) *Stats {
	type rangeKey struct {
		space      string
		start, end uint64
	}
	fresh := map[rangeKey]*wire.StatsReply{}
	for _, r := range replies {
		if r == nil || !r.Ready {
			continue
		}
		k := rangeKey{r.Space, r.RangeStart, r.RangeEnd}
		if old := fresh[k]; old == nil || r.AsOfIndex > old.AsOfIndex {
			fresh[k] = r
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	st := &Stats{sp: map[[2]uint64]float64{}, po: map[poKey]float64{}, preds: map[uint64]*predStats{}, predsComplete: true}
	ranges := map[string]float64{}
	for k, r := range fresh {
		ranges[k.space]++
		st.add(r)
	}
	st.Ranges = math.Max(1, math.Max(ranges["hashsp"], ranges["hashpo"]))
	return st
}

func (st *Stats) add(r *wire.StatsReply) {
	sp := r.Space == "hashsp"
	if sp {
		st.Facts += float64(r.Facts)
		st.spMax = math.Max(st.spMax, float64(r.MinListedCount))
	} else {
		st.poMax = math.Max(st.poMax, float64(r.MinListedCount))
	}
	for _, h := range r.Heavy {
		if sp {
			st.sp[[2]uint64{h.Subject, h.Predicate}] += float64(h.Count)
			continue
		}
		o, err := wire.ToObject(h.Object)
		if err == nil {
			st.po[poKey{h.Predicate, string(storage.AppendObject(nil, o))}] += float64(h.Count)
		}
	}
	if r.OtherPredicates > 0 {
		st.predsComplete = false
	}
	for _, p := range r.Predicates {
		ps := st.preds[p.Predicate]
		if ps == nil {
			ps = &predStats{}
			st.preds[p.Predicate] = ps
		}
		if sp {
			ps.facts += float64(p.Facts)
			ps.spKeys += float64(p.Keys)
		} else {
			ps.poKeys += float64(p.Keys)
			ps.entityObjects += float64(p.EntityObjects)
		}
	}
}

// ranges is the number of partitions a covering scan asks.
func (st *Stats) ranges() float64 {
	if st == nil || st.Ranges < 1 {
		return 2
	}
	return st.Ranges
}

// predicateFacts estimates the facts with predicate p.
func (st *Stats) predicateFacts(p uint64) float64 {
	if st == nil {
		return defaultPredicate
	}
	if ps := st.preds[p]; ps != nil {
		return math.Max(1, ps.facts)
	}
	if st.predsComplete {
		return 1 // no facts at the last scan; maybe a few since
	}
	return defaultPredicate
}

// perSubject estimates the facts per subject for predicate p: the fan-out
// of a lookup with a bound subject.
func (st *Stats) perSubject(p uint64) float64 {
	if ps := st.predStats(p); ps != nil && ps.spKeys > 0 {
		return math.Max(1, ps.facts/ps.spKeys)
	}
	return defaultSP
}

// perObject estimates the facts per object for predicate p.
func (st *Stats) perObject(p uint64) float64 {
	if ps := st.predStats(p); ps != nil && ps.poKeys > 0 {
		return math.Max(1, ps.facts/ps.poKeys)
	}
	return defaultPO
}

func (st *Stats) predStats(p uint64) *predStats {
	if st == nil {
		return nil
	}
	return st.preds[p]
}

// spFacts estimates the facts with subject s and predicate p: the listed
// count for heavy pairs, else small.
func (st *Stats) spFacts(s, p uint64) float64 {
	if st == nil {
		return defaultSP
	}
	if n, ok := st.sp[[2]uint64{s, p}]; ok {
		return n
	}
	return unlisted(st.spMax, st.perSubject(p))
}

// poFacts estimates the facts with predicate p and object o.
func (st *Stats) poFacts(p uint64, o storage.Object) float64 {
	if st == nil {
		return defaultPO
	}
	if n, ok := st.po[poKey{p, string(storage.AppendObject(nil, o))}]; ok {
		return n
	}
	return unlisted(st.poMax, st.perObject(p))
}

// unlisted estimates a key missing from the heavy list: small, and never
// more than the lightest listed key.
func unlisted(maxUnlisted, average float64) float64 {
	est := math.Min(average, smallKey)
	if maxUnlisted > 0 {
		est = math.Min(est, maxUnlisted)
	}
	return math.Max(1, est)
}

// entityFacts estimates the facts with predicate p whose object is an
// entity: the links of its chains.
func (st *Stats) entityFacts(p uint64) float64 {
	if ps := st.predStats(p); ps != nil {
		return ps.entityObjects
	}
	return st.predicateFacts(p) / 2
}

// Unknown positions of a lookup whose value a variable bound earlier
// supplies, one lookup per solution (see Matches).
type Bound struct{ S, P, O bool }

// Matches estimates how many facts one lookup finds, for ordering the
// patterns of a query: s and p are the known subject and predicate (0:
// unknown), o the known object (nil: unknown), and bound marks unknown
// positions that a value from an earlier pattern fills at run time.
func (st *Stats) Matches(s, p uint64, o *storage.Object, bound Bound) float64 {
	sKnown, oKnown := s != 0 || bound.S, o != nil || bound.O
	if p == 0 { // any predicate (a bound one is no better known)
		switch {
		case sKnown && oKnown:
			return 1
		case sKnown:
			return defaultS
		case oKnown:
			return defaultPO
		}
		if st == nil || st.Facts < 1 {
			return defaultPredicate * defaultS
		}
		return st.Facts
	}
	switch {
	case sKnown && oKnown:
		return 1
	case s != 0:
		return st.spFacts(s, p)
	case o != nil:
		return st.poFacts(p, *o)
	case bound.S:
		return st.perSubject(p)
	case bound.O:
		return st.perObject(p)
	}
	return st.predicateFacts(p)
}
