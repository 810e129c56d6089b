package viewstore

import (
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/akutan-dev/akutan/storage"
)

// KeyCount is the number of facts under one key of the store's space: a
// subject-predicate pair in a HashSP store (Object unset), a
// predicate-object pair in a HashPO store (Subject 0).
type KeyCount struct {
	Subject, Predicate uint64
	Object             storage.Object
	Count              uint64
}

// PredicateCount is one predicate's share of the store: its facts and the
// number of distinct keys they fall under.
type PredicateCount struct {
	Predicate uint64
	Facts     uint64
	Keys      uint64
	// EntityObjects counts the facts whose object is an entity.
	EntityObjects uint64
}

// Stats summarizes a store's facts as of one index, for query planning.
type Stats struct {
	Index uint64 // the log index the scan read at
	Facts uint64
	// Heavy lists the keys with the most facts, largest first; a key not
	// listed has at most MinListed facts (0: every key is listed).
	Heavy     []KeyCount
	MinListed uint64
	// Predicates lists per-predicate totals, largest first, up to the cap;
	// OtherPredicates counts the predicates left out.
	Predicates      []PredicateCount
	OtherPredicates uint64
}

// StatsLimits bounds the size of Stats.
type StatsLimits struct {
	HeavyKeys  int // keys listed in Heavy
	Predicates int // predicates listed in Predicates
}

// errScanStopped unwinds a scan whose context ended.
var errScanStopped = errors.New("statistics scan stopped")

// ComputeStats scans the whole store as of index and counts its facts per
// key and per predicate. It reads a LevelDB snapshot, so it runs alongside
// Apply; it checks ctx every few thousand keys so that a stopping view does
// not wait for a long scan.
func (s *Store) ComputeStats(ctx context.Context, index uint64, lim StatsLimits) (Stats, error) {
	acc := newStatsAccumulator(lim)
	prefix := []byte{s.cfg.Space}
	n := 0
	err := s.scan(index, prefix, storage.PrefixEnd(prefix), all, func(f storage.Fact) error {
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return errScanStopped
		}
		acc.add(s.cfg.keyOf(f), f)
		return nil
	})
	if errors.Is(err, errScanStopped) {
		return Stats{}, fmt.Errorf("computing statistics: %w", ctx.Err())
	}
	if err != nil {
		return Stats{}, fmt.Errorf("computing statistics: %w", err)
	}
	st := acc.finish()
	st.Index = index
	return st, nil
}

// keyOf returns the key a fact is counted under in this store's space.
func (c Config) keyOf(f storage.Fact) KeyCount {
	if c.Space == storage.KeyPrefixSP {
		return KeyCount{Subject: f.Subject, Predicate: f.Predicate}
	}
	return KeyCount{Predicate: f.Predicate, Object: f.Object}
}

// statsAccumulator counts facts in key order. Keys arrive grouped (the scan
// is in key order and the key is a prefix of the stored key), so one
// running count per key is enough; per-predicate totals need a map because
// in the SP space the predicate is not the leading field.
type statsAccumulator struct {
	lim     StatsLimits
	facts   uint64
	cur     KeyCount
	curKey  []byte
	heavy   keyHeap
	preds   map[uint64]*PredicateCount
	started bool
}

func newStatsAccumulator(lim StatsLimits) *statsAccumulator {
	return &statsAccumulator{lim: lim, preds: map[uint64]*PredicateCount{}}
}

func (a *statsAccumulator) add(k KeyCount, f storage.Fact) {
	a.facts++
	pc := a.predicate(f.Predicate)
	pc.Facts++
	if f.Object.Kind == storage.KindEntity {
		pc.EntityObjects++
	}
	enc := appendKeyCount(nil, k)
	if a.started && string(enc) == string(a.curKey) {
		a.cur.Count++
		return
	}
	a.closeKey()
	a.started, a.cur, a.curKey = true, k, enc
	a.cur.Count = 1
	pc.Keys++
}

func (a *statsAccumulator) predicate(p uint64) *PredicateCount {
	pc := a.preds[p]
	if pc == nil {
		pc = &PredicateCount{Predicate: p}
		a.preds[p] = pc
	}
	return pc
}

// closeKey offers the finished key to the bounded min-heap of heavy keys.
func (a *statsAccumulator) closeKey() {
	if !a.started || a.lim.HeavyKeys <= 0 {
		return
	}
	if len(a.heavy) < a.lim.HeavyKeys {
		heap.Push(&a.heavy, a.cur)
		return
	}
	if a.cur.Count > a.heavy[0].Count {
		a.heavy[0] = a.cur
		heap.Fix(&a.heavy, 0)
	}
}

func (a *statsAccumulator) finish() Stats {
	a.closeKey()
	st := Stats{Facts: a.facts, Heavy: []KeyCount(a.heavy)}
	sort.Slice(st.Heavy, func(i, j int) bool { return st.Heavy[i].Count > st.Heavy[j].Count })
	if len(a.heavy) == a.lim.HeavyKeys && len(st.Heavy) > 0 {
		// The heap was full, so unlisted keys may exist, none heavier
		// than the lightest listed one.
		st.MinListed = st.Heavy[len(st.Heavy)-1].Count
	}
	for _, pc := range a.preds {
		st.Predicates = append(st.Predicates, *pc)
	}
	sort.Slice(st.Predicates, func(i, j int) bool {
		if st.Predicates[i].Facts != st.Predicates[j].Facts {
			return st.Predicates[i].Facts > st.Predicates[j].Facts
		}
		return st.Predicates[i].Predicate < st.Predicates[j].Predicate
	})
	if a.lim.Predicates >= 0 && len(st.Predicates) > a.lim.Predicates {
		st.OtherPredicates = uint64(len(st.Predicates) - a.lim.Predicates)
		st.Predicates = st.Predicates[:a.lim.Predicates]
	}
	return st
}

func appendKeyCount(dst []byte, k KeyCount) []byte {
	dst = binary.BigEndian.AppendUint64(dst, k.Subject)
	dst = storage.AppendPPrefix(dst, k.Predicate)
	if k.Object.Kind != 0 {
		dst = storage.AppendObject(dst, k.Object)
	}
	return dst
}

// keyHeap is a min-heap of key counts by Count.
type keyHeap []KeyCount

func (h keyHeap) Len() int           { return len(h) }
func (h keyHeap) Less(i, j int) bool { return h[i].Count < h[j].Count }
func (h keyHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *keyHeap) Push(x any)        { *h = append(*h, x.(KeyCount)) }
func (h *keyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
