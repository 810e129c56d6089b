package viewstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/akutan-dev/akutan/storage"
)

// Config says which part of which space a store holds. It is recorded at
// creation and checked on every open, so a directory is never reused for a
// different range by mistake.
type Config struct {
	Space      byte // storage.KeyPrefixSP or storage.KeyPrefixPO
	RangeStart uint64
	RangeEnd   uint64 // inclusive
}

func (c Config) String() string {
	return fmt.Sprintf("space %c range 0x%016x-0x%016x", c.Space, c.RangeStart, c.RangeEnd)
}

func (c Config) validate() error {
	if c.Space != storage.KeyPrefixSP && c.Space != storage.KeyPrefixPO {
		return fmt.Errorf("unknown space %q", c.Space)
	}
	if c.RangeStart > c.RangeEnd {
		return fmt.Errorf("range start 0x%x is after end 0x%x", c.RangeStart, c.RangeEnd)
	}
	return nil
}

// holds reports whether a fact belongs to this store's range.
func (c Config) holds(f storage.Fact) bool {
	var h uint64
	if c.Space == storage.KeyPrefixSP {
		h = storage.HashSP(f.Subject, f.Predicate)
	} else {
		h = storage.HashPO(f.Predicate, f.Object)
	}
	return h >= c.RangeStart && h <= c.RangeEnd
}

func (c Config) key(f storage.Fact, deleted bool) []byte {
	if c.Space == storage.KeyPrefixSP {
		return storage.AppendSPKey(nil, f, deleted)
	}
	return storage.AppendPOKey(nil, f, deleted)
}

func (c Config) decode(k []byte) (storage.Fact, bool, error) {
	if c.Space == storage.KeyPrefixSP {
		return storage.DecodeSPKey(k)
	}
	return storage.DecodePOKey(k)
}

// Meta keys sort before both fact key prefixes ('P', 'S').
var (
	keyApplied = []byte("\x00applied")
	keyConfig  = []byte("\x00config")
)

// Store is one view's LevelDB.
type Store struct {
	db      *leveldb.DB
	cfg     Config
	applied uint64 // guarded by the single applier; read via Applied
}

// ErrCorrupt marks a store whose files cannot be trusted.
var ErrCorrupt = errors.New("view store is corrupt")

// Open opens or creates the store in dir for cfg.
func Open(dir string, cfg Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("opening view store: %w", err)
	}
	db, err := leveldb.OpenFile(dir, &opt.Options{Strict: opt.StrictAll})
	if err != nil {
		if lerrors.IsCorrupted(err) {
			return nil, fmt.Errorf("opening view store %s: %w: %v", dir, ErrCorrupt, err)
		}
		return nil, fmt.Errorf("opening view store %s: %w", dir, err)
	}
	s := &Store{db: db, cfg: cfg}
	if err := s.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening view store %s: %w", dir, err)
	}
	return s, nil
}

// load checks the recorded config and reads the applied index.
func (s *Store) load() error {
	want := []byte(s.cfg.String())
	got, err := s.db.Get(keyConfig, nil)
	switch {
	case errors.Is(err, leveldb.ErrNotFound):
		if err := s.db.Put(keyConfig, want, &opt.WriteOptions{Sync: true}); err != nil {
			return fmt.Errorf("recording config: %w", err)
		}
	case err != nil:
		return fmt.Errorf("reading config: %w", err)
	case !bytes.Equal(got, want):
		return fmt.Errorf("directory holds %s, not %s", got, want)
	}
	b, err := s.db.Get(keyApplied, nil)
	switch {
	case errors.Is(err, leveldb.ErrNotFound):
		s.applied = 0
	case err != nil:
		return fmt.Errorf("reading applied index: %w", err)
	case len(b) != 8:
		return fmt.Errorf("%w: applied index has %d bytes", ErrCorrupt, len(b))
	default:
		s.applied = binary.BigEndian.Uint64(b)
	}
	return nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Config returns what the store holds.
func (s *Store) Config() Config { return s.cfg }

// Applied returns the last log index whose effects the store holds. Only
// the applier may call it concurrently with Apply.
func (s *Store) Applied() uint64 { return s.applied }

// Change is the effect of one log entry on the graph.
type Change struct {
	Index   uint64
	Inserts []storage.Fact
}

// Apply records the changes, which must continue the log right after
// Applied() in order, in one atomic write together with the new applied
// index. Facts outside the store's range are skipped.
func (s *Store) Apply(changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	next := s.applied
	batch := new(leveldb.Batch)
	for _, c := range changes {
		if c.Index != next+1 {
			return fmt.Errorf("applying index %d after %d: entries must be contiguous", c.Index, next)
		}
		next = c.Index
		for _, f := range c.Inserts {
			if s.cfg.holds(f) {
				batch.Put(s.cfg.key(f, false), nil)
			}
		}
	}
	var idx [8]byte
	binary.BigEndian.PutUint64(idx[:], next)
	batch.Put(keyApplied, idx[:])
	if err := s.db.Write(batch, nil); err != nil {
		return fmt.Errorf("applying entries %d..%d: %w", changes[0].Index, next, err)
	}
	s.applied = next
	return nil
}

// scan calls fn for each fact visible at index among the keys in
// [start, limit) that pass keep. fn returning an error stops the scan.
func (s *Store) scan(index uint64, start, limit []byte, keep func(storage.Fact) bool, fn func(storage.Fact) error) error {
	it := s.db.NewIterator(&util.Range{Start: start, Limit: limit}, nil)
	defer it.Release()
	var pending storage.Fact
	havePending, pendingDeleted := false, false
	flush := func() error {
		if havePending && !pendingDeleted && keep(pending) {
			return fn(pending)
		}
		return nil
	}
	for it.Next() {
		f, deleted, err := s.cfg.decode(it.Key())
		if err != nil {
			return fmt.Errorf("%w: key %x: %v", ErrCorrupt, it.Key(), err)
		}
		if havePending && f.ID != pending.ID {
			if err := flush(); err != nil {
				return err
			}
			havePending = false
		}
		if f.Index <= index {
			pending, pendingDeleted, havePending = f, deleted, true
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("scanning view store: %w", err)
	}
	return flush()
}

func all(storage.Fact) bool { return true }

func prefixScan(s *Store, index uint64, prefix []byte, fn func(storage.Fact) error) error {
	return s.scan(index, prefix, storage.PrefixEnd(prefix), all, fn)
}

// LookupS calls fn for each fact with the subject (HashSP stores).
func (s *Store) LookupS(index, subject uint64, fn func(storage.Fact) error) error {
	return prefixScan(s, index, storage.AppendSPrefix(nil, subject), fn)
}

// LookupSP calls fn for each fact with the subject and predicate.
func (s *Store) LookupSP(index, subject, predicate uint64, fn func(storage.Fact) error) error {
	return prefixScan(s, index, storage.AppendSPPrefix(nil, subject, predicate), fn)
}

// LookupSPO calls fn for each fact with the subject, predicate and object.
func (s *Store) LookupSPO(index, subject, predicate uint64, o storage.Object, fn func(storage.Fact) error) error {
	return prefixScan(s, index, storage.AppendSPOPrefix(nil, subject, predicate, o), fn)
}

// LookupPO calls fn for each fact with the predicate and object (HashPO stores).
func (s *Store) LookupPO(index, predicate uint64, o storage.Object, fn func(storage.Fact) error) error {
	return prefixScan(s, index, storage.AppendPOPrefix(nil, predicate, o), fn)
}
