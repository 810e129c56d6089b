package viewserver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/akutan-dev/akutan/cluster/boot"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/storage/viewstore"
	"github.com/akutan-dev/akutan/wire"
)

const (
	// defaultPeerWait bounds how long a view with an empty store waits to
	// join gossip, and so to hear of peers, before deciding how to boot.
	defaultPeerWait = 5 * time.Second
	// peerRetry is how often a view that must boot from peers looks for
	// peers covering its range again.
	peerRetry = time.Second
	// bootLogEvery is how often an ongoing load logs its progress.
	bootLogEvery = 5 * time.Second
)

// errLoadFailed marks a failed load from peers (the store then holds part
// of its range and is discarded).
var errLoadFailed = errors.New("loading from peers failed")

// bootEmpty fills an empty store from peers when they cover the range.
// When they do not, a view whose log still starts at index 1 replays the
// log instead; otherwise it waits for peers.
func (s *Server) bootEmpty(ctx context.Context, st *viewstore.Store, info *wire.InfoReply, reason string) error {
	s.waitForGossip(ctx)
	lastWarn := time.Time{}
	for {
		plan, err := s.plan()
		if err == nil && plan.Index+1 >= info.FirstIndex {
			if plan.Index == 0 {
				s.log.Info().Msg("not loading from peers: they have applied nothing either; replaying the log")
				return nil
			}
			return s.load(ctx, st, plan, reason)
		}
		if err == nil {
			err = fmt.Errorf("the peers have applied only up to index %d, but the log starts at %d", plan.Index, info.FirstIndex)
		}
		if info.FirstIndex <= 1 {
			s.log.Info().Err(err).Msg("not loading from peers: replaying the log from its start")
			return nil
		}
		if time.Since(lastWarn) > 30*time.Second {
			lastWarn = time.Now()
			s.log.Warn().Err(err).Uint64("log_first_index", info.FirstIndex).
				Msg("the log no longer starts at index 1, so the view must load from peers, but it cannot yet; waiting")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(peerRetry):
		}
	}
}

// waitForGossip waits, for a bounded time, until gossip has joined a peer
// and so knows the other members.
func (s *Server) waitForGossip(ctx context.Context) {
	if s.gossip == nil {
		return
	}
	wait := s.cfg.PeerWait
	if wait <= 0 {
		wait = defaultPeerWait
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-s.gossip.Joined():
	case <-t.C:
	case <-ctx.Done():
	}
}

// plan chooses the peers to load from: serving views of the same space.
func (s *Server) plan() (boot.Plan, error) {
	if s.gossip == nil {
		return boot.Plan{}, fmt.Errorf("%w: the view has no gossip to find peers with", boot.ErrUncovered)
	}
	self := s.gossip.Name()
	var peers []boot.Peer
	for _, m := range s.gossip.Members() {
		meta := m.Meta
		if m.Name == self || meta.Role != "view" || meta.Space != string(s.cfg.Space) || !meta.Serving {
			continue
		}
		peers = append(peers, boot.Peer{Addr: meta.GRPCAddr, Range: meta.Range(), Applied: meta.AppliedIndex})
	}
	return boot.MakePlan(s.cfg.Range, peers)
}

// load fills the empty store from peers as of plan.Index.
func (s *Server) load(ctx context.Context, st *viewstore.Store, plan boot.Plan, reason string) error {
	s.metrics.boots.WithLabelValues(reason).Inc()
	s.metrics.bootIndex.Set(float64(plan.Index))
	s.log.Info().Str("reason", reason).Uint64("index", plan.Index).Interface("sources", plan.Assignments).
		Msg("booting from peers")
	loader, err := st.BeginLoad(plan.Index)
	if err != nil {
		return fmt.Errorf("%w: %w", errLoadFailed, err)
	}
	start := time.Now()
	stop := s.logLoadProgress(loader, start)
	stats, err := boot.Fetch(ctx, boot.FetchConfig{
		Space: string(s.cfg.Space), Plan: plan, Sink: loader,
		Progress: s.metrics.loaded,
	})
	stop()
	if err != nil {
		return fmt.Errorf("%w as of index %d: %w", errLoadFailed, plan.Index, err)
	}
	if stats.LogVersion > s.maxLogVersion() {
		return fmt.Errorf("%w: the peers' log is in format version %d (since index %d), but this server supports versions %d to %d: upgrade it",
			errFatal, stats.LogVersion, stats.LogVersionIndex, logentry.FirstVersion, s.maxLogVersion())
	}
	sources := viewstore.LogVersion{Version: stats.LogVersion, Index: stats.LogVersionIndex}
	if err := loader.Finish(sources); err != nil {
		return fmt.Errorf("%w: %w", errLoadFailed, err)
	}
	s.announce(plan.Index)
	took := time.Since(start)
	s.log.Info().Uint64("index", plan.Index).Uint64("keys", stats.Keys).Uint64("bytes", stats.Bytes).
		Dur("took", took).Float64("keys_per_sec", float64(stats.Keys)/took.Seconds()).
		Msg("loaded from peers; catching up with the log")
	return nil
}

// logLoadProgress logs a load's progress periodically until the returned
// stop is called.
func (s *Server) logLoadProgress(loader *viewstore.Loader, start time.Time) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(bootLogEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				n := loader.Keys()
				s.log.Info().Uint64("keys", n).Float64("keys_per_sec", float64(n)/time.Since(start).Seconds()).
					Msg("loading from peers")
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}
