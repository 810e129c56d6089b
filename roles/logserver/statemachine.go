package logserver

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"

	sm "github.com/lni/dragonboat/v3/statemachine"
	"github.com/rs/zerolog"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

const (
	// defaultMaxClients bounds the dedup table; beyond it the least recently
	// used tenth of the clients is forgotten.
	defaultMaxClients = 1 << 16
	// gcPerUpdate bounds how many truncated entries one Update deletes.
	gcPerUpdate = 4096
)

var errClosed = errors.New("log state machine closed")

// extent is the visible state of the log on this replica.
type extent struct {
	first   uint64 // first retained index
	last    uint64 // last index, first-1 when empty
	applied uint64 // last applied Raft index
}

// lookupExtent is the Lookup query that returns the current extent.
type lookupExtent struct{}

// logSM is the log's IOnDiskStateMachine. Update, Sync, PrepareSnapshot,
// RecoverFromSnapshot, Open and Close are serialized by Dragonboat; readers
// (Lookup, the Read RPC, SaveSnapshot) run concurrently and only use the
// fields guarded by mu, or a LevelDB snapshot.
type logSM struct {
	dir        string
	logger     zerolog.Logger
	maxClients int

	// dbMu keeps Close from closing the store under a reader: goleveldb
	// must not be closed while iterators are open.
	dbMu sync.RWMutex
	db   *leveldb.DB // set by Open, nil after Close

	mu     sync.Mutex
	ext    extent
	notify chan struct{} // closed and replaced whenever ext changes
	closed bool

	// Owned by the serialized methods.
	clients map[uint64]clientRec
	gcFrom  uint64 // lowest index that may still be stored below ext.first
}

var _ sm.IOnDiskStateMachine = (*logSM)(nil)

func newLogSM(dir string, logger zerolog.Logger, maxClients int) *logSM {
	if maxClients <= 0 {
		maxClients = defaultMaxClients
	}
	return &logSM{
		dir:        dir,
		logger:     logger,
		maxClients: maxClients,
		ext:        extent{first: 1},
		notify:     make(chan struct{}),
		clients:    make(map[uint64]clientRec),
		gcFrom:     1,
	}
}

func levelDBOptions() *opt.Options {
	return &opt.Options{
		WriteBuffer: 32 << 20,
		Strict:      opt.DefaultStrict | opt.StrictManifest,
	}
}

// Open opens (or creates) the LevelDB store and returns the applied Raft
// index stored atomically with the entries.
func (s *logSM) Open(stopc <-chan struct{}) (uint64, error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return 0, fmt.Errorf("creating state machine dir: %w", err)
	}
	db, err := leveldb.OpenFile(s.dir, levelDBOptions())
	if err != nil {
		return 0, fmt.Errorf("opening leveldb at %s: %w", s.dir, err)
	}
	ext, clients, gcFrom, err := loadState(db)
	if err != nil {
		_ = db.Close()
		return 0, fmt.Errorf("loading log state from %s: %w", s.dir, err)
	}
	s.clients, s.gcFrom = clients, gcFrom
	s.dbMu.Lock()
	s.db = db
	s.dbMu.Unlock()
	s.publish(ext)
	s.logger.Info().Uint64("applied", ext.applied).Uint64("first", ext.first).
		Uint64("last", ext.last).Msg("opened log state machine")
	return ext.applied, nil
}

// loadState reads the persisted extent and dedup table and checks that the
// stored entries agree with the extent.
func loadState(db *leveldb.DB) (extent, map[uint64]clientRec, uint64, error) {
	var ext extent
	var err error
	if ext.applied, err = getU64(db, keyApplied, 0); err != nil {
		return ext, nil, 0, err
	}
	if ext.first, err = getU64(db, keyFirst, 1); err != nil {
		return ext, nil, 0, err
	}
	if ext.last, err = getU64(db, keyLast, 0); err != nil {
		return ext, nil, 0, err
	}
	if ext.first == 0 || ext.last+1 < ext.first {
		return ext, nil, 0, fmt.Errorf("inconsistent extent first=%d last=%d", ext.first, ext.last)
	}
	if ext.last >= ext.first {
		if ok, err := db.Has(entryKey(ext.last), nil); err != nil || !ok {
			return ext, nil, 0, fmt.Errorf("last entry %d missing (err %v)", ext.last, err)
		}
	}
	clients, err := loadClients(db)
	if err != nil {
		return ext, nil, 0, err
	}
	gcFrom, err := lowestEntry(db, ext.first)
	if err != nil {
		return ext, nil, 0, err
	}
	return ext, clients, min(gcFrom, ext.first), nil
}

// publish makes ext visible to readers and wakes them up.
func (s *logSM) publish(ext extent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ext = ext
	close(s.notify)
	s.notify = make(chan struct{})
}

// view returns the extent and a channel that is closed on the next change
// (or when the state machine closes).
func (s *logSM) view() (extent, <-chan struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.ext, nil, errClosed
	}
	return s.ext, s.notify, nil
}

// withDB runs fn on the open store, keeping Close out meanwhile.
func (s *logSM) withDB(fn func(db *leveldb.DB) error) error {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	if s.db == nil {
		return errClosed
	}
	return fn(s.db)
}

// readEntries reads up to maxEntries entries (and about maxBytes) from
// index from on; from must be within the published extent.
func (s *logSM) readEntries(from, to uint64, maxBytes int) ([]entry, error) {
	var out []entry
	err := s.withDB(func(db *leveldb.DB) error {
		var err error
		out, err = readEntries(db, from, to, maxBytes)
		return err
	})
	return out, err
}

