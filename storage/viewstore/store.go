package viewstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/iterator"
	"github.com/syndtr/goleveldb/leveldb/opt"
	lstorage "github.com/syndtr/goleveldb/leveldb/storage"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/logentry"
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

// Holds reports whether a fact belongs to this store's range. Views use
// it to build only the facts they keep from each log entry.
func (c Config) Holds(f storage.Fact) bool { return c.holds(f) }

// holds reports whether a fact belongs to this store's range.
func (c Config) holds(f storage.Fact) bool {
	h := c.hash(f)
	return h >= c.RangeStart && h <= c.RangeEnd
}

func (c Config) appendKey(dst []byte, f storage.Fact, deleted bool) []byte {
	if c.Space == storage.KeyPrefixSP {
		return storage.AppendSPKey(dst, f, deleted)
	}
	return storage.AppendPOKey(dst, f, deleted)
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
	// keyDigest holds the state digest as of the applied index (see
	// Digest); it is written in the same batch as keyApplied.
	keyDigest = []byte("\x00digest")
	// keyLoading is present while a load from peers is incomplete: such a
	// store holds an arbitrary part of its range and must be discarded.
	keyLoading = []byte("\x00loading")
	// keyLogVersion holds the log format version in force at the applied
	// index, so a restarted server never reads later entries under an
	// older format.
	keyLogVersion = []byte("\x00logversion")
	// keyLogVersionIndex holds the index of the entry that switched the
	// log to that version (absent: the first version, or not known).
	keyLogVersionIndex = []byte("\x00logversionindex")
)

// LogVersion is the log format version in force at some index.
type LogVersion struct {
	Version uint32 // 0 means the first version
	Index   uint64 // the entry that switched to Version; 0 if the first or not known
}

// Store is one view's LevelDB.
type Store struct {
	db      *leveldb.DB
	files   lstorage.Storage // closed after db
	cfg     Config
	applied uint64                     // guarded by the single applier; read via Applied
	digest  uint64                     // the digest at applied; guarded like applied
	loading bool                       // set by Open when keyLoading is present
	version atomic.Pointer[LogVersion] // in force at applied; written by the applier
	hist    *history
	pending *pendingTxs
	// decisions counts applied transaction decisions, so Readers know
	// when their snapshot is stale.
	decisions atomic.Uint64
	rows      *rowCache // recent lookups' rows (see rowcache.go)
}

// ErrCorrupt marks a store whose files cannot be trusted.
var ErrCorrupt = errors.New("view store is corrupt")

// options are the LevelDB options of every store. StrictAll makes damaged
// journals, manifests and blocks errors instead of silently dropped data.
// The larger write buffer lets a boot's big batches reach level 0 in fewer,
// larger tables, which keeps LevelDB from stalling writes on compaction.
func options() *opt.Options {
	return &opt.Options{
		Strict:              opt.StrictAll,
		WriteBuffer:         16 << 20,
		CompactionTableSize: 8 << 20,
	}
}

// Open opens or creates the store in dir for cfg.
func Open(dir string, cfg Config) (*Store, error) {
	return OpenWrapped(dir, cfg, nil)
}

// Wrap wraps the files of a store, e.g. to inject write failures in tests.
type Wrap func(lstorage.Storage) lstorage.Storage

// OpenWrapped is Open with the store's files seen through wrap (nil: as
// they are).
func OpenWrapped(dir string, cfg Config, wrap Wrap) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("opening view store: %w", err)
	}
	files, err := lstorage.OpenFile(dir, false)
	if err != nil {
		return nil, fmt.Errorf("opening view store %s: %w", dir, classify(err))
	}
	if wrap != nil {
		files = wrap(files)
	}
	files = syncOnClose{files}
	db, err := leveldb.Open(files, options())
	if err != nil {
		files.Close()
		return nil, fmt.Errorf("opening view store %s: %w", dir, classify(err))
	}
	s := &Store{db: db, files: files, cfg: cfg, rows: newRowCache(defaultCacheSlots)}
	if err := s.load(); err != nil {
		s.Close()
		return nil, fmt.Errorf("opening view store %s: %w", dir, classify(err))
	}
	s.hist = newHistory(s.applied, s.digest)
	return s, nil
}

