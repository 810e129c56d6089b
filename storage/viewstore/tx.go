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
// keyTxPrefix | index (8 bytes) -> its keys, each length-prefixed.
var keyTxPrefix = []byte("\x00tx/")

// Decision decides a pending transaction (see logentry.Decision).
type Decision = logentry.Decision

// PendingError means a lookup touches keys of an undecided transaction.
type PendingError struct{ Tx uint64 }

func (e *PendingError) Error() string {
	return fmt.Sprintf("lookup touches keys of undecided transaction %d", e.Tx)
}

// pendingTxs holds the undecided transactions' keys, sorted, by index.
type pendingTxs struct {
	mu   sync.Mutex
	keys map[uint64][][]byte
}

func txKey(index uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), keyTxPrefix...), index)
}

func encodeKeys(keys [][]byte) []byte {
	var out []byte
	for _, k := range keys {
		out = binary.AppendUvarint(out, uint64(len(k)))
		out = append(out, k...)
	}
	return out
}

func decodeKeys(b []byte) ([][]byte, error) {
	var keys [][]byte
	for len(b) > 0 {
		n, m := binary.Uvarint(b)
		if m <= 0 || uint64(len(b)-m) < n {
			return nil, fmt.Errorf("%w: malformed pending transaction record", ErrCorrupt)
		}
		keys = append(keys, append([]byte(nil), b[m:m+int(n)]...))
		b = b[m+int(n):]
	}
	return keys, nil
}

// loadPending reads the pending transactions recorded in the store.
func (s *Store) loadPending() error {
	s.pending = &pendingTxs{keys: map[uint64][][]byte{}}
	it := s.db.NewIterator(util.BytesPrefix(keyTxPrefix), nil)
	defer it.Release()
	for it.Next() {
		k := it.Key()
		if len(k) != len(keyTxPrefix)+8 {
			return fmt.Errorf("%w: pending transaction key %x", ErrCorrupt, k)
		}
		keys, err := decodeKeys(it.Value())
		if err != nil {
			return err
		}
		s.pending.keys[binary.BigEndian.Uint64(k[len(keyTxPrefix):])] = keys
	}
	return it.Error()
}

// changeKeys returns the keys a change writes in this store's range: its
// inserts, and tombstones for its deletes.
func (s *Store) changeKeys(c Change) [][]byte {
	var keys [][]byte
	for _, set := range []struct {
		facts   []storage.Fact
		deleted bool
	}{{c.Inserts, false}, {c.Deletes, true}} {
		for _, f := range set.facts {
			if s.cfg.holds(f) {
				keys = append(keys, s.cfg.appendKey(nil, f, set.deleted))
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i], keys[j]) < 0 })
	return dedupKeys(keys)
}

func dedupKeys(sorted [][]byte) [][]byte {
	out := sorted[:0]
	for i, k := range sorted {
		if i == 0 || !bytes.Equal(k, sorted[i-1]) {
			out = append(out, k)
		}
	}
	return out
}

// txEffects is what one Apply does to the pending set once it is written.
type txEffects struct {
	begun   map[uint64][][]byte
	decided []uint64
}

// putTx handles a change's transaction part in batch: a pending change's
// keys are recorded, a decision writes or drops a pending transaction's
// keys. It returns the sum of the digests of the keys written.
func (s *Store) putTx(batch *leveldb.Batch, c Change, fx *txEffects) uint64 {
	var sum uint64
	if c.Pending {
		if keys := s.changeKeys(c); len(keys) > 0 {
			batch.Put(txKey(c.Index), encodeKeys(keys))
			fx.begun[c.Index] = keys
		}
	}
	if d := c.Decide; d != nil {
		keys, ok := s.pendingKeys(d.Tx, fx)
		if !ok {
			return 0 // already decided, or it touched nothing here
		}
		if d.Commit {
			for _, k := range keys {
				batch.Put(k, nil)
				sum += KeyDigest(k)
			}
		}
		batch.Delete(txKey(d.Tx))
		delete(fx.begun, d.Tx)
		fx.decided = append(fx.decided, d.Tx)
	}
	return sum
}

func (s *Store) pendingKeys(tx uint64, fx *txEffects) ([][]byte, bool) {
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
		i := sort.Search(len(keys), func(i int) bool { return bytes.Compare(keys[i], start) >= 0 })
		if i < len(keys) && (limit == nil || bytes.Compare(keys[i], limit) < 0) {
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