func (s *logSM) extent() extent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ext
}

// Update applies a batch of committed proposals in one LevelDB write.
func (s *logSM) Update(ents []sm.Entry) ([]sm.Entry, error) {
	if len(ents) == 0 {
		return ents, nil
	}
	ext := s.extent()
	b := new(leveldb.Batch)
	for i := range ents {
		ents[i].Result = s.apply(b, ents[i].Cmd, ents[i].Index, &ext)
	}
	ext.applied = ents[len(ents)-1].Index
	s.evictClients(b)
	s.collectGarbage(b, ext.first)
	b.Put(keyApplied, u64(ext.applied))
	b.Put(keyFirst, u64(ext.first))
	b.Put(keyLast, u64(ext.last))
	if err := s.db.Write(b, nil); err != nil {
		return nil, fmt.Errorf("writing %d proposals up to raft index %d: %w", len(ents), ext.applied, err)
	}
	s.publish(ext)
	return ents, nil
}

// apply applies one proposal into b and ext. Malformed proposals are
// answered with an empty result and change nothing.
func (s *logSM) apply(b *leveldb.Batch, cmd []byte, raftIndex uint64, ext *extent) sm.Result {
	if len(cmd) == 0 {
		return sm.Result{}
	}
	switch cmd[0] {
	case kindAppend:
		ops, err := decodeAppend(cmd[1:])
		if err != nil {
			s.logger.Error().Err(err).Uint64("raft_index", raftIndex).Msg("skipping proposal")
			return sm.Result{}
		}
		rs := make([]opResult, len(ops))
		for i, op := range ops {
			rs[i] = s.applyAppend(b, op, raftIndex, ext)
		}
		return sm.Result{Value: uint64(len(ops)), Data: encodeResults(rs)}
	case kindTruncate:
		firstKept, err := decodeTruncate(cmd[1:])
		if err != nil {
			s.logger.Error().Err(err).Uint64("raft_index", raftIndex).Msg("skipping proposal")
			return sm.Result{}
		}
		ext.first = max(ext.first, min(firstKept, ext.last+1))
		return sm.Result{Value: ext.first}
	default:
		s.logger.Error().Uint8("kind", cmd[0]).Uint64("raft_index", raftIndex).Msg("skipping proposal of unknown kind")
		return sm.Result{}
	}
}

func (s *logSM) applyAppend(b *leveldb.Batch, op *appendOp, raftIndex uint64, ext *extent) opResult {
	rec, known := s.clients[op.clientID]
	if op.clientID != 0 && known {
		if op.seq == rec.seq {
			return opResult{status: statusOK, first: rec.first, last: rec.last}
		}
		if op.seq < rec.seq {
			return opResult{status: statusStale}
		}
	}
	first := ext.last + 1
	for _, e := range op.entries {
		ext.last++
		b.Put(entryKey(ext.last), e)
	}
	if op.clientID != 0 {
		rec = clientRec{seq: op.seq, first: first, last: ext.last, touch: raftIndex}
		s.clients[op.clientID] = rec
		b.Put(clientKey(op.clientID), rec.encode())
	}
	return opResult{status: statusOK, first: first, last: ext.last}
}

// evictClients forgets the least recently used tenth of the clients once
// the table exceeds maxClients. The order depends only on applied state, so
// every replica evicts the same clients.
func (s *logSM) evictClients(b *leveldb.Batch) {
	if len(s.clients) <= s.maxClients {
		return
	}
	type idRec struct {
		id  uint64
		rec clientRec
	}
	all := make([]idRec, 0, len(s.clients))
	for id, rec := range s.clients {
		all = append(all, idRec{id, rec})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].rec.touch != all[j].rec.touch {
			return all[i].rec.touch < all[j].rec.touch
		}
		return all[i].id < all[j].id
	})
	keep := s.maxClients - s.maxClients/10
	for _, ir := range all[:len(all)-keep] {
		delete(s.clients, ir.id)
		b.Delete(clientKey(ir.id))
	}
}

// collectGarbage deletes up to gcPerUpdate truncated entries. Readers never
// look below first, so this can lag behind truncation.
func (s *logSM) collectGarbage(b *leveldb.Batch, first uint64) {
	for n := 0; s.gcFrom < first && n < gcPerUpdate; n++ {
		b.Delete(entryKey(s.gcFrom))
		s.gcFrom++
	}
}

// Lookup answers lookupExtent queries (used for linearizable reads).
func (s *logSM) Lookup(q interface{}) (interface{}, error) {
	if _, ok := q.(lookupExtent); !ok {
		return nil, fmt.Errorf("unknown lookup query %T", q)
	}
	ext, _, err := s.view()
	if err != nil {
		return nil, err
	}
	return ext, nil
}

// Sync makes everything applied so far durable.
func (s *logSM) Sync() error {
	ext := s.extent()
	b := new(leveldb.Batch)
	b.Put(keyApplied, u64(ext.applied))
	if err := s.db.Write(b, &opt.WriteOptions{Sync: true}); err != nil {
		return fmt.Errorf("syncing log state machine: %w", err)
	}
	return nil
}

// Close closes the store. Readers see errClosed from then on.
func (s *logSM) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.notify)
		s.notify = make(chan struct{})
	}
	s.mu.Unlock()
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	if s.db == nil {
		return nil
	}
	err := s.db.Close()
	s.db = nil
	if err != nil {
		return fmt.Errorf("closing log state machine: %w", err)
	}
	return nil
}
