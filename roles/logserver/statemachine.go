package logserver

import (
	"errors"
	"fmt"
	"sort"
	"sync"

	sm "github.com/lni/dragonboat/v3/statemachine"
	"github.com/lni/goutils/vfs"
	"github.com/rs/zerolog"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/akutan-dev/akutan/storage/logentry"
)

const (
	// defaultMaxClients bounds the dedup table; beyond it the least recently
	// used tenth of the clients is forgotten.
	defaultMaxClients = 1 << 16
	// defaultWriteBuffer is LevelDB's memtable size.
	defaultWriteBuffer = 32 << 20
	// maxKeptBatch is the largest Update (in command bytes) whose batch
	// buffer is kept for the next one, so one huge Update does not pin its
	// memory.
	maxKeptBatch = 16 << 20
)

var errClosed = errors.New("log state machine closed")

// extent is the visible state of the log on this replica.
type extent struct {
	first   uint64 // first retained index
	last    uint64 // last index, first-1 when empty
	applied uint64 // last applied Raft index
}

// adminState is the replicated management state: the clusters' floors,
// the replica IDs removed for good and the log's format version. A
// published adminState is never modified; changes make a copy.
type adminState struct {
	floors  map[string]uint64
	removed map[uint64]bool
	version logVersion
	// directory holds the directory records by key (directory.go).
	directory map[string]string
}

// logVersion is the log format version the log is in, and the index of
// the entry that switched to it. The zero value is a log that never
// switched: it is in logentry.FirstVersion.
type logVersion struct {
	number uint32
	index  uint64
}

// current is the version the log is in.
func (v logVersion) current() uint32 { return max(v.number, logentry.FirstVersion) }

func (a adminState) clone() adminState {
	c := adminState{floors: make(map[string]uint64, len(a.floors)), removed: make(map[uint64]bool, len(a.removed)),
		version: a.version, directory: make(map[string]string, len(a.directory))}
	for k, v := range a.directory {
		c.directory[k] = v
	}
	for k, v := range a.floors {
		c.floors[k] = v
	}
	for k := range a.removed {
		c.removed[k] = true
	}
	return c
}

// lowestFloor returns the lowest registered floor and its cluster (the
// first by name among equals), or ok=false when none is registered.
func (a adminState) lowestFloor() (floor uint64, cluster string, ok bool) {
	for c, f := range a.floors {
		if !ok || f < floor || f == floor && c < cluster {
			floor, cluster, ok = f, c, true
		}
	}
	return floor, cluster, ok
}

// lookupExtent is the Lookup query that returns the current extent.
type lookupExtent struct{}

// lookupAdmin is the Lookup query that returns an adminView.
type lookupAdmin struct{}

// adminView is the answer to lookupAdmin.
type adminView struct {
	ext   extent
	admin adminState
}

// smOptions tune a logSM; the zero value is the production setting.
type smOptions struct {
	fs            vfs.FS // nil: the operating system's
	maxClients    int    // 0: defaultMaxClients
	writeBuffer   int    // 0: defaultWriteBuffer
	snapshotBytes uint64 // 0: defaultSnapshotBytes
}

// logSM is the log's IOnDiskStateMachine. Update, Sync, PrepareSnapshot,
// RecoverFromSnapshot, Open and Close are serialized by Dragonboat; readers
// (Lookup, the Read RPC, SaveSnapshot) run concurrently and only use the
// fields guarded by mu, or a LevelDB snapshot.
type logSM struct {
	dir    string
	logger zerolog.Logger
	opts   smOptions

	// dbMu keeps Close from closing the store under a reader: goleveldb
	// must not be closed while iterators are open.
	dbMu sync.RWMutex
	db   *leveldb.DB // set by Open, nil after Close
	stor *vfsStorage

	mu     sync.Mutex
	ext    extent
	admin  adminState
	notify chan struct{} // closed and replaced whenever ext changes
	closed bool

	// Owned by the serialized methods.
	clients map[uint64]clientRec
	gc      *collector // deletes truncated entries; set by Open
	meter   *proposalMeter
	// batch is reused by Update: growing a fresh batch entry by entry
	// copied every proposal's payload several times.
	batch *leveldb.Batch
}

var _ sm.IOnDiskStateMachine = (*logSM)(nil)

