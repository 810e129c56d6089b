package viewstore

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/cespare/xxhash/v2"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// State digest
//
// A store's digest as of log index i is the sum, modulo 2^64, of
// EntryDigest(k, v) over every fact key k, with its value v (the literal
// annotation of its object, see storage/annotation.go), in the store whose
// log index is at most i. Keys are never removed (a deletion is a new tombstone key), and
// the log decides every key, so two stores of the same space and range
// that hold the log prefix up to i agree on the digest at i, however they
// got there: by applying the log, by loading from peers, or both. A sum is
// used (rather than a hash chain) because it does not depend on the order
// the keys arrived in, and a store can fold in a batch of keys at a time.

// historySize is how many recent log indexes Digest answers from memory;
// older ones need a scan.
const historySize = 1 << 16

// ErrNotApplied means a digest was asked for an index the store has not
// applied yet.
var ErrNotApplied = errors.New("index not applied yet")

// KeyDigest is one key's contribution to the state digest when its value
// is empty: EntryDigest(key, nil).
func KeyDigest(key []byte) uint64 { return xxhash.Sum64(key) }

// EntryDigest is one stored entry's contribution to the state digest:
// xxhash64 of the key when the value is empty, as before values existed,
// and otherwise xxhash64 of key, value and the value's length (8 bytes,
// big-endian), so that replicas that disagree on a value disagree on the
// digest.
func EntryDigest(key, value []byte) uint64 {
	if len(value) == 0 {
		return KeyDigest(key)
	}
	d := xxhash.New()
	d.Write(key)
	d.Write(value)
	d.Write(u64(uint64(len(value))))
	return d.Sum64()
}

// Digest returns the state digest as of index, which must be at most the
// applied index. Recent indexes are answered from memory; others by
// scanning a snapshot of the store. It is safe to call concurrently with
// Apply.
func (s *Store) Digest(ctx context.Context, index uint64) (uint64, error) {
	if d, ok := s.hist.get(index); ok {
		return d, nil
	}
	if applied, _ := s.hist.latest(); index > applied {
		return 0, fmt.Errorf("digest at index %d: %w (applied %d)", index, ErrNotApplied, applied)
	}
	snap, err := s.db.GetSnapshot()
	if err != nil {
		return 0, fmt.Errorf("digest at index %d: %w", index, classify(err))
	}
	defer snap.Release()
	return s.scanDigest(ctx, snap, index)
}

// AppliedDigest returns the applied index and the digest at it. It is safe
// to call concurrently with Apply.
func (s *Store) AppliedDigest() (applied, digest uint64) { return s.hist.latest() }

// scanDigest folds the keys of r whose index is at most index.
func (s *Store) scanDigest(ctx context.Context, r reader, index uint64) (uint64, error) {
	it := r.NewIterator(s.factRange(), nil)
	defer it.Release()
	var sum uint64
	for n := 0; it.Next(); n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return 0, fmt.Errorf("scanning for the digest at %d: %w", index, ctx.Err())
		}
		k := it.Key()
		ki, err := KeyIndex(k)
		if err != nil {
			return 0, fmt.Errorf("scanning for the digest at %d: %w", index, err)
		}
		if ki <= index {
			sum += EntryDigest(k, it.Value())
		}
	}
	if err := it.Error(); err != nil {
		return 0, fmt.Errorf("scanning for the digest at %d: %w", index, classify(err))
	}
	return sum, nil
}

// factRange is the key range of every fact key of the store's space.
func (s *Store) factRange() *util.Range {
	return &util.Range{Start: []byte{s.cfg.Space}, Limit: []byte{s.cfg.Space + 1}}
}

// history keeps the digest at each of the most recent applied indexes, so
// that replicas at slightly different indexes can compare digests at a
// common one without scanning.
type history struct {
	mu    sync.Mutex
	first uint64 // the lowest index recorded since the last reset
	last  uint64 // the applied index
	vals  []uint64
}

func newHistory(applied, digest uint64) *history {
	h := &history{vals: make([]uint64, historySize)}
	h.reset(applied, digest)
	return h
}

// reset forgets everything but the digest at applied.
func (h *history) reset(applied, digest uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.first, h.last = applied, applied
	h.vals[applied%historySize] = digest
}

// record notes digests[i] as the digest at index from+i; from must be
// last+1.
func (h *history) record(from uint64, digests []uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, d := range digests {
		h.vals[(from+uint64(i))%historySize] = d
	}
	h.last = from + uint64(len(digests)) - 1
}

func (h *history) get(index uint64) (uint64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if index < h.first || index > h.last || h.last-index >= historySize {
		return 0, false
	}
	return h.vals[index%historySize], true
}

func (h *history) latest() (applied, digest uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last, h.vals[h.last%historySize]
}
