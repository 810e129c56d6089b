package viewserver

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/viewstore"
	"github.com/akutan-dev/akutan/wire"
)

// Config configures one view instance.
type Config struct {
	Space      space.Space
	Range      space.Range
	Dir        string
	GRPCAddr   string // host:port; port 0 picks a free port
	LogAddrs   []string
	DC         string
	Cluster    string
	GossipAddr string // empty: no gossip
	GossipJoin []string
	GossipKey  []byte
	Logger     zerolog.Logger
	Registry   *prometheus.Registry // nil: no metrics
}

// Server is a running view.
type Server struct {
	cfg      Config
	log      zerolog.Logger
	store    *viewstore.Store
	logc     *logclient.Client
	grpc     *grpc.Server
	listener net.Listener
	gossip   *gossip.Node
	metrics  *metrics

	applied  atomic.Uint64
	mu       sync.Mutex
	progress chan struct{} // closed and replaced whenever applied grows
	failure  error         // set when applying stopped for good

	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// Start opens the store, starts following the log, and serves lookups.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	prefix, err := keyPrefix(cfg.Space)
	if err != nil {
		return nil, err
	}
	store, err := viewstore.Open(cfg.Dir, viewstore.Config{Space: prefix, RangeStart: cfg.Range.Start, RangeEnd: cfg.Range.End})
	if err != nil {
		return nil, fmt.Errorf("starting view: %w", err)
	}
	m, err := newMetrics(viewRegisterer(cfg))
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("starting view: registering metrics: %w", err)
	}
	s := &Server{cfg: cfg, store: store, progress: make(chan struct{}), metrics: m}
	s.log = cfg.Logger.With().Str("role", "view").Str("space", string(cfg.Space)).Str("range", cfg.Range.String()).Logger()
	s.applied.Store(store.Applied())
	if err := s.startNetwork(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func keyPrefix(sp space.Space) (byte, error) {
	switch sp {
	case space.HashSP:
		return storage.KeyPrefixSP, nil
	case space.HashPO:
		return storage.KeyPrefixPO, nil
	}
	return 0, fmt.Errorf("unknown space %q", sp)
}

func (s *Server) startNetwork(ctx context.Context) error {
	var err error
	if s.logc, err = logclient.New(s.cfg.LogAddrs); err != nil {
		return fmt.Errorf("starting view: connecting to the log: %w", err)
	}
	if s.listener, err = net.Listen("tcp", s.cfg.GRPCAddr); err != nil {
		return fmt.Errorf("starting view: listening on %s: %w", s.cfg.GRPCAddr, err)
	}
	s.grpc = grpc.NewServer()
	wire.RegisterViewServer(s.grpc, &service{s: s})
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.goRun(func() { _ = s.grpc.Serve(s.listener) })
	s.goRun(func() { s.follow(runCtx) })
	if s.cfg.GossipAddr != "" {
		if s.gossip, err = gossip.Start(ctx, s.gossipConfig(), s.meta()); err != nil {
			return fmt.Errorf("starting view: %w", err)
		}
		s.goRun(func() { s.advertise(runCtx) })
	}
	s.log.Info().Str("grpc", s.GRPCAddr()).Uint64("applied", s.applied.Load()).Msg("view serving")
	return nil
}

func (s *Server) goRun(fn func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
}

func (s *Server) gossipConfig() gossip.Config {
	return gossip.Config{
		Name:      "view-" + s.GRPCAddr(),
		BindAddr:  s.cfg.GossipAddr,
		Join:      s.cfg.GossipJoin,
		Cluster:   s.cfg.Cluster,
		SecretKey: s.cfg.GossipKey,
		Logger:    s.log,
	}
}

func (s *Server) meta() gossip.Meta {
	return gossip.Meta{
		Role:          "view",
		Cluster:       s.cfg.Cluster,
		DC:            s.cfg.DC,
		Space:         string(s.cfg.Space),
		RangeStart:    s.cfg.Range.Start,
		RangeEnd:      s.cfg.Range.End,
		GRPCAddr:      s.GRPCAddr(),
		AppliedIndex:  s.applied.Load(),
		Serving:       s.serving(),
		MaxLogVersion: maxLogVersion,
	}
}

// advertise keeps the gossip metadata's applied index fresh.
func (s *Server) advertise(ctx context.Context) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.gossip.SetMeta(s.meta())
		}
	}
}

func (s *Server) serving() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failure == nil
}

// GRPCAddr is the address the view serves lookups on.
func (s *Server) GRPCAddr() string {
	if s.listener == nil {
		return s.cfg.GRPCAddr
	}
	return s.listener.Addr().String()
}

// Applied is the last log index the view has applied.
func (s *Server) Applied() uint64 { return s.applied.Load() }

// Stop leaves gossip, stops serving and following, and closes the store.
func (s *Server) Stop() {
	s.once.Do(func() {
		if s.gossip != nil {
			s.gossip.Leave(time.Second)
			s.gossip.Stop()
		}
		if s.cancel != nil {
			s.cancel()
		}
		if s.grpc != nil {
			s.grpc.Stop()
		}
		s.wg.Wait()
		if s.logc != nil {
			s.logc.Close()
		}
		if err := s.store.Close(); err != nil {
			s.log.Warn().Err(err).Msg("closing store")
		}
	})
}

// waitApplied blocks until the view has applied index, the view fails, or
// ctx ends.
func (s *Server) waitApplied(ctx context.Context, index uint64) error {
	for {
		s.mu.Lock()
		ch, failure := s.progress, s.failure
		s.mu.Unlock()
		if failure != nil {
			return failure
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

func (s *Server) announce(applied uint64) {
	s.applied.Store(applied)
	s.mu.Lock()
	close(s.progress)
	s.progress = make(chan struct{})
	s.mu.Unlock()
}

func (s *Server) fail(err error) {
	s.mu.Lock()
	s.failure = err
	close(s.progress)
	s.progress = make(chan struct{})
	s.mu.Unlock()
	s.log.Error().Err(err).Msg("view stopped applying the log and no longer serves lookups")
}

// viewRegisterer labels the view's metrics with its space, range and
// directory, so that several views can share one process and one registry.
func viewRegisterer(cfg Config) prometheus.Registerer {
	if cfg.Registry == nil {
		return nil
	}
	return prometheus.WrapRegistererWith(prometheus.Labels{"space": string(cfg.Space), "range": cfg.Range.String(), "dir": cfg.Dir}, cfg.Registry)
}
