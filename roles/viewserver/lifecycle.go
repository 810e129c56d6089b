package viewserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/storage/viewstore"
	"github.com/akutan-dev/akutan/wire"
)

// The supervisor is the one goroutine that owns the store's life: it
// checks the store, boots it from peers when the log alone cannot rebuild
// it, follows the log, and starts over when something goes wrong:
//
//   - corruption (Open, the start-up check, a lookup, or an applied index
//     ahead of the log): the store is moved aside and rebuilt from peers;
//   - the log no longer holds the next index: the stale store is removed
//     and rebuilt from peers;
//   - an interrupted load: the partial store is removed and loaded again;
//   - a log format this binary cannot read: the view fails for good;
//   - a failed store write (e.g. the disk is full): the store is closed and
//     reopened, and applying is retried with backoff; a view that was
//     serving keeps serving what it holds meanwhile (lookups at later
//     indexes wait, and gossip shows its applied index falling behind).
//     Only a store found damaged on reopen is rebuilt from peers.
//
// Anything else (the log or peers unreachable) is retried with backoff.

const (
	minRetry = 100 * time.Millisecond
	maxRetry = 5 * time.Second
)

// errFatal marks errors the view cannot recover from by itself.
var errFatal = errors.New("fatal")

// errStoreWrite marks a failed write of applied entries to the store.
var errStoreWrite = errors.New("writing to the store failed")

// run supervises the view until ctx ends.
func (s *Server) run(ctx context.Context) {
	backoff := minRetry
	for ctx.Err() == nil {
		err := s.cycle(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, errFatal):
			s.setState(stateFailed, err)
			s.failed <- err // the only send: never blocks
			return
		case errors.Is(err, errStoreWrite):
			s.writeFailed(err)
		case s.recover(err) && !errors.Is(err, errLoadFailed):
			backoff = minRetry // repaired: try again at once
			continue
		}
		s.log.Warn().Err(err).Dur("retry_in", backoff).Msg("view cannot serve yet; retrying")
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxRetry)
	}
}

// cycle brings the store up to date with the log, from peers if needed,
// then follows the log, serving once caught up, until something fails.
func (s *Server) cycle(ctx context.Context) error {
	if !s.storeFailed || !s.serving() {
		s.setState(stateBooting, nil)
	}
	if err := s.reopenWhenWritable(); err != nil {
		return err
	}
	before := s.store.movedAside
	err := s.store.ensure()
	s.metrics.corruptions.Add(float64(s.store.movedAside - before))
	if err != nil {
		return err
	}
	st := s.store.current()
	if st == nil {
		return errNoStore
	}
	// The store may be a new one (rebuilt, reopened): nothing is known
	// durable in it until follow syncs it. Reset first, so that the
	// advertised min(durable, applied) never mixes two stores.
	s.durable.Store(0)
	s.applied.Store(st.Applied())
	if err := s.verifyOnce(ctx, st); err != nil {
		return err
	}
	info, err := s.logc.Info(ctx, true)
	if err != nil {
		return fmt.Errorf("reading the log's extent: %w", err)
	}
	if err := s.bootIfNeeded(ctx, st, info); err != nil {
		return err
	}
	// Serve from the log's end as of now, after any load: a load can hold
	// the outcome of transactions decided after the first Info.
	if info, err = s.logc.Info(ctx, true); err != nil {
		return fmt.Errorf("reading the log's extent: %w", err)
	}
	return s.follow(ctx, st, info.LastIndex)
}

// verifyOnce checks a store opened with data once, before it serves.
func (s *Server) verifyOnce(ctx context.Context, st *viewstore.Store) error {
	gen := s.store.generation()
	if s.verified == gen {
		return nil
	}
	if st.Applied() > 0 {
		start := time.Now()
		n, err := st.Verify(ctx)
		if err != nil {
			return fmt.Errorf("checking the store at start: %w", err)
		}
		s.log.Info().Uint64("keys", n).Uint64("applied", st.Applied()).Dur("took", time.Since(start)).Msg("store checked")
	}
	s.verified = gen
	return nil
}

