package viewstore

import (
	"github.com/syndtr/goleveldb/leveldb/iterator"

	"github.com/akutan-dev/akutan/storage"
)

// Reader answers a batch of lookups from one LevelDB iterator: opening an
// iterator costs far more than a seek, and one lookup RPC carries hundreds
// of lookups. The iterator reads a snapshot, so a Reader takes a new one
// whenever the store has decided a transaction since (a committed
// transaction's keys are written at its decision, under an index the
// snapshot may already cover). A Reader is not safe for concurrent use.
type Reader struct {
	s         *Store
	it        iterator.Iterator
	decisions uint64 // the store's decision count when it was opened
	gen       uint64 // the row cache's generation when it was opened
}

// NewReader returns a Reader; Release it when done.
func (s *Store) NewReader() *Reader { return &Reader{s: s} }

// Release frees the Reader's iterator.
func (r *Reader) Release() {
	if r.it != nil {
		r.it.Release()
		r.it = nil
	}
}

func (r *Reader) iterator() iterator.Iterator {
	if d := r.s.decisions.Load(); r.it == nil || d != r.decisions {
		r.Release()
		r.decisions = d
		r.gen = r.s.rows.generation()
		r.it = r.s.db.NewIterator(nil, nil)
	}
	return r.it
}

func (r *Reader) scan(index uint64, start, limit []byte, keep func(storage.Fact) bool, fn func(storage.Fact) error) error {
	if tx := r.s.blockingTx(index, start, limit); tx != 0 {
		return &PendingError{Tx: tx}
	}
	return r.s.scanFrom(r.iterator(), index, start, limit, keep, fn)
}

func (r *Reader) prefixScan(index uint64, prefix []byte, fn func(storage.Fact) error) error {
	return r.s.lookupPrefix(index, prefix, r.open, fn)
}

// open is an openFunc over the Reader's iterator.
func (r *Reader) open() (iterator.Iterator, uint64) {
	it := r.iterator()
	return it, r.gen
}

// LookupS is Store.LookupS.
func (r *Reader) LookupS(index, subject uint64, fn func(storage.Fact) error) error {
	return r.prefixScan(index, storage.AppendSPrefix(nil, subject), fn)
}

// LookupSP is Store.LookupSP.
func (r *Reader) LookupSP(index, subject, predicate uint64, fn func(storage.Fact) error) error {
	return r.prefixScan(index, storage.AppendSPPrefix(nil, subject, predicate), fn)
}

// LookupSPO is Store.LookupSPO.
func (r *Reader) LookupSPO(index, subject, predicate uint64, o storage.Object, fn func(storage.Fact) error) error {
	return r.prefixScan(index, storage.AppendSPOPrefix(nil, subject, predicate, o), fn)
}

// LookupPO is Store.LookupPO.
func (r *Reader) LookupPO(index, predicate uint64, o storage.Object, fn func(storage.Fact) error) error {
	return r.prefixScan(index, storage.AppendPOPrefix(nil, predicate, o), fn)
}

// LookupPOCmp is Store.LookupPOCmp.
func (r *Reader) LookupPOCmp(index uint64, c Cmp, fn func(storage.Fact) error) error {
	start, limit, keep, err := cmpBounds(c)
	if err != nil {
		return err
	}
	return r.scan(index, start, limit, keep, fn)
}

// LookupP is Store.LookupP.
func (r *Reader) LookupP(index, predicate uint64, fn func(storage.Fact) error) error {
	return r.prefixScan(index, storage.AppendPPrefix(nil, predicate), fn)
}

// Scan is Store.Scan.
func (r *Reader) Scan(index uint64, fn func(storage.Fact) error) error {
	return r.prefixScan(index, []byte{r.s.cfg.Space}, fn)
}
