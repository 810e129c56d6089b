package viewstore

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/akutan-dev/akutan/storage"
)

// ErrBadKey marks a key offered to a Loader that the store must not hold.
var ErrBadKey = errors.New("bad key")

// Loader fills an empty store with the keys of its range as of one log
// index, as streamed by peers. Add may be called from several goroutines
// at once (one per source); Finish makes the load durable and complete.
// Until then the store is marked as loading: if the process stops, the
// next Open reports Loading and the store must be discarded.
type Loader struct {
	s      *Store
	index  uint64
	digest atomic.Uint64
	keys   atomic.Uint64
	// batches are reused: growing a fresh batch to tens of megabytes costs
	// more than checking its keys.
	batches sync.Pool
}

// BeginLoad starts loading the store as of index. The store must be empty:
// no applied entries and no fact keys.
func (s *Store) BeginLoad(index uint64) (*Loader, error) {
	if s.applied != 0 || s.loading {
		return nil, fmt.Errorf("loading the store as of %d: it is not empty (applied %d, loading %v)", index, s.applied, s.loading)
	}
	empty, err := s.empty()
	if err != nil {
		return nil, fmt.Errorf("loading the store as of %d: %w", index, err)
	}
	if !empty {
		return nil, fmt.Errorf("loading the store as of %d: it already holds facts", index)
	}
	if err := s.db.Put(keyLoading, u64(index), &opt.WriteOptions{Sync: true}); err != nil {
		return nil, fmt.Errorf("loading the store as of %d: marking it: %w", index, classify(err))
	}
	s.loading = true
	return &Loader{s: s, index: index}, nil
}

// empty reports whether the store holds no fact key.
func (s *Store) empty() (bool, error) {
	it := s.db.NewIterator(s.factRange(), nil)
	defer it.Release()
	if it.Next() {
		return false, nil
	}
	return true, classify(it.Error())
}

// Loading reports whether the store holds an incomplete load.
func (s *Store) Loading() bool { return s.loading }

// Index is the log index the load is consistent as of.
func (l *Loader) Index() uint64 { return l.index }

// Keys returns how many keys have been added so far.
func (l *Loader) Keys() uint64 { return l.keys.Load() }

// Add checks keys and their values and writes them in one batch. values
// is nil (every value empty) or holds one value per key. Each key must
// decode as a fact key of the store's space whose hash lies in [start,
// end] and in the store's range, encoded exactly as the store would encode
// it, with a log index of at least 1 and at most the load's index; its
// value must be a canonical annotation its object may carry, and empty for
// a tombstone. A bad key or value fails the whole call with ErrBadKey and
// writes nothing. Add returns the sum of the entries' digests.
func (l *Loader) Add(keys, values [][]byte, start, end uint64) (uint64, error) {
	if values != nil && len(values) != len(keys) {
		return 0, fmt.Errorf("%w: %d values for %d keys", ErrBadKey, len(values), len(keys))
	}
	batch, _ := l.batches.Get().(*leveldb.Batch)
	if batch == nil {
		batch = new(leveldb.Batch)
	}
	defer func() {
		batch.Reset()
		l.batches.Put(batch)
	}()
	var sum uint64
	var buf []byte
	for i, k := range keys {
		var v []byte
		if values != nil {
			v = values[i]
		}
		var err error
		if buf, err = l.check(buf[:0], k, v, start, end); err != nil {
			return 0, err
		}
		batch.Put(k, v)
		sum += EntryDigest(k, v)
	}
	if err := l.s.db.Write(batch, nil); err != nil {
		return 0, fmt.Errorf("writing %d loaded keys: %w", len(keys), classify(err))
	}
	l.s.rows.invalidate()
	l.digest.Add(sum)
	l.keys.Add(uint64(len(keys)))
	return sum, nil
}

// check validates one key and its value, using buf for the key's
// re-encoding.
func (l *Loader) check(buf, k, v []byte, start, end uint64) ([]byte, error) {
	cfg := l.s.cfg
	f, deleted, err := cfg.decode(k)
	if err != nil {
		return buf, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	if err := storage.DecodeAnnotation(v, &f.Object); err != nil {
		return buf, fmt.Errorf("%w: key %x: %v", ErrBadKey, k, err)
	}
	if deleted && len(v) > 0 {
		return buf, fmt.Errorf("%w: tombstone %x has a value", ErrBadKey, k)
	}
	if buf = cfg.appendKey(buf, f, deleted); !bytes.Equal(buf, k) {
		return buf, fmt.Errorf("%w: key %x is not in canonical form", ErrBadKey, k)
	}
	if h := cfg.hash(f); h < start || h > end || h < cfg.RangeStart || h > cfg.RangeEnd {
		return buf, fmt.Errorf("%w: key %x hashes to 0x%016x, outside 0x%016x-0x%016x or %s", ErrBadKey, k, h, start, end, cfg)
	}
	if f.Index == 0 || f.Index > l.index {
		return buf, fmt.Errorf("%w: key %x has log index %d, outside 1..%d", ErrBadKey, k, f.Index, l.index)
	}
	return buf, nil
}

// Finish records the load as complete: the store has applied everything up
// to the load's index, and its digest is the sum of the loaded keys. The
// write is synced. sources is the log format version the sources were in
// (at their applied indexes, at or past the load's): it is the store's
// version too if the switch to it came at or before the load's index;
// otherwise the store meets the switch when it follows the log.
func (l *Loader) Finish(sources LogVersion) error {
	s := l.s
	digest := l.digest.Load()
	batch := new(leveldb.Batch)
	batch.Put(keyApplied, u64(l.index))
	batch.Put(keyDigest, u64(digest))
	batch.Delete(keyLoading)
	version := LogVersion{}
	if sources.Version != 0 && sources.Index <= l.index {
		version = sources
		batch.Put(keyLogVersion, u64(uint64(version.Version)))
		batch.Put(keyLogVersionIndex, u64(version.Index))
	}
	if err := s.db.Write(batch, &opt.WriteOptions{Sync: true}); err != nil {
		return fmt.Errorf("finishing the load as of %d: %w", l.index, classify(err))
	}
	s.rows.invalidate()
	s.applied, s.digest, s.loading = l.index, digest, false
	s.version.Store(&version)
	s.hist.reset(l.index, digest)
	return nil
}

// hash returns f's position in the store's hash space.
func (c Config) hash(f storage.Fact) uint64 {
	if c.Space == storage.KeyPrefixSP {
		return storage.HashSP(f.Subject, f.Predicate)
	}
	return storage.HashPO(f.Predicate, f.Object)
}
