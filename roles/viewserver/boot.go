package viewserver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/akutan-dev/akutan/cluster/boot"
	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/cluster/members"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
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
	// seedTimeout bounds asking one boot seed for its cluster's members.
	seedTimeout = 5 * time.Second
	// bootLogEvery is how often an ongoing load logs its progress.
	bootLogEvery = 5 * time.Second
)

// errLoadFailed marks a failed load from peers (the store then holds part
// of its range and is discarded).
var errLoadFailed = errors.New("loading from peers failed")

// bootEmpty fills an empty store from peers when they cover the range.
// When they do not, a view whose log still starts at index 1 replays the
// log instead; otherwise it loads from the views of the cluster named by
// BootFromCluster, if any, or waits for peers.
func (s *Server) bootEmpty(ctx context.Context, st *viewstore.Store, info *wire.InfoReply, reason string) error {
	s.waitForGossip(ctx)
	own := s.clusterName()
	lastWarn := time.Time{}
	for {
		peers, err := s.ownPeers()
		var plan boot.Plan
		if err == nil {
			plan, err = s.plan(peers, info)
		}
		if err == nil {
			if plan.Index == 0 {
				s.log.Info().Msg("not loading from peers: they have applied nothing either; replaying the log")
				return nil
			}
			return s.load(ctx, st, plan, reason, own)
		}
		if info.FirstIndex <= 1 {
			// Not a failure: a new cluster's views all start empty.
			s.log.Info().Str("reason", err.Error()).Msg("no peers to boot from yet: replaying the log from its start")
			return nil
		}
		err = fmt.Errorf("cluster %s (own): %w", own, err)
		if from := s.cfg.BootFromCluster; from != "" {
			// Only now, with no way to boot within the cluster: a load
			// from another cluster crosses datacenters.
			peers, ferr := s.clusterPeers(ctx, from)
			if ferr == nil {
				plan, ferr = s.plan(peers, info)
			}
			if ferr == nil {
				return s.load(ctx, st, plan, reason, from)
			}
			err = fmt.Errorf("%w; cluster %s (to boot from): %w", err, from, ferr)
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

// clusterName is the view's Akutan cluster, as health names it.
func (s *Server) clusterName() string {
	return health.ClusterOf(gossip.Meta{Cluster: s.cfg.Cluster, DC: s.cfg.DC})
}

// plan chooses which of peers to load which parts of the range from, and
// fails unless they cover the range at an index the log still continues.
func (s *Server) plan(peers []boot.Peer, info *wire.InfoReply) (boot.Plan, error) {
	plan, err := boot.MakePlan(s.cfg.Range, peers)
	if err == nil && plan.Index+1 < info.FirstIndex {
		err = fmt.Errorf("the peers have applied only up to index %d, but the log starts at %d", plan.Index, info.FirstIndex)
	}
	return plan, err
}

// ownPeers lists the views of the view's own gossip pool it can load from.
func (s *Server) ownPeers() ([]boot.Peer, error) {
	if s.gossip == nil {
		return nil, fmt.Errorf("%w: the view has no gossip to find peers with", boot.ErrUncovered)
	}
	self := s.gossip.Name()
	var peers []boot.Peer
	for _, m := range s.gossip.Members() {
		if m.Name != self && canLoadFrom(m.Meta, s.cfg.Space) {
			peers = append(peers, peerOf(m.Meta))
		}
	}
	return peers, nil
}

// clusterPeers asks the boot seeds, in turn, for the members of cluster
// name (the API servers of another gossip pool) and lists its views the
// view can load from.
func (s *Server) clusterPeers(ctx context.Context, name string) ([]boot.Peer, error) {
	var errs []error
	for _, seed := range s.cfg.BootSeeds {
		sctx, cancel := context.WithTimeout(ctx, seedTimeout)
		ms, err := members.Fetch(sctx, seed, s.cfg.TLS.DialOptions()...)
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		peers := peersIn(ms, name, s.cfg.Space)
		if len(peers) == 0 {
			errs = append(errs, fmt.Errorf("the API server at %s knows no serving %s views of cluster %s", seed, s.cfg.Space, name))
			continue
		}
		return peers, nil
	}
	return nil, errors.Join(errs...)
}

// peersIn lists the views of cluster name among ms that a view of space
// sp can load from, leaving out those being drained (about to stop).
func peersIn(ms []members.Member, name string, sp space.Space) []boot.Peer {
	var peers []boot.Peer
	for _, m := range ms {
		if health.ClusterOf(m.Meta) == name && canLoadFrom(m.Meta, sp) && m.Meta.State != gossip.StateDraining {
			peers = append(peers, peerOf(m.Meta))
		}
	}
	return peers
}

// canLoadFrom reports whether a member is a serving view of space sp.
func canLoadFrom(meta gossip.Meta, sp space.Space) bool {
	return meta.Role == "view" && meta.Space == string(sp) && meta.Serving
}

func peerOf(meta gossip.Meta) boot.Peer {
	return boot.Peer{Addr: meta.GRPCAddr, Range: meta.Range(), Applied: meta.AppliedIndex}
}

// load fills the empty store as of plan.Index from peers of cluster from.
func (s *Server) load(ctx context.Context, st *viewstore.Store, plan boot.Plan, reason, from string) error {
	s.metrics.boots.WithLabelValues(reason).Inc()
	s.metrics.bootIndex.Set(float64(plan.Index))
	s.log.Info().Str("reason", reason).Str("from_cluster", from).Uint64("index", plan.Index).
		Interface("sources", plan.Assignments).Msg("booting from peers of cluster " + from)
	loader, err := st.BeginLoad(plan.Index)
	if err != nil {
		return fmt.Errorf("%w: %w", errLoadFailed, err)
	}
	start := time.Now()
	stop := s.logLoadProgress(loader, start)
	stats, err := boot.Fetch(ctx, boot.FetchConfig{
		Space: string(s.cfg.Space), Plan: plan, Sink: loader, DialOptions: s.cfg.TLS.DialOptions(),
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
		Str("from_cluster", from).Msg("loaded from peers of cluster " + from + "; catching up with the log")
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
