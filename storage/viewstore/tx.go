package viewstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
	"sync"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/logentry"
)

// Transactions. A change that needs a decision (an update whose entry did
// not land right after the index it was read at) is not written as facts:
// its keys in this store's range are held under a meta key until a later
// entry decides it. Commit writes them (with the transaction's own index,
// so queries at or after it see them); abort drops them. Lookups whose scan
// range holds a key of an undecided transaction at or below their index
// must wait for the decision: PendingError says so.

// keyTxPrefix starts the meta key of each pending transaction:
// keyTxPrefix | index (8 bytes) -> its entries (see encodeEntries).
var keyTxPrefix = []byte("\x00tx/")

// Decision decides a pending transaction (see logentry.Decision).
type Decision = logentry.Decision

// PendingError means a lookup touches keys of an undecided transaction.
type PendingError struct{ Tx uint64 }

func (e *PendingError) Error() string {
	return fmt.Sprintf("lookup touches keys of undecided transaction %d", e.Tx)
}

// pendingTxs holds the undecided transactions' entries, sorted by key, by
// index.
type pendingTxs struct {
	mu   sync.Mutex
	keys map[uint64][]entry
}

// entry is a key to write and its value.
type entry struct{ key, value []byte }

func txKey(index uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), keyTxPrefix...), index)
}

// entriesMarker starts a record of entries. Records written before values
// existed hold just the keys, each length-prefixed; their first byte is the
// length of a key, never 0.
const entriesMarker = 0

// encodeEntries encodes a pending transaction's record: entriesMarker, then
// each key and value, each length-prefixed.
func encodeEntries(entries []entry) []byte {
	out := []byte{entriesMarker}
	for _, e := range entries {
		out = appendBytes(out, e.key)
		out = appendBytes(out, e.value)
	}
	return out
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// decodeEntries decodes a record of encodeEntries, or of the keys-only
// format before it (empty values).
func decodeEntries(b []byte) ([]entry, error) {
	pairs := len(b) > 0 && b[0] == entriesMarker
	if pairs {
		b = b[1:]
	}
	var out []entry
	for len(b) > 0 {
		var e entry
		var err error
		if e.key, b, err = nextBytes(b); err != nil {
			return nil, err
		}
		if pairs {
			if e.value, b, err = nextBytes(b); err != nil {
				return nil, err
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// nextBytes reads one length-prefixed byte string (a copy) from b.
func nextBytes(b []byte) ([]byte, []byte, error) {
	n, m := binary.Uvarint(b)
	if m <= 0 || uint64(len(b)-m) < n {
		return nil, nil, fmt.Errorf("%w: malformed pending transaction record", ErrCorrupt)
	}
	return append([]byte(nil), b[m:m+int(n)]...), b[m+int(n):], nil
}

// loadPending reads the pending transactions recorded in the store.
func (s *Store) loadPending() error {
	s.pending = &pendingTxs{keys: map[uint64][]entry{}}
	it := s.db.NewIterator(util.BytesPrefix(keyTxPrefix), nil)
	defer it.Release()
	for it.Next() {
		k := it.Key()
		if len(k) != len(keyTxPrefix)+8 {
			return fmt.Errorf("%w: pending transaction key %x", ErrCorrupt, k)
		}
		keys, err := decodeEntries(it.Value())
		if err != nil {
			return err
		}
		s.pending.keys[binary.BigEndian.Uint64(k[len(keyTxPrefix):])] = keys
	}
	return it.Error()
}

// changeKeys returns the entries a change writes in this store's range:
// its inserts, with their objects' annotations as values, and tombstones
// for its deletes, sorted by key.
func (s *Store) changeKeys(c Change) []entry {
	var entries []entry
	for _, f := range c.Inserts {
		if s.cfg.holds(f) {
			entries = append(entries, entry{s.cfg.appendKey(nil, f, false), storage.AppendAnnotation(nil, f.Object)})
		}
	}
	for _, f := range c.Deletes {
		if s.cfg.holds(f) {
			entries = append(entries, entry{key: s.cfg.appendKey(nil, f, true)})
		}
	}
	sort.Slice(entries, func(i, j int) bool { return bytes.Compare(entries[i].key, entries[j].key) < 0 })
	return dedupKeys(entries)
}

func dedupKeys(sorted []entry) []entry {
	out := sorted[:0]
	for i, e := range sorted {
		if i == 0 || !bytes.Equal(e.key, sorted[i-1].key) {
			out = append(out, e)
		}
	}
	return out
}

// txEffects is what one Apply does to the pending set once it is written.
type txEffects struct {
	begun   map[uint64][]entry
	decided []uint64
}

// putTx handles a change's transaction part in batch: a pending change's
// keys are recorded, a decision writes or drops a pending transaction's
// keys. It returns the sum of the digests of the keys written.
func (s *Store) putTx(batch *leveldb.Batch, c Change, fx *txEffects) uint64 {
	var sum uint64
	if c.Pending {
		if keys := s.changeKeys(c); len(keys) > 0 {
			batch.Put(txKey(c.Index), encodeEntries(keys))
			fx.begun[c.Index] = keys
		}
	}
	if d := c.Decide; d != nil {
		keys, ok := s.pendingKeys(d.Tx, fx)
		if !ok {
			return 0 // already decided, or it touched nothing here
		}
		if d.Commit {
			for _, e := range keys {
				batch.Put(e.key, e.value)
				sum += EntryDigest(e.key, e.value)
			}
		}
		batch.Delete(txKey(d.Tx))
		delete(fx.begun, d.Tx)
		fx.decided = append(fx.decided, d.Tx)
	}
	return sum
}

func (s *Store) pendingKeys(tx uint64, fx *txEffects) ([]entry, bool) {
	if keys, ok := fx.begun[tx]; ok {
		return keys, true
	}
	for _, d := range fx.decided {
		if d == tx {
			return nil, false
		}
	}
	s.pending.mu.Lock()
	defer s.pending.mu.Unlock()
	keys, ok := s.pending.keys[tx]
	return keys, ok
}

// commitTx updates the in-memory pending set after a successful write.
func (s *Store) commitTx(fx *txEffects) {
	s.pending.mu.Lock()
	defer s.pending.mu.Unlock()
	for tx, keys := range fx.begun {
		s.pending.keys[tx] = keys
	}
	for _, tx := range fx.decided {
		delete(s.pending.keys, tx)
	}
	if len(fx.decided) > 0 {
		s.decisions.Add(1)
	}
}

// blockingTx returns an undecided transaction at or below index with a key
// in [start, limit), or 0.
func (s *Store) blockingTx(index uint64, start, limit []byte) uint64 {
	s.pending.mu.Lock()
	defer s.pending.mu.Unlock()
	for tx, keys := range s.pending.keys {
		if tx > index {
			continue
		}
		i := sort.Search(len(keys), func(i int) bool { return bytes.Compare(keys[i].key, start) >= 0 })
		if i < len(keys) && (limit == nil || bytes.Compare(keys[i].key, limit) < 0) {
			return tx
		}
	}
	return 0
}

// Pending returns the indexes of the undecided transactions.
func (s *Store) Pending() []uint64 {
	s.pending.mu.Lock()
	defer s.pending.mu.Unlock()
	out := make([]uint64, 0, len(s.pending.keys))
	for tx := range s.pending.keys {
		out = append(out, tx)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
