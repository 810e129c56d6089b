package viewserver

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/rs/zerolog"

	"github.com/akutan-dev/akutan/internal/dirlock"
	"github.com/akutan-dev/akutan/storage/viewstore"
)

// errNoStore means the store is being replaced.
var errNoStore = errors.New("the view's store is being replaced")

// storeHandle is the view's current store. The supervisor replaces it
// (after moving a damaged store aside, or discarding a stale or partial
// one) while everything else reads through it. A replacement first takes
// the store away, so that new readers fail at once with errNoStore (a
// lookup is then asked of another replica) instead of queueing behind it,
// then waits for the readers still using the old store before closing it:
// a store is never closed under a reader, and a reader held up by a slow
// client (a lookup's reply streamed to it) delays only the replacement.
type storeHandle struct {
	dir  string
	cfg  viewstore.Config
	wrap viewstore.Wrap // nil: the files as they are
	log  zerolog.Logger

	// swapping serializes the supervisor's replacements and close.
	swapping sync.Mutex

	mu      sync.Mutex
	st      *viewstore.Store // nil while replaced, and between a failed replacement and the next open
	gen     uint64           // bumped by every replacement
	readers *sync.WaitGroup  // the readers of st

	// movedAside counts corrupt stores found by reopen (the metrics do not
	// exist yet when the view first opens its store).
	movedAside int
	// cachedBefore sums the cached lookups of the stores closed so far,
	// so that cachedLookups only grows.
	cachedBefore uint64
}

// openStore opens the store in dir. A store that cannot be trusted
// (corrupt) is moved aside and one holding an unfinished load is
// discarded; either way the view starts over with an empty store.
// A directory still locked by a process that is exiting (one killed a
// moment ago) is waited for.
func openStore(ctx context.Context, dir string, cfg viewstore.Config, wrap viewstore.Wrap, log zerolog.Logger) (*storeHandle, error) {
	h := &storeHandle{dir: dir, cfg: cfg, wrap: wrap, log: log}
	err := dirlock.Retry(ctx, 0, func(error) {
		log.Info().Str("dir", dir).Msg("the view's store is still locked, by a process that is exiting or by another akutan; waiting")
	}, h.reopen)
	if err != nil {
		return nil, err
	}
	return h, nil
}

// reopen opens the directory, repairing it as openStore describes, and
// installs the store. No store may be installed: swapping must be held,
// or the handle not yet shared.
func (h *storeHandle) reopen() error {
	st, err := viewstore.OpenWrapped(h.dir, h.cfg, h.wrap)
	if errors.Is(err, viewstore.ErrCorrupt) {
		h.log.Error().Err(err).Msg("the view's store is corrupt; moving it aside and booting from peers")
		h.movedAside++
		st, err = h.fresh(true)
	}
	if err == nil && st.Loading() {
		h.log.Warn().Msg("the view's store holds an unfinished load from peers; discarding it")
		st.Close()
		st, err = h.fresh(false)
	}
	if err != nil {
		return fmt.Errorf("opening the view's store: %w", err)
	}
	h.install(st)
	return nil
}

// install makes st the current store, a new generation.
func (h *storeHandle) install(st *viewstore.Store) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.st, h.readers = st, &sync.WaitGroup{}
	h.gen++
}

// detach takes the current store away from new readers, waits for those
// still using it, and closes it. swapping must be held.
func (h *storeHandle) detach(why string) error {
	h.mu.Lock()
	old, readers := h.st, h.readers
	h.st = nil
	if old != nil {
		h.cachedBefore += old.CachedLookups() // a late reader's hits are not counted
	}
	h.mu.Unlock()
	if old == nil {
		return nil
	}
	readers.Wait()
	if err := old.Close(); err != nil {
		h.log.Warn().Err(err).Msg("closing the store to " + why)
		return err
	}
	return nil
}

// fresh moves the directory aside (aside) or removes it, then opens an
// empty store there.
func (h *storeHandle) fresh(aside bool) (*viewstore.Store, error) {
	if aside {
		to, err := viewstore.MoveAside(h.dir)
		if err != nil {
			return nil, err
		}
		h.log.Warn().Str("moved_to", to).Msg("moved the damaged store aside")
	} else if err := viewstore.RemoveContents(h.dir); err != nil {
		return nil, fmt.Errorf("removing the store %s: %w", h.dir, err)
	}
	return viewstore.OpenWrapped(h.dir, h.cfg, h.wrap)
}

// replace closes the store, moves it aside (aside) or removes it, and
// opens an empty one. New readers fail meanwhile; it waits for the
// current ones to finish.
func (h *storeHandle) replace(aside bool) error {
	h.swapping.Lock()
	defer h.swapping.Unlock()
	_ = h.detach("replace it")
	st, err := h.fresh(aside)
	if err != nil {
		return fmt.Errorf("replacing the view's store: %w", err)
	}
	h.install(st)
	return nil
}

// restart closes the store and opens it again, repairing it as openStore
// describes. After a failed write goleveldb fails every later write (its
// journal writer keeps the error), so only a reopen, which replays the
// journal, lets the view write again. New readers fail meanwhile; it waits
// for the current ones to finish. If opening fails (e.g. the disk is
// still full), no store is open until ensure succeeds.
func (h *storeHandle) restart() error {
	h.swapping.Lock()
	defer h.swapping.Unlock()
	_ = h.detach("reopen it")
	return h.reopen()
}

// ensure reopens the store after a failed replacement.
func (h *storeHandle) ensure() error {
	h.swapping.Lock()
	defer h.swapping.Unlock()
	if h.current() != nil {
		return nil
	}
	return h.reopen()
}

// use runs fn with the current store and its generation, holding it open.
func (h *storeHandle) use(fn func(st *viewstore.Store, gen uint64) error) error {
	h.mu.Lock()
	st, gen, readers := h.st, h.gen, h.readers
	if st == nil {
		h.mu.Unlock()
		return errNoStore
	}
	readers.Add(1)
	h.mu.Unlock()
	defer readers.Done()
	return fn(st, gen)
}

// current returns the store for its owner, the supervisor, which alone
// replaces it; nil if none is open.
func (h *storeHandle) current() *viewstore.Store {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.st
}

// cachedLookups counts the lookups answered from the row caches of the
// stores the view has had (see viewstore's rowcache.go).
func (h *storeHandle) cachedLookups() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.cachedBefore
	if h.st != nil {
		n += h.st.CachedLookups()
	}
	return n
}

// generation identifies the current store.
func (h *storeHandle) generation() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.gen
}

// close closes the store for good, once its readers are done.
func (h *storeHandle) close() error {
	h.swapping.Lock()
	defer h.swapping.Unlock()
	return h.detach("close it")
}

// Config is what the store holds.
func (h *storeHandle) Config() viewstore.Config { return h.cfg }

// ComputeStats computes statistics of the current store (see
// viewstore.Store.ComputeStats).
func (h *storeHandle) ComputeStats(ctx context.Context, index uint64, lim viewstore.StatsLimits) (viewstore.Stats, error) {
	var out viewstore.Stats
	err := h.use(func(st *viewstore.Store, _ uint64) error {
		var err error
		out, err = st.ComputeStats(ctx, index, lim)
		return err
	})
	return out, err
}

// scanKeys is the carousel's view of the store.
func (h *storeHandle) scanKeys(after []byte, max int, fn func(key, value []byte) error) (last []byte, end bool, err error) {
	err = h.use(func(st *viewstore.Store, _ uint64) error {
		var err error
		last, end, err = st.ScanKeys(after, max, fn)
		return err
	})
	return last, end, err
}
