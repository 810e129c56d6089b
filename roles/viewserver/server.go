package viewserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"

	"github.com/akutan-dev/akutan/cluster/boot"
	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/internal/inprocess"
	"github.com/akutan-dev/akutan/internal/tlsconfig"
	"github.com/akutan-dev/akutan/roles/rolekit"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/logentry"
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
	// InProcessLog returns a connection that does not leave the process
	// to the log replica serving at a gRPC address, nil for replicas
	// elsewhere (`akutan local`; see logclient.WithInProcess). nil: none.
	InProcessLog func(addr string) grpc.ClientConnInterface
	// TLS, when set, puts the view's gRPC (View, ViewBoot, ViewStats) and
	// metrics listeners behind mutual TLS, and is the client side of
	// mutual TLS toward the log, peer views it boots from and boot seeds:
	// only cluster members (certificates signed by its CA) are served.
	// nil: plaintext.
	TLS *tlsconfig.Source
	// GossipTLS, when set, carries gossip over mutual TLS; nil: TLS.
	GossipTLS *tlsconfig.Source
	// MetricsAddr, when set, serves Registry at GET /metrics.
	MetricsAddr string
	// PeerWait bounds how long a view with an empty store waits to join
	// gossip (and so to hear of peers to load from) before it decides how
	// to boot; 0: 5 s.
	PeerWait time.Duration

	// BootFromCluster names another Akutan cluster whose serving views the
	// view loads its range from when it must boot from peers (its store is
	// empty, or was discarded, and the log no longer starts at index 1)
	// and no views of its own cluster cover the range: how a new cluster
	// is provisioned for an existing database. Its own cluster's views are
	// always preferred. Empty: only its own cluster's.
	BootFromCluster string
	// BootSeeds are the gRPC addresses of API servers of BootFromCluster,
	// asked in turn for that cluster's members (the view cannot see them
	// in its own gossip pool). Required with BootFromCluster.
	BootSeeds []string

	// RestoreFrom are backup directories (see storage/backup: a full
	// backup, then any incremental ones on top of it) that an empty store
	// is filled from, as of the last one's index, instead of from peers or
	// the log: the keys of the view's range, whatever the backups'
	// partitioning. The view then follows the log from that index + 1,
	// which the log must still hold. A store that holds data ignores it.
	RestoreFrom []string

	// AdvertiseAddr is the gRPC address told to others through gossip
	// (e.g. a proxy in front of the view); empty: GRPCAddr.
	AdvertiseAddr string

	// MaxLogVersion is the newest log format the view reads; it stops at a
	// version change past it. 0: all this binary supports (a lower value
	// plays an older binary, for testing upgrades).
	MaxLogVersion uint32

	// WrapStore, if set, wraps the store's files each time they are
	// opened: tests inject write failures through it.
	WrapStore viewstore.Wrap
	// DurableEvery is how often the view syncs its store while applying
	// entries, advertising what it synced as gossip.Meta.DurableIndex;
	// 0 means one second.
	DurableEvery time.Duration
	// SharedReplay, when set, is shared by the views of one process
	// (`akutan local`) so that each log entry is decoded once for all of
	// them (see logentry.SharedReplay). nil: the view decodes alone.
	SharedReplay *logentry.SharedReplay
}

