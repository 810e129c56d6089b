package viewserver

import (
	"context"
	"errors"
	"fmt"

	"github.com/akutan-dev/akutan/storage/viewstore"
)

// viewState is what the view is doing. Only a serving view answers
// lookups, serves loads to booting peers and reports digests.
type viewState int

const (
	// stateBooting: checking the store, loading from peers or catching up
	// with the log.
	stateBooting viewState = iota
	stateServing
	// stateFailed: stopped for good (e.g. a log format it cannot read).
	stateFailed
)

// gossipState is the state as gossip.Meta.State spells it.
func (v viewState) gossipState() string {
	switch v {
	case stateBooting:
		return "booting"
	case stateFailed:
		return "failed"
	}
	return ""
}

// errNotServing is returned to requests while the view is not serving.
var errNotServing = errors.New("view is not serving")

// setState changes the state, wakes waiting lookups so they recheck it,
// and advertises it at once.
func (s *Server) setState(st viewState, reason error) {
	s.mu.Lock()
	prev := s.state
	s.state, s.reason = st, reason
	close(s.progress)
	s.progress = make(chan struct{})
	s.mu.Unlock()
	if prev == st {
		return
	}
	s.metrics.setState(st)
	ev := s.log.Info()
	switch st {
	case stateServing:
		ev.Uint64("applied", s.applied.Load()).Msg("view is serving")
	case stateBooting:
		ev.Err(reason).Msg("view is booting; it answers no lookups until it has caught up")
	case stateFailed:
		s.log.Error().Err(reason).Msg("view stopped applying the log and no longer serves lookups")
	}
	if s.kit == nil {
		return // not started yet: Listen advertises the state
	}
	if err := s.kit.Advertise(); err != nil {
		s.log.Warn().Err(err).Msg("advertising the view's state")
	}
}

func (s *Server) currentState() (viewState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state, s.reason
}

func (s *Server) serving() bool {
	st, _ := s.currentState()
	return st == stateServing
}

// notServing explains why the view does not serve.
func (s *Server) notServing() error {
	st, reason := s.currentState()
	if reason != nil {
		return fmt.Errorf("%w (%s): %v", errNotServing, st.gossipState(), reason)
	}
	return fmt.Errorf("%w (%s)", errNotServing, st.gossipState())
}

// waitApplied blocks until the view has applied index, ctx ends, or the
// view is not serving.
func (s *Server) waitApplied(ctx context.Context, index uint64) error {
	for {
		s.mu.Lock()
		ch, st := s.progress, s.state
		s.mu.Unlock()
		if st != stateServing {
			return s.notServing()
		}
		if s.applied.Load() >= index {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for log index %d (applied %d): %w", index, s.applied.Load(), ctx.Err())
		}
	}
}

// progressed returns a channel closed at the next change of the applied
// index or state.
func (s *Server) progressed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.progress
}

// runDecided runs a lookup, waiting out undecided transactions whose keys
// it touches: the store refuses such a lookup before reading anything, and
// a later entry decides the transaction (the API's transaction timer
// aborts abandoned ones).
func (s *Server) runDecided(ctx context.Context, run func() error) error {
	for {
		ch := s.progressed() // taken first, so no decision can be missed
		err := run()
		var pe *viewstore.PendingError
		if !errors.As(err, &pe) {
			return err
		}
		s.metrics.pendingWait()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for the decision of transaction %d: %w", pe.Tx, ctx.Err())
		}
	}
}

// announce publishes a new applied index and wakes waiting lookups.
func (s *Server) announce(applied uint64) {
	s.applied.Store(applied)
	s.mu.Lock()
	close(s.progress)
	s.progress = make(chan struct{})
	s.mu.Unlock()
}

// corruption is a report that reading the store hit damaged data.
type corruption struct {
	gen uint64 // the store generation read
	err error
}

// reportCorrupt stops serving at once, so that nothing more is answered
// from damaged data, and tells the supervisor, which moves the store aside
// and rebuilds it. Reports about a store already replaced are ignored.
func (s *Server) reportCorrupt(gen uint64, err error) {
	if !errors.Is(err, viewstore.ErrCorrupt) || gen != s.store.generation() {
		return
	}
	s.setState(stateBooting, err)
	select {
	case s.corrupt <- corruption{gen: gen, err: err}:
	default: // one report is enough
	}
}

// Serving reports whether the view answers lookups: it has checked its
// store, loaded from peers if it had to, and caught up with the log.
func (s *Server) Serving() bool { return s.serving() }

// State is what the view advertises as gossip.Meta.State: "booting",
// "failed", or "" while serving.
func (s *Server) State() string {
	st, _ := s.currentState()
	return st.gossipState()
}