// classify marks LevelDB's corruption errors with ErrCorrupt.
func classify(err error) error {
	if err == nil || errors.Is(err, ErrCorrupt) {
		return err
	}
	var c1 *lerrors.ErrCorrupted
	var c2 *lstorage.ErrCorrupted
	if errors.As(err, &c1) || errors.As(err, &c2) || lerrors.IsCorrupted(err) {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return err
}

// load checks the recorded config and reads the applied index, the load
// marker and the digest.
func (s *Store) load() error {
	if err := s.checkConfig(); err != nil {
		return err
	}
	var err error
	if s.applied, err = getU64(s.db, keyApplied); err != nil {
		return fmt.Errorf("reading applied index: %w", err)
	}
	if s.loading, err = has(s.db, keyLoading); err != nil {
		return fmt.Errorf("reading load marker: %w", err)
	}
	version, err := getU64(s.db, keyLogVersion)
	if err != nil {
		return fmt.Errorf("reading log format version: %w", err)
	}
	since, err := getU64(s.db, keyLogVersionIndex)
	if err != nil {
		return fmt.Errorf("reading log format version: %w", err)
	}
	s.version.Store(&LogVersion{Version: uint32(version), Index: since})
	if err := s.loadPending(); err != nil {
		return fmt.Errorf("reading pending transactions: %w", err)
	}
	return s.loadDigest()
}

// checkConfig records the config in a new store and compares it otherwise.
func (s *Store) checkConfig() error {
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
	return nil
}

// loadDigest reads the stored digest. A store written before digests
// existed has applied entries but no digest: it is computed once by a scan.
func (s *Store) loadDigest() error {
	ok, err := has(s.db, keyDigest)
	if err != nil {
		return fmt.Errorf("reading digest: %w", err)
	}
	if ok {
		if s.digest, err = getU64(s.db, keyDigest); err != nil {
			return fmt.Errorf("reading digest: %w", err)
		}
		return nil
	}
	if s.applied == 0 || s.loading {
		return nil
	}
	d, err := s.scanDigest(context.Background(), s.db, s.applied)
	if err != nil {
		return fmt.Errorf("computing the digest of a store without one: %w", err)
	}
	if err := s.db.Put(keyDigest, u64(d), &opt.WriteOptions{Sync: true}); err != nil {
		return fmt.Errorf("recording digest: %w", err)
	}
	s.digest = d
	return nil
}

// reader is what LevelDB's DB and Snapshot have in common.
type reader interface {
	Get(key []byte, ro *opt.ReadOptions) ([]byte, error)
	Has(key []byte, ro *opt.ReadOptions) (bool, error)
	NewIterator(slice *util.Range, ro *opt.ReadOptions) iterator.Iterator
}

// getU64 reads an 8-byte meta value, 0 if absent.
func getU64(r reader, key []byte) (uint64, error) {
	b, err := r.Get(key, nil)
	switch {
	case errors.Is(err, leveldb.ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, classify(err)
	case len(b) != 8:
		return 0, fmt.Errorf("%w: %q has %d bytes, want 8", ErrCorrupt, key, len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

func has(r reader, key []byte) (bool, error) {
	ok, err := r.Has(key, nil)
	return ok, classify(err)
}

func u64(v uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, v)
}

// Close closes the store.
func (s *Store) Close() error { return errors.Join(s.db.Close(), s.files.Close()) }

// Config returns what the store holds.
func (s *Store) Config() Config { return s.cfg }

// LogVersion returns the log format version in force at the applied
// index.
func (s *Store) LogVersion() uint32 { return max(s.LogVersionInfo().Version, logentry.FirstVersion) }

// LogVersionInfo returns the log format version in force at the applied
// index and where it began. It is safe to call concurrently with Apply.
func (s *Store) LogVersionInfo() LogVersion {
	if v := s.version.Load(); v != nil {
		return *v
	}
	return LogVersion{}
}

// Applied returns the last log index whose effects the store holds. Only
// the applier may call it concurrently with Apply.
func (s *Store) Applied() uint64 { return s.applied }

// Change is the effect of one log entry on the graph, as the replay rule
// in storage/logentry reads it: the store applies exactly what every view
// reads from the log.
type Change = logentry.Effect

// Apply records the changes, which must continue the log right after
// Applied() in order, in one atomic write together with the new applied
// index. Facts outside the store's range are skipped.
func (s *Store) Apply(changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	if s.loading {
		return fmt.Errorf("applying entries: the store holds an incomplete load")
	}
	next, digest, version := s.applied, s.digest, s.LogVersionInfo()
	batch := new(leveldb.Batch)
	digests := make([]uint64, len(changes)) // the digest after each change
	fx := &txEffects{begun: map[uint64][]entry{}}
	for i, c := range changes {
		if c.Index != next+1 {
			return fmt.Errorf("applying index %d after %d: entries must be contiguous", c.Index, next)
		}
		next = c.Index
		if !c.Pending {
			digest += s.putChange(batch, c)
		}
		digest += s.putTx(batch, c, fx)
		digests[i] = digest
		if c.Version != 0 {
			version = LogVersion{Version: c.Version, Index: c.Index}
			batch.Put(keyLogVersion, u64(uint64(version.Version)))
			batch.Put(keyLogVersionIndex, u64(version.Index))
		}
	}
	batch.Put(keyApplied, u64(next))
	batch.Put(keyDigest, u64(digest))
	if err := s.db.Write(batch, nil); err != nil {
		return fmt.Errorf("applying entries %d..%d: %w", changes[0].Index, next, classify(err))
	}
	s.rows.invalidateWrites(batch) // before commitTx lets lookups past a decided transaction
	s.applied, s.digest = next, digest
	s.version.Store(&version)
	s.commitTx(fx)
	s.hist.record(changes[0].Index, digests)
	return nil
}

// putChange adds the keys of one change's facts in the store's range to
// batch, each inserted fact's with its object's annotation as the value
// (tombstones have empty values), and returns the sum of their digests. A key the change holds twice
// (an entry naming one fact offset twice, with the same content) is put
// and counted once, so that the digest stays the sum over the stored keys.
func (s *Store) putChange(batch *leveldb.Batch, c Change) uint64 {
	var seen map[string]bool
	if mayRepeat(c.Inserts) {
		seen = make(map[string]bool, len(c.Inserts))
	}
	var sum uint64
	var key []byte
	for _, f := range c.Inserts {
		if !s.cfg.holds(f) {
			continue
		}
		key = s.cfg.appendKey(key[:0], f, false)
		if seen != nil {
			if seen[string(key)] {
				continue
			}
			seen[string(key)] = true
		}
		value := storage.AppendAnnotation(nil, f.Object)
		batch.Put(key, value)
		sum += EntryDigest(key, value)
	}
	for _, f := range c.Deletes {
		if s.cfg.holds(f) {
			key = s.cfg.appendKey(key[:0], f, true)
			batch.Put(key, nil)
			sum += KeyDigest(key)
		}
	}
	return sum
}

// mayRepeat reports whether facts might hold one fact twice: only facts
// with equal IDs can, and entries usually list facts by increasing ID.
func mayRepeat(facts []storage.Fact) bool {
	for i := 1; i < len(facts); i++ {
		if facts[i].ID <= facts[i-1].ID {
			return true
		}
	}
	return false
}

// scan calls fn for each fact visible at index among the keys in
// [start, limit) that pass keep. fn returning an error stops the scan.
func (s *Store) scan(index uint64, start, limit []byte, keep func(storage.Fact) bool, fn func(storage.Fact) error) error {
	if tx := s.blockingTx(index, start, limit); tx != 0 {
		return &PendingError{Tx: tx}
	}
	it := s.db.NewIterator(&util.Range{Start: start, Limit: limit}, nil)
	defer it.Release()
	return s.scanFrom(it, index, start, limit, keep, fn)
}

// scanFrom is scan over an iterator that may cover more than the range.
func (s *Store) scanFrom(it iterator.Iterator, index uint64, start, limit []byte, keep func(storage.Fact) bool, fn func(storage.Fact) error) error {
	v := visibleRows{index: index, keep: keep, fn: fn}
	if err := s.eachRow(it, start, limit, v.add); err != nil {
		return err
	}
	return v.flush()
}

// eachRow calls fn with each key in [start, limit) of an iterator that may
// cover more, decoded, in key order.
func (s *Store) eachRow(it iterator.Iterator, start, limit []byte, fn func(row) error) error {
	for ok := it.Seek(start); ok; ok = it.Next() {
		if limit != nil && bytes.Compare(it.Key(), limit) >= 0 {
			break
		}
		f, deleted, err := s.cfg.decode(it.Key())
		if err == nil {
			err = storage.DecodeAnnotation(it.Value(), &f.Object)
		}
		if err != nil {
			return fmt.Errorf("%w: key %x: %v", ErrCorrupt, it.Key(), err)
		}
		if err := fn(row{fact: f, deleted: deleted}); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("scanning view store: %w", classify(err))
	}
	return nil
}

func all(storage.Fact) bool { return true }

// openFunc opens an iterator over the store for a lookup that missed the
// row cache, and returns it with the cache generation taken just before
// it was opened.
type openFunc func() (iterator.Iterator, uint64)

// lookupPrefix calls fn for each fact visible at index whose key starts
// with prefix: from the row cache if it holds the prefix, and otherwise
// from the iterator open gives, caching the rows if there are few.
func (s *Store) lookupPrefix(index uint64, prefix []byte, open openFunc, fn func(storage.Fact) error) error {
	limit := storage.PrefixEnd(prefix)
	if tx := s.blockingTx(index, prefix, limit); tx != 0 {
		return &PendingError{Tx: tx}
	}
	v := visibleRows{index: index, keep: all, fn: fn}
	if rows, ok := s.rows.get(prefix); ok {
		for _, r := range rows {
			if err := v.add(r); err != nil {
				return err
			}
		}
		return v.flush()
	}
	it, gen := open()
	var rows []row
	cache := true
	err := s.eachRow(it, prefix, limit, func(r row) error {
		if cache {
			if len(rows) < cachedRowsPerPrefix {
				rows = append(rows, r)
			} else {
				cache, rows = false, nil
			}
		}
		return v.add(r)
	})
	if err != nil {
		return err
	}
	if cache {
		s.rows.add(gen, prefix, rows)
	}
	return v.flush()
}

func prefixScan(s *Store, index uint64, prefix []byte, fn func(storage.Fact) error) error {
	var it iterator.Iterator
	defer func() {
		if it != nil {
			it.Release()
		}
	}()
	return s.lookupPrefix(index, prefix, func() (iterator.Iterator, uint64) {
		gen := s.rows.generation()
		it = s.db.NewIterator(&util.Range{Start: prefix, Limit: storage.PrefixEnd(prefix)}, nil)
		return it, gen
	}, fn)
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

// LookupP calls fn for each fact with the predicate (HashPO stores): every
// key of the predicate, whatever its object, in one prefix scan.
func (s *Store) LookupP(index, predicate uint64, fn func(storage.Fact) error) error {
	return prefixScan(s, index, storage.AppendPPrefix(nil, predicate), fn)
}

// Scan calls fn for each fact the store holds, in key order: every key of
// its space, one at a time, so the facts never sit in memory together.
func (s *Store) Scan(index uint64, fn func(storage.Fact) error) error {
	return prefixScan(s, index, []byte{s.cfg.Space}, fn)
}

// probeFile names the file ProbeWrite writes: a temporary file LevelDB
// itself never creates (it numbers its files from 1).
var probeFile = lstorage.FileDesc{Type: lstorage.TypeTemp, Num: math.MaxInt64}

// ProbeWrite writes n bytes to a temporary file among the store's files,
// syncs and removes it: it fails while the disk refuses writes (e.g. is
// full), so a view can tell when to reopen a store whose write failed.
func (s *Store) ProbeWrite(n int) error {
	w, err := s.files.Create(probeFile)
	if err != nil {
		return fmt.Errorf("probing the store's disk: %w", err)
	}
	_, err = w.Write(make([]byte, n))
	if err == nil {
		err = w.Sync()
	}
	err = errors.Join(err, w.Close(), s.files.Remove(probeFile))
	if err != nil {
		return fmt.Errorf("probing the store's disk: %w", err)
	}
	return nil
}