// Server is a running view.
type Server struct {
	cfg      Config
	log      zerolog.Logger
	store    *storeHandle
	carousel *boot.Carousel // serves loads to booting peers
	logc     *logclient.Client
	kit      *rolekit.Server // gRPC, metrics and gossip
	// inProcess serves the View service to callers in this process
	// (InProcess); stopping refuses its new calls as a stopped gRPC
	// server would.
	inProcess grpc.ClientConnInterface
	stopping  atomic.Bool
	gossip    *gossip.Node // the kit's; nil without gossip
	metrics   *metrics

	applied atomic.Uint64
	// changedFacts counts the facts inserted or deleted since the view
	// started; statsIndex is the applied index its served statistics were
	// computed at (0: none), advertised so that API servers fetch new
	// ones soon (see stats.go).
	changedFacts atomic.Uint64
	statsIndex   atomic.Uint64
	// logLast is the log's last index as last polled (watchLogEnd), for
	// the lag gauge; 0 until known.
	logLast atomic.Uint64
	// durable is the applied index last made durable (SyncApplied) in the
	// store being followed; 0 until the first sync of each cycle.
	durable atomic.Uint64
	// draining is set by the Drain RPC (ctl drain): the view is about to
	// be stopped; a restart clears it.
	draining atomic.Bool
	mu       sync.Mutex
	progress chan struct{} // closed and replaced whenever applied or state changes
	state    viewState
	reason   error           // why the view is not serving, if known
	corrupt  chan corruption // reports of damaged data, to the supervisor
	verified uint64          // the store generation checked at start (supervisor only)
	// storeFailed is set when a store write failed, until the store takes
	// writes again and is reopened (supervisor only).
	storeFailed bool
	failed      chan error // capacity 1: why the view stopped for good (see Failed)

	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// Failed delivers the error that stopped the view for good (e.g. a log
// format version it does not support), so that its process can exit.
func (s *Server) Failed() <-chan error { return s.failed }

// maxLogVersion is the newest log format the view reads.
func (s *Server) maxLogVersion() uint32 {
	return cmp.Or(s.cfg.MaxLogVersion, logentry.MaxSupportedVersion)
}

// Start opens the store and starts the view: it boots (checks its store,
// loads from peers if needed, catches up with the log) in the background,
// advertising "booting" through gossip, and serves lookups once caught up.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	prefix, err := keyPrefix(cfg.Space)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger.With().Str("role", "view").Str("space", string(cfg.Space)).Str("range", cfg.Range.String()).Logger()
	store, err := openStore(ctx, cfg.Dir, viewstore.Config{Space: prefix, RangeStart: cfg.Range.Start, RangeEnd: cfg.Range.End}, cfg.WrapStore, log)
	if err != nil {
		return nil, fmt.Errorf("starting view: %w", err)
	}
	m, err := newMetrics(viewRegisterer(cfg))
	if err != nil {
		store.close()
		return nil, fmt.Errorf("starting view: registering metrics: %w", err)
	}
	s := &Server{cfg: cfg, log: log, store: store, progress: make(chan struct{}), metrics: m, corrupt: make(chan corruption, 1), failed: make(chan error, 1)}
	s.carousel = s.newCarousel()
	if err := errors.Join(registerCarousel(viewRegisterer(cfg), s.carousel), registerCachedLookups(viewRegisterer(cfg), store)); err != nil {
		store.close()
		return nil, fmt.Errorf("starting view: registering metrics: %w", err)
	}
	s.metrics.setState(stateBooting)
	s.metrics.corruptions.Add(float64(store.movedAside))
	s.applied.Store(store.current().Applied())
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

// viewAdvertInterval is how often a view refreshes its gossip meta (its
// applied index and pending transactions).
const viewAdvertInterval = 500 * time.Millisecond

func (s *Server) startNetwork(ctx context.Context) error {
	var err error
	if s.logc, err = logclient.New(s.cfg.LogAddrs, logclient.WithPreferredDC(s.cfg.DC),
		logclient.WithDialOptions(s.cfg.TLS.DialOptions()...), logclient.WithInProcess(s.cfg.InProcessLog)); err != nil {
		return fmt.Errorf("starting view: connecting to the log: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.kit, err = rolekit.Listen(ctx, rolekit.Config{
		Role: "view", GRPCAddr: s.cfg.GRPCAddr, GRPCOptions: wire.ServerOptions(), TLS: s.cfg.TLS,
		Register: func(g *grpc.Server) {
			wire.RegisterViewServer(g, &service{s: s})
			wire.RegisterViewBootServer(g, &bootService{s: s})
			wire.RegisterViewStatsServer(g, s.startStats(runCtx))
		},
		HTTPAddr: s.cfg.MetricsAddr, Registry: s.cfg.Registry,
		GossipAddr: s.cfg.GossipAddr, GossipJoin: s.cfg.GossipJoin, GossipKey: s.cfg.GossipKey,
		GossipTLS: cmp.Or(s.cfg.GossipTLS, s.cfg.TLS),
		Cluster:   s.cfg.Cluster, DC: s.cfg.DC, Meta: s.meta, AdvertiseEvery: viewAdvertInterval,
		Logger: s.log,
	})
	if err != nil {
		return fmt.Errorf("starting view: %w", err)
	}
	ch := inprocess.NewChannel(s.stopping.Load, "view is stopping")
	wire.RegisterViewServer(ch, &service{s: s})
	s.inProcess = ch
	s.gossip = s.kit.Gossip()
	if err := s.registerLag(); err != nil {
		return fmt.Errorf("starting view: registering metrics: %w", err)
	}
	s.kit.Serve()
	s.goRun(func() { s.run(runCtx) })
	s.goRun(func() { s.watchLogEnd(runCtx) })
	s.goRun(func() {
		s.logc.KeepServerRecorded(runCtx, &wire.ServerRecord{Role: "view", GrpcAddr: logclient.ServerName(cmp.Or(s.cfg.AdvertiseAddr, s.GRPCAddr())),
			Cluster: s.cfg.Cluster, Dc: s.cfg.DC, MaxLogVersion: s.maxLogVersion()}, func(err error) {
			s.log.Warn().Err(err).Msg("could not record this view in the log's directory; retrying")
		})
	})
	s.log.Info().Str("grpc", s.GRPCAddr()).Uint64("applied", s.applied.Load()).Msg("view started; booting")
	return nil
}

func (s *Server) goRun(fn func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
}

// meta is what the view advertises in gossip besides what rolekit adds.
func (s *Server) meta(context.Context) gossip.Meta {
	st, _ := s.currentState()
	state := st.gossipState()
	if st == stateServing && s.draining.Load() {
		state = gossip.StateDraining
	}
	return gossip.Meta{
		Space:         string(s.cfg.Space),
		RangeStart:    s.cfg.Range.Start,
		RangeEnd:      s.cfg.Range.End,
		GRPCAddr:      s.cfg.AdvertiseAddr, // empty: the bound address
		AppliedIndex:  s.applied.Load(),
		DurableIndex:  min(s.durable.Load(), s.applied.Load()),
		Serving:       st == stateServing,
		State:         state,
		MaxLogVersion: s.maxLogVersion(),
		PendingTxs:    s.pendingTxs(),
		StatsIndex:    s.statsIndex.Load(),
	}
}

// maxAdvertisedTxs bounds the undecided transactions a view advertises,
// keeping its gossip metadata within memberlist's 512 bytes (see
// TestViewMetaFits); the rest follow once these are
// decided.
const maxAdvertisedTxs = 4

// pendingTxs lists the oldest undecided transactions the view holds.
func (s *Server) pendingTxs() []uint64 {
	var out []uint64
	_ = s.store.use(func(st *viewstore.Store, _ uint64) error {
		out = st.Pending()
		return nil
	})
	if len(out) > maxAdvertisedTxs {
		out = out[:maxAdvertisedTxs]
	}
	return out
}

// InProcess returns a connection to this view's View service that does
// not leave the process (see viewclient.WithInProcess); nil before the
// view serves.
func (s *Server) InProcess() grpc.ClientConnInterface {
	return s.inProcess
}

// GRPCAddr is the address the view serves lookups on.
func (s *Server) GRPCAddr() string {
	if s.kit == nil {
		return s.cfg.GRPCAddr
	}
	return s.kit.GRPCAddr()
}

// Applied is the last log index the view has applied.
func (s *Server) Applied() uint64 { return s.applied.Load() }

// Stop leaves gossip, stops serving and following, and closes the store.
func (s *Server) Stop() {
	s.once.Do(func() {
		s.stopping.Store(true)
		if s.kit != nil {
			s.kit.Stop() // leaves gossip, stops serving
		}
		if s.cancel != nil {
			s.cancel()
		}
		s.carousel.Stop()
		s.wg.Wait()
		if s.logc != nil {
			s.logc.Close()
		}
		if err := s.store.close(); err != nil {
			s.log.Warn().Err(err).Msg("closing store")
		}
	})
}

// viewRegisterer labels the view's metrics with its space, range and
// directory, so that several views can share one process and one registry.
func viewRegisterer(cfg Config) prometheus.Registerer {
	if cfg.Registry == nil {
		return nil
	}
	return prometheus.WrapRegistererWith(prometheus.Labels{"space": string(cfg.Space), "range": cfg.Range.String(), "dir": cfg.Dir}, cfg.Registry)
}