func newLogSM(dir string, logger zerolog.Logger, opts smOptions) *logSM {
	if opts.fs == nil {
		opts.fs = vfs.Default
	}
	if opts.maxClients <= 0 {
		opts.maxClients = defaultMaxClients
	}
	if opts.writeBuffer <= 0 {
		opts.writeBuffer = defaultWriteBuffer
	}
	return &logSM{
		dir:     dir,
		logger:  logger,
		opts:    opts,
		ext:     extent{first: 1},
		admin:   adminState{floors: map[string]uint64{}, removed: map[uint64]bool{}},
		notify:  make(chan struct{}),
		clients: make(map[uint64]clientRec),
		meter:   newProposalMeter(opts.snapshotBytes),
	}
}

func levelDBOptions(writeBuffer int) *opt.Options {
	return &opt.Options{
		WriteBuffer: writeBuffer,
		Strict:      opt.DefaultStrict | opt.StrictManifest,
	}
}

// Open opens (or creates) the LevelDB store and returns the applied Raft
// index stored atomically with the entries.
func (s *logSM) Open(stopc <-chan struct{}) (uint64, error) {
	stor, err := openVFSStorage(s.opts.fs, s.dir, s.logger)
	if err != nil {
		return 0, fmt.Errorf("opening state machine store: %w", err)
	}
	db, err := leveldb.Open(stor, levelDBOptions(s.opts.writeBuffer))
	if err != nil {
		_ = stor.Close()
		return 0, fmt.Errorf("opening leveldb at %s: %w", s.dir, err)
	}
	ext, clients, admin, err := loadState(db)
	var lowest uint64
	if err == nil {
		lowest, err = lowestEntry(db, ext.first)
	}
	if err != nil {
		_ = db.Close()
		_ = stor.Close()
		return 0, fmt.Errorf("loading log state from %s: %w", s.dir, err)
	}
	s.clients = clients
	s.dbMu.Lock()
	s.db, s.stor = db, stor
	s.dbMu.Unlock()
	s.publish(ext, admin)
	s.gc = startCollector(s, db, min(lowest, ext.first))
	s.logger.Info().Uint64("applied", ext.applied).Uint64("first", ext.first).
		Uint64("last", ext.last).Msg("opened log state machine")
	return ext.applied, nil
}

// loadState reads the persisted extent, dedup table and admin state and
// checks that the stored entries agree with the extent.
func loadState(db *leveldb.DB) (extent, map[uint64]clientRec, adminState, error) {
	var ext extent
	var err error
	if ext.applied, err = getU64(db, keyApplied, 0); err != nil {
		return ext, nil, adminState{}, err
	}
	if ext.first, err = getU64(db, keyFirst, 1); err != nil {
		return ext, nil, adminState{}, err
	}
	if ext.last, err = getU64(db, keyLast, 0); err != nil {
		return ext, nil, adminState{}, err
	}
	if ext.first == 0 || ext.last+1 < ext.first {
		return ext, nil, adminState{}, fmt.Errorf("inconsistent extent first=%d last=%d", ext.first, ext.last)
	}
	if ext.last >= ext.first {
		if ok, err := db.Has(entryKey(ext.last), nil); err != nil || !ok {
			return ext, nil, adminState{}, fmt.Errorf("last entry %d missing (err %v)", ext.last, err)
		}
	}
	clients, err := loadClients(db)
	if err != nil {
		return ext, nil, adminState{}, err
	}
	admin, err := loadAdmin(db)
	return ext, clients, admin, err
}

// publish makes ext and admin visible to readers and wakes them up.
func (s *logSM) publish(ext extent, admin adminState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ext, s.admin = ext, admin
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

func (s *logSM) adminState() adminState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.admin
}

// Update applies a batch of committed proposals in one LevelDB write.
func (s *logSM) Update(ents []sm.Entry) ([]sm.Entry, error) {
	if len(ents) == 0 {
		return ents, nil
	}
	ext := s.extent()
	firstBefore := ext.first
	b := s.takeBatch(ents)
	a := &applier{s: s, b: b, ext: &ext, admin: s.adminState()}
	for i := range ents {
		res, err := a.apply(ents[i].Cmd, ents[i].Index)
		if err != nil {
			// Nothing of this batch is written, so a newer binary started
			// on the same directory applies it from the start.
			b.Reset()
			s.logger.Error().Err(err).Msg("log replica cannot go on")
			return nil, err
		}
		ents[i].Result = res
		s.meter.applied(len(ents[i].Cmd))
	}
	ext.applied = ents[len(ents)-1].Index
	s.evictClients(a.b)
	a.b.Put(keyApplied, u64(ext.applied))
	a.b.Put(keyFirst, u64(ext.first))
	a.b.Put(keyLast, u64(ext.last))
	err := s.db.Write(a.b, nil)
	b.Reset()
	if err != nil {
		return nil, fmt.Errorf("writing %d proposals up to raft index %d: %w", len(ents), ext.applied, err)
	}
	s.publish(ext, a.admin)
	s.gc.wrote()
	if ext.first > firstBefore {
		s.gc.poke()
	}
	return ents, nil
}

