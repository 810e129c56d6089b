package viewserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/storage/viewstore"
)

const (
	maxLogVersion = logentry.MaxSupportedVersion
	// applyBatch bounds how many entries one store write applies.
	applyBatch = 1024
)

type rawEntry struct {
	index uint64
	data  []byte
}

// follow tails the log from the next unapplied index and applies entries
// until ctx ends or applying fails for good.
func (s *Server) follow(ctx context.Context) {
	entries := make(chan rawEntry, 4*applyBatch)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.apply(ctx, entries)
	}()
	s.read(ctx, entries)
	close(entries)
	<-done
}

// read feeds entries from the log, reconnecting after failures.
func (s *Server) read(ctx context.Context, entries chan<- rawEntry) {
	next := s.applied.Load() + 1
	for ctx.Err() == nil && s.serving() {
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
			return
		case errors.Is(err, logclient.ErrTruncated):
			s.fail(fmt.Errorf("log no longer holds index %d: the view must boot from peers: %w", next, err))
			return
		case err != nil:
			s.log.Warn().Err(err).Uint64("next", next).Msg("reading the log failed; retrying")
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return
			}
		}
	}
}

// apply writes entries to the store in batches: everything already waiting
// goes into one write.
func (s *Server) apply(ctx context.Context, entries <-chan rawEntry) {
	var version = logentry.FirstVersion
	for first := range entries {
		batch := []rawEntry{first}
	drain:
		for len(batch) < applyBatch {
			select {
			case e, ok := <-entries:
				if !ok {
					break drain
				}
				batch = append(batch, e)
			default:
				break drain
			}
		}
		if !s.serving() {
			continue
		}
		changes, err := decodeBatch(batch, &version)
		if err == nil {
			err = s.store.Apply(changes)
		}
		if err != nil {
			s.fail(err)
			continue
		}
		last := batch[len(batch)-1].index
		s.metrics.applied(len(batch), last)
		s.announce(last)
	}
}

// decodeBatch turns raw entries into store changes. A malformed entry is
// skipped identically by every view (it changes nothing); an entry in a
// log format this binary cannot read stops the view.
func decodeBatch(batch []rawEntry, version *uint32) ([]viewstore.Change, error) {
	changes := make([]viewstore.Change, 0, len(batch))
	for _, e := range batch {
		c := viewstore.Change{Index: e.index}
		entry, err := logentry.Decode(e.data)
		if err != nil {
			changes = append(changes, c)
			continue
		}
		if v := entry.GetVersion(); v != nil {
			if v.Version > maxLogVersion {
				return nil, fmt.Errorf("log entry %d switches to log format version %d, but this server supports versions %d to %d: upgrade it",
					e.index, v.Version, logentry.FirstVersion, maxLogVersion)
			}
			*version = v.Version
		}
		if tx := entry.GetInsert(); tx != nil {
			if facts, err := logentry.InsertedFacts(e.index, tx); err == nil {
				c.Inserts = facts
			}
		}
		changes = append(changes, c)
	}
	return changes, nil
}
