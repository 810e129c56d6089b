package viewserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/storage/viewstore"
)

const (
	// applyBatch bounds how many entries one store write applies.
	applyBatch = 1024
)

type rawEntry struct {
	index uint64
	data  []byte
}

// follow tails the log from the entry after the store's applied index and
// applies entries until ctx ends or something fails. The view serves from
// the moment it has applied target (the log's last index when the cycle
// began). It returns why it stopped: nil when ctx ended.
func (s *Server) follow(parent context.Context, st *viewstore.Store, target uint64) error {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.watchCorrupt(ctx, s.store.generation(), cancel)
	}()
	entries := make(chan rawEntry, 4*applyBatch)
	go func() {
		defer wg.Done()
		if err := s.apply(ctx, st, entries, target); err != nil {
			cancel(err)
		}
	}()
	err := s.read(ctx, st.Applied()+1, entries)
	close(entries)
	cancel(nil)
	wg.Wait()
	if cause := context.Cause(ctx); parent.Err() == nil && cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

// watchCorrupt stops the cycle when a reader reports corruption of the
// store generation being followed.
func (s *Server) watchCorrupt(ctx context.Context, gen uint64, cancel context.CancelCauseFunc) {
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-s.corrupt:
			if c.gen == gen {
				cancel(fmt.Errorf("reading the store: %w", c.err))
				return
			}
		}
	}
}

// read feeds entries from the log from index next on, reconnecting after
// failures, until ctx ends (nil) or the log no longer holds next.
func (s *Server) read(ctx context.Context, next uint64, entries chan<- rawEntry) error {
	for ctx.Err() == nil {
		err := s.logc.Read(ctx, next, func(index uint64, data []byte) error {
			select {
			case entries <- rawEntry{index: index, data: data}:
				next = index + 1
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, logclient.ErrTruncated):
			return fmt.Errorf("log no longer holds index %d: %w", next, err)
		case err != nil:
			s.log.Warn().Err(err).Uint64("next", next).Msg("reading the log failed; retrying")
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return nil
			}
		}
	}
	return nil
}

// apply writes entries to the store in batches (everything already
// waiting goes into one write) and starts serving once target is applied.
// It syncs the store at the start and then every durableEvery when
// entries were applied since (syncDurable).
func (s *Server) apply(ctx context.Context, st *viewstore.Store, entries <-chan rawEntry, target uint64) error {
	version := st.LogVersion()
	if max := s.maxLogVersion(); version > max {
		return fmt.Errorf("%w: the store was written under log format version %d, but this server supports versions %d to %d: upgrade it",
			errFatal, version, logentry.FirstVersion, max)
	}
	served := false
	serve := func() {
		if !served && s.applied.Load() >= target && ctx.Err() == nil {
			served = true
			s.setState(stateServing, nil)
		}
	}
	serve()
	if err := s.syncDurable(st); err != nil {
		return err
	}
	tick := time.NewTicker(s.durableEvery())
	defer tick.Stop()
	lastApply, flushed := time.Now(), true
	for {
		select {
		case first, ok := <-entries:
			if !ok {
				return nil
			}
			if err := s.applyBatch(st, gather(first, entries)); err != nil {
				return err
			}
			lastApply, flushed = time.Now(), false
			serve()
		case <-tick.C:
			if err := s.syncDurable(st); err != nil {
				return err
			}
			if !flushed && time.Since(lastApply) >= idleFlushAfter {
				if err := st.Flush(); err != nil {
					if !errors.Is(err, viewstore.ErrCorrupt) {
						err = fmt.Errorf("%w: %w", errStoreWrite, err)
					}
					return err
				}
				flushed = true
			}
		}
	}
}

// idleFlushAfter is how long a view applies nothing before it flushes its
// store's memtable (see viewstore.Store.Flush).
const idleFlushAfter = 10 * time.Second

// applyBatch applies one batch of entries to the store and announces it.
func (s *Server) applyBatch(st *viewstore.Store, batch []rawEntry) error {
	changes, err := decodeBatch(batch, s.replayer(st))
	if err != nil {
		return err
	}
	if err := st.Apply(changes); err != nil {
		if !errors.Is(err, viewstore.ErrCorrupt) {
			err = fmt.Errorf("%w: %w", errStoreWrite, err)
		}
		return err
	}
	var changed uint64
	for _, c := range changes {
		changed += uint64(len(c.Inserts) + len(c.Deletes))
	}
	s.changedFacts.Add(changed)
	last := batch[len(batch)-1].index
	s.metrics.applied(len(batch), last)
	s.announce(last)
	return nil
}

// defaultDurableEvery is how often a view syncs its store when it has
// applied entries since the last sync: seldom enough to cost little at
// any ingest rate, often enough that its cluster's log floor (which
// counts only synced entries) trails the log by seconds.
const defaultDurableEvery = time.Second

func (s *Server) durableEvery() time.Duration {
	return cmp.Or(s.cfg.DurableEvery, defaultDurableEvery)
}

// syncDurable syncs the store if it applied entries since the last sync,
// and advertises the durable index (gossip.Meta.DurableIndex).
func (s *Server) syncDurable(st *viewstore.Store) error {
	if st.Applied() == s.durable.Load() {
		return nil
	}
	durable, err := st.SyncApplied()
	if err != nil {
		if !errors.Is(err, viewstore.ErrCorrupt) {
			err = fmt.Errorf("%w: %w", errStoreWrite, err)
		}
		return err
	}
	s.durable.Store(durable)
	return nil
}

// gather returns first and the entries already waiting, up to applyBatch.
func gather(first rawEntry, entries <-chan rawEntry) []rawEntry {
	batch := []rawEntry{first}
	for len(batch) < applyBatch {
		select {
		case e, ok := <-entries:
			if !ok {
				return batch
			}
			batch = append(batch, e)
		default:
			return batch
		}
	}
	return batch
}

// replayer returns how the view reads an entry's Effect: alone, building
// only the facts st holds (the store would skip the others anyway), or
// through the SharedReplay of the views in its process.
func (s *Server) replayer(st *viewstore.Store) func(index uint64, data []byte) (logentry.Effect, error) {
	max := s.maxLogVersion()
	if shared := s.cfg.SharedReplay; shared != nil {
		return func(index uint64, data []byte) (logentry.Effect, error) {
			return shared.Replay(index, data, max)
		}
	}
	keep := st.Config().Holds
	return func(index uint64, data []byte) (logentry.Effect, error) {
		return logentry.Replay(index, data, max, keep)
	}
}

// decodeBatch turns raw entries into store changes by the replay rule
// every view applies identically (logentry.Replay): a malformed entry
// changes nothing, and an entry that switches to a log format this server
// cannot read stops the view.
func decodeBatch(batch []rawEntry, replay func(index uint64, data []byte) (logentry.Effect, error)) ([]viewstore.Change, error) {
	changes := make([]viewstore.Change, 0, len(batch))
	for _, e := range batch {
		fx, err := replay(e.index, e.data)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errFatal, err)
		}
		changes = append(changes, fx)
	}
	return changes, nil
}