// takeBatch returns an empty batch for ents, reusing the last one unless
// ents is too large to keep its buffer afterwards.
func (s *logSM) takeBatch(ents []sm.Entry) *leveldb.Batch {
	size := 0
	for _, e := range ents {
		size += len(e.Cmd)
	}
	if size > maxKeptBatch {
		s.batch = nil
		return new(leveldb.Batch)
	}
	if s.batch == nil {
		s.batch = new(leveldb.Batch)
	}
	return s.batch
}

// applier applies the proposals of one Update into one batch.
type applier struct {
	s     *logSM
	b     *leveldb.Batch
	ext   *extent
	admin adminState // copied before the first change
	owned bool       // admin is this applier's copy
}

// apply applies one proposal. A malformed proposal of a known kind is
// answered with an empty result and changes nothing, identically on every
// replica. One of a kind this binary does not know was made by a newer
// version, and skipping it could make this replica disagree with newer
// ones, so it is an error that stops the replica.
func (a *applier) apply(cmd []byte, raftIndex uint64) (sm.Result, error) {
	if len(cmd) == 0 {
		return sm.Result{}, nil
	}
	var res sm.Result
	var err error
	switch cmd[0] {
	case kindAppend:
		res, err = a.appendCmd(cmd[1:], raftIndex)
	case kindTruncate:
		var firstKept uint64
		if firstKept, err = decodeTruncate(cmd[1:]); err == nil {
			res = a.truncate(truncForce, firstKept)
		}
	case kindTruncateMode:
		var mode truncateMode
		var firstKept uint64
		if mode, firstKept, err = decodeTruncateMode(cmd[1:]); err == nil {
			res = a.truncate(mode, firstKept)
		}
	case kindSetFloor:
		res, err = a.setFloor(cmd[1:])
	case kindMarkRemoved:
		res, err = a.markRemoved(cmd[1:])
	case kindVersionChange:
		res, err = a.changeVersion(cmd[1:])
	case kindDirectory:
		res, err = a.directory(cmd[1:])
	case kindStartAfter:
		res, err = a.startAfter(cmd[1:])
	default:
		return sm.Result{}, fmt.Errorf("Raft index %d holds a command of kind %d, but this log binary knows kinds 1 to %d: "+
			"a newer version proposed it; start a version that knows it on the same directory", raftIndex, cmd[0], maxKind)
	}
	if err != nil {
		a.s.logger.Error().Err(err).Uint64("raft_index", raftIndex).Msg("skipping proposal")
		return sm.Result{}, nil
	}
	return res, nil
}

func (a *applier) appendCmd(body []byte, raftIndex uint64) (sm.Result, error) {
	ops, err := decodeAppend(body)
	if err != nil {
		return sm.Result{}, err
	}
	rs := make([]opResult, len(ops))
	for i, op := range ops {
		last := a.ext.last
		rs[i] = a.s.applyAppend(a.b, op, raftIndex, a.ext)
		if a.ext.last > last {
			a.watchVersion(op.entries, last+1)
		}
	}
	return sm.Result{Value: uint64(len(ops)), Data: encodeResults(rs)}, nil
}

// watchVersion follows the version changes among entries, appended from
// index first on. Appends refuse version changes today, but the Raft log
// may hold ones appended before they did (or by an older replica), and
// the log must be in the version its readers are in.
func (a *applier) watchVersion(entries [][]byte, first uint64) {
	for i, e := range entries {
		if v, ok := logentry.VersionChangeOf(e); ok {
			a.setVersion(logVersion{number: v, index: first + uint64(i)})
		}
	}
}

func (a *applier) setVersion(v logVersion) {
	a.ownAdmin()
	a.admin.version = v
	a.b.Put(keyVersion, encodeLogVersion(v))
}