// bootIfNeeded loads the store from peers when the log cannot rebuild it,
// or when it is empty and peers can.
func (s *Server) bootIfNeeded(ctx context.Context, st *viewstore.Store, info *wire.InfoReply) error {
	applied := st.Applied()
	switch {
	case applied > info.LastIndex:
		return fmt.Errorf("%w: the store has applied index %d, beyond the log's last index %d",
			viewstore.ErrCorrupt, applied, info.LastIndex)
	case applied > 0 && applied+1 < info.FirstIndex:
		return fmt.Errorf("the store has applied index %d, but the log starts at %d: %w",
			applied, info.FirstIndex, logclient.ErrTruncated)
	case applied > 0:
		return nil
	}
	if len(s.cfg.RestoreFrom) > 0 {
		return s.restore(ctx, st, info)
	}
	reason := "empty"
	if info.FirstIndex > 1 {
		reason = "truncated"
	}
	return s.bootEmpty(ctx, st, info, reason)
}

// writeFailed records a failed store write. A view that was serving keeps
// serving what the store holds: everything in it was written whole (the
// applied index is written in the same batch as the facts it covers), and
// lookups wait for indexes it has not applied; gossip shows its applied
// index falling behind the log's.
func (s *Server) writeFailed(err error) {
	s.metrics.writeFailures.Inc()
	if !s.storeFailed {
		s.log.Error().Err(err).Uint64("applied", s.applied.Load()).Msg("the view could not write to its store; serving what it holds and retrying")
	}
	s.storeFailed = true
}

// probeBytes is how much a probe writes to learn whether the store's disk
// takes writes again: about what one batch of entries needs.
const probeBytes = 1 << 20

// reopenWhenWritable reopens the store after a failed write, once a probe
// write succeeds: goleveldb fails every write after one has failed (its
// journal writer keeps the error), and only a reopen, which replays the
// journal, clears that. Until the probe succeeds the old store keeps
// serving reads; a store found damaged on reopen is moved aside and
// rebuilt from peers.
func (s *Server) reopenWhenWritable() error {
	if !s.storeFailed {
		return nil
	}
	st := s.store.current()
	if st == nil {
		// The last reopen failed (the disk was still full), so there is no
		// store to probe: opening it is the probe.
		before := s.store.movedAside
		err := s.store.ensure()
		s.metrics.corruptions.Add(float64(s.store.movedAside - before))
		if err != nil {
			return fmt.Errorf("%w: reopening: %w", errStoreWrite, err)
		}
		s.storeFailed = false
		s.log.Info().Uint64("applied", s.store.current().Applied()).Msg("the view's store opens again; resuming")
		return nil
	}
	if err := st.ProbeWrite(probeBytes); err != nil {
		return fmt.Errorf("%w: still: %w", errStoreWrite, err)
	}
	before := s.store.movedAside
	err := s.store.restart()
	s.metrics.corruptions.Add(float64(s.store.movedAside - before))
	if err != nil || s.store.movedAside != before {
		s.setState(stateBooting, err)
		return err
	}
	s.storeFailed = false
	s.log.Info().Uint64("applied", s.store.current().Applied()).Msg("the view's store takes writes again; resuming")
	return nil
}

// recover repairs the store after err, returning false if nothing was
// repaired and the cycle should be retried after a pause.
func (s *Server) recover(err error) bool {
	st := s.store.current()
	var aside bool
	switch {
	case errors.Is(err, viewstore.ErrCorrupt):
		aside = true
		s.metrics.corruptions.Inc()
		s.log.Error().Err(err).Msg("the view's store is corrupt: moving it aside and rebuilding it from peers")
	case errors.Is(err, logclient.ErrTruncated) && st != nil && st.Applied() > 0:
		s.log.Warn().Err(err).Msg("the log no longer holds what the store needs: discarding the store and booting from peers")
	case st != nil && st.Loading():
		s.log.Warn().Err(err).Msg("loading from peers failed: discarding the partial store")
	default:
		return false
	}
	s.setState(stateBooting, err)
	if rerr := s.store.replace(aside); rerr != nil {
		s.log.Error().Err(rerr).Msg("replacing the view's store")
		return false
	}
	s.applied.Store(0)
	return true
}
