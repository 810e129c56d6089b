package viewstore

import (
	"fmt"
	"slices"

	"github.com/syndtr/goleveldb/leveldb/opt"
	lstorage "github.com/syndtr/goleveldb/leveldb/storage"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// Apply writes without syncing: a crash of the process loses nothing
// (the OS holds the writes), but a power loss may take the latest ones.
// Log floors (a cluster declares which entries it can lose from the log)
// must count only what survives a power loss, so a view syncs now and
// then with SyncApplied and advertises the index it returned.

// SyncApplied makes every applied entry durable and returns the applied
// index they reach. It is one synced write of the applied index: LevelDB
// syncs the current journal, which holds every later write, and the
// journals before it were synced when LevelDB closed them (syncOnClose).
// Only the applier may call it, as for Apply.
func (s *Store) SyncApplied() (uint64, error) {
	if err := s.db.Put(keyApplied, u64(s.applied), &opt.WriteOptions{Sync: true}); err != nil {
		return 0, fmt.Errorf("syncing applied index %d: %w", s.applied, classify(err))
	}
	return s.applied, nil
}

// syncOnClose makes LevelDB's journals durable when it closes them. When
// its memtable is full, LevelDB starts a new journal and closes the old
// one without a sync; until that memtable reaches a table file (which is
// synced), a synced write to the new journal would not cover the writes
// in the old one. One fsync per memtable (megabytes) closes that gap.
type syncOnClose struct {
	lstorage.Storage
}

func (s syncOnClose) Create(fd lstorage.FileDesc) (lstorage.Writer, error) {
	w, err := s.Storage.Create(fd)
	if err != nil || fd.Type != lstorage.TypeJournal {
		return w, err
	}
	return syncedJournal{w}, nil
}

// syncedJournal is a journal file synced before it is closed.
type syncedJournal struct {
	lstorage.Writer
}

func (w syncedJournal) Close() error {
	serr := w.Writer.Sync()
	cerr := w.Writer.Close()
	if serr != nil {
		return fmt.Errorf("syncing journal before closing it: %w", serr)
	}
	return cerr
}

// Flush writes LevelDB's memtable to a table file, so that the journal is
// no longer the only copy of the latest writes: they then take their
// compressed size on disk rather than their raw size in the journal (up
// to the write buffer, 16 MB per store), and a restart replays nothing.
// A view calls it once it has been idle for a while (after a bulk load,
// say). Every Apply writes keyApplied, so compacting just that key's range
// makes LevelDB flush a memtable holding anything applied since the last
// flush, plus the level-0 tables that hold the key. Only the applier may
// call it, as for Apply.
func (s *Store) Flush() error {
	if err := s.db.CompactRange(util.Range{Start: keyApplied, Limit: append(slices.Clip(keyApplied), 0)}); err != nil {
		return fmt.Errorf("flushing the store's memtable: %w", classify(err))
	}
	return nil
}