// changeVersion appends the entry that switches the log to a newer format
// version, unless the log is in that version or a newer one already; the
// result is the version the log is then in (see encodeVersionResult).
// Whether this binary can read the version is the proposer's to check:
// the state machine must decide the same on every replica.
func (a *applier) changeVersion(body []byte) (sm.Result, error) {
	to, err := decodeVersionChange(body)
	if err != nil {
		return sm.Result{}, err
	}
	// A server recorded in the directory that supports less than the new
	// version would stop at the change when it comes back: refused (the
	// version stays; the proposer names the servers).
	if to > a.admin.version.current() && len(a.admin.olderServers(to)) == 0 {
		entry, err := logentry.EncodeVersionChange(to)
		if err != nil {
			return sm.Result{}, err
		}
		a.ext.last++
		a.b.Put(entryKey(a.ext.last), entry)
		a.setVersion(logVersion{number: to, index: a.ext.last})
	}
	return encodeVersionResult(a.admin.version), nil
}

// truncate moves the first retained index forward (never back, never past
// last+1). Entries below it are deleted later by the collector: readers
// never look below first.
func (a *applier) truncate(mode truncateMode, firstKept uint64) sm.Result {
	floor, cluster, ok := a.admin.lowestFloor()
	res := truncResult{floor: floor, cluster: cluster}
	switch {
	case mode == truncAuto && !ok:
		res.status = truncNoFloors
	case mode == truncAuto:
		firstKept = min(floor, a.ext.last) + 1
	case mode == truncBefore && ok && firstKept > min(floor, a.ext.last)+1:
		res.status = truncPastFloor
	case mode != truncBefore && mode != truncForce:
		res.status = truncBadMode
	}
	if res.status == truncOK {
		a.ext.first = max(a.ext.first, min(firstKept, a.ext.last+1))
	}
	res.first = a.ext.first
	return sm.Result{Value: a.ext.first, Data: encodeTruncResult(res)}
}

func (a *applier) ownAdmin() {
	if !a.owned {
		a.admin, a.owned = a.admin.clone(), true
	}
}

func (a *applier) setFloor(body []byte) (sm.Result, error) {
	op, err := decodeSetFloor(body)
	if err != nil {
		return sm.Result{}, err
	}
	a.ownAdmin()
	if op.remove {
		delete(a.admin.floors, op.cluster)
		a.b.Delete(floorKey(op.cluster))
	} else {
		a.admin.floors[op.cluster] = op.index
		a.b.Put(floorKey(op.cluster), u64(op.index))
	}
	return sm.Result{Value: 1}, nil
}

func (a *applier) markRemoved(body []byte) (sm.Result, error) {
	id, err := decodeMarkRemoved(body)
	if err != nil {
		return sm.Result{}, err
	}
	a.ownAdmin()
	a.admin.removed[id] = true
	a.b.Put(removedKey(id), nil)
	if k := replicaDirKey(id); a.admin.directory[k] != "" {
		delete(a.admin.directory, k)
		a.b.Delete(directoryKey(k))
	}
	return sm.Result{Value: 1}, nil
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
// the table exceeds opts.maxClients. The order depends only on applied state, so
// every replica evicts the same clients.
func (s *logSM) evictClients(b *leveldb.Batch) {
	if len(s.clients) <= s.opts.maxClients {
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
	keep := s.opts.maxClients - s.opts.maxClients/10
	for _, ir := range all[:len(all)-keep] {
		delete(s.clients, ir.id)
		b.Delete(clientKey(ir.id))
	}
}

// Lookup answers lookupExtent and lookupAdmin queries (used for
// linearizable reads).
func (s *logSM) Lookup(q interface{}) (interface{}, error) {
	ext, _, err := s.view()
	if err != nil {
		return nil, err
	}
	switch q.(type) {
	case lookupExtent:
		return ext, nil
	case lookupAdmin:
		return adminView{ext: ext, admin: s.adminState()}, nil
	}
	return nil, fmt.Errorf("unknown lookup query %T", q)
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

// Close stops the collector and closes the store. Readers see errClosed
// from then on.
func (s *logSM) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.notify)
		s.notify = make(chan struct{})
	}
	s.mu.Unlock()
	if s.gc != nil {
		s.gc.stop()
		s.gc = nil
	}
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	if s.db == nil {
		return nil
	}
	err := s.db.Close()
	if cerr := s.stor.Close(); err == nil {
		err = cerr
	}
	s.db, s.stor = nil, nil
	if err != nil {
		return fmt.Errorf("closing log state machine: %w", err)
	}
	return nil
}
