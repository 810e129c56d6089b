package apiserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"

	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/internal/tlsconfig"
	"github.com/akutan-dev/akutan/internal/tokens"
	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/update"
	"github.com/akutan-dev/akutan/roles/rolekit"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// DefaultQueryTimeout bounds a request whose caller set no deadline.
const DefaultQueryTimeout = 60 * time.Second

// Config configures one API server.
type Config struct {
	GRPCAddr   string
	HTTPAddr   string // empty: no HTTP
	LogAddrs   []string
	DC         string
	Cluster    string
	GossipAddr string
	GossipJoin []string
	GossipKey  []byte
	Logger     zerolog.Logger
	Registry   *prometheus.Registry // nil: a private one
	// Gatherers are more metrics served at GET /metrics with Registry's
	// (akutan local: its log replicas', each labelled with its replica).
	Gatherers []prometheus.Gatherer
	// TxTimeout is how long a transaction may stay undecided before this
	// server's timer aborts it; 0 means DefaultTxTimeout.
	TxTimeout time.Duration
	// DisableHedging stops racing a second view replica when one is slow.
	DisableHedging bool
	// InProcessViews returns a connection that does not leave the process
	// to the view serving at a gRPC address, nil for views elsewhere
	// (`akutan local`; see viewclient.WithInProcess). nil: none.
	InProcessViews func(addr string) grpc.ClientConnInterface
	// InProcessLog does the same for log replicas (see
	// logclient.WithInProcess). nil: none.
	InProcessLog func(addr string) grpc.ClientConnInterface
	// LogArchive is the log archive directory (storage/logarchive), if
	// this server can see one: a change feed asked for entries truncated
	// from the log names it and the range it holds. "": none.
	LogArchive string
	// MaxLogVersion is the newest log format the server claims to read
	// (advertised in gossip for `akutan ctl log upgrade`); 0: all this
	// binary supports.
	MaxLogVersion uint32
	// HTTPReadHeaderTimeout, HTTPReadTimeout and HTTPIdleTimeout bound how
	// long an HTTP client may take to send a request's headers, the whole
	// request (headers and body), and how long a kept-alive connection may
	// wait for its next request, so that a client that stops sending holds
	// no connection for long; 0 means DefaultHTTPReadHeaderTimeout,
	// DefaultHTTPReadTimeout and DefaultHTTPIdleTimeout. Answering is not
	// bounded by them: a query has its own timeout.
	HTTPReadHeaderTimeout time.Duration
	HTTPReadTimeout       time.Duration
	HTTPIdleTimeout       time.Duration
	// FloorEvery is how often the server registers its cluster's log
	// floor, worked out from the views (package cluster/floor); 0: never.
	FloorEvery time.Duration
	// TLS, when set, puts the API's gRPC and HTTP listeners behind mutual
	// TLS (internal/tlsconfig); nil: plaintext.
	TLS *tlsconfig.Source
	// PeerTLS, when set, is the client side of mutual TLS toward the log
	// replicas and the views; nil: plaintext (akutan local secures only
	// the client-facing listeners, so it sets TLS and not PeerTLS).
	PeerTLS *tlsconfig.Source
	// GossipTLS, when set, carries gossip over mutual TLS; nil: PeerTLS
	// (gossip is a link between servers).
	GossipTLS *tlsconfig.Source
	// Tokens, when set, requires a bearer token with the right role on
	// every request (see auth.go); nil: no authentication.
	Tokens *tokens.Store
	// FloorViews is how many views of each range must hold an entry
	// durably before the floor passes it; 0 means floor.DefaultCopies.
	FloorViews int
}

// Defaults of the HTTP timeouts (see Config). The read timeout leaves a
// client on a slow link (1 MB/s) time for a large insert body.
const (
	DefaultHTTPReadHeaderTimeout = 10 * time.Second
	DefaultHTTPReadTimeout       = 2 * time.Minute
	DefaultHTTPIdleTimeout       = 2 * time.Minute
)

// sharedNames bounds the entity names the queries share (each way, both
// languages): about 40 MB of LUBM's IRIs, and room for the 75,547 answers
// of its Q14.
const sharedNames = 200_000

// Server is a running API server.
type Server struct {
	cfg    Config
	log    zerolog.Logger
	logc   *logclient.Client
	gossip *gossip.Node
	views  *viewclient.Client
	engine *engine.Engine
	stats  *statsCache // the views' statistics, for the planner
	// names are the entity names that the queries at the latest index
	// share, in both languages.
	names *engine.Names
	reads *indexChooser
	// inserter keeps concurrent inserts from creating a name twice.
	inserter *update.Inserter
	metrics  *metrics
	// replicas remembers which log replica answered at which address, so
	// that status names a replica that went down by ID and datacenter.
	replicas health.ReplicaMemory
	// lost remembers the views and API servers that left gossip without
	// a graceful stop, for status.
	lost health.LostMemory

	kit *rolekit.Server // gRPC, HTTP and gossip

	stopTimer context.CancelFunc
	// streams ends when the server stops, and with it every long-lived
	// HTTP stream (exports, change feeds), which a graceful HTTP shutdown
	// would otherwise wait for in vain.
	streams     context.Context
	stopStreams context.CancelFunc

	wg   sync.WaitGroup
	once sync.Once
}

// Start connects to the log, joins gossip and serves.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s := &Server{cfg: cfg, log: cfg.Logger.With().Str("role", "api").Logger(), metrics: newMetrics(cfg.Registry), names: engine.NewNames(sharedNames)}
	s.streams, s.stopStreams = context.WithCancel(context.Background())
	if err := s.start(ctx); err != nil {
		s.Stop()
		return nil, fmt.Errorf("starting api server: %w", err)
	}
	return s, nil
}

func (s *Server) start(ctx context.Context) error {
	var err error
	if s.logc, err = logclient.New(s.cfg.LogAddrs, logclient.WithDialOptions(s.cfg.PeerTLS.DialOptions()...),
		logclient.WithInProcess(s.cfg.InProcessLog)); err != nil {
		return fmt.Errorf("connecting to the log: %w", err)
	}
	s.reads = &indexChooser{readIndex: s.readIndex, known: s.logc.KnownIndex}
	if s.kit, err = rolekit.Listen(ctx, s.kitConfig()); err != nil {
		return err
	}
	s.gossip = s.kit.Gossip()
	s.gossip.OnDepart(s.lost.Depart)
	s.views, err = viewclient.New(s.gossip.Members, viewclient.WithLocalDC(s.cfg.DC),
		viewclient.WithHedging(!s.cfg.DisableHedging), viewclient.WithRegisterer(s.cfg.Registry),
		viewclient.WithDialOptions(s.cfg.PeerTLS.DialOptions()...), viewclient.WithInProcess(s.cfg.InProcessViews))
	if err != nil {
		return err
	}
	s.stats = s.startStats()
	s.engine = engine.New(s.views, engine.WithStats(s.stats.get), engine.WithNames(s.names))
	s.inserter = update.NewInserter(s.views, s.logc)
	s.kit.Serve()
	s.startTimer()
	s.log.Info().Str("grpc", s.GRPCAddr()).Str("http", s.HTTPAddr()).Str("gossip", s.GossipAddr()).Msg("api serving")
	return nil
}

// kitConfig is the API server's listeners and gossip: it serves the API
// and Status services over gRPC and its HTTP handler (with /metrics), and
// it gossips, since it finds views only that way.
func (s *Server) kitConfig() rolekit.Config {
	cfg := rolekit.Config{
		Role: "api", GRPCAddr: s.cfg.GRPCAddr, GRPCOptions: append(wire.APIServerOptions(), s.authOptions()...), TLS: s.cfg.TLS,
		Register: func(g *grpc.Server) {
			wire.RegisterAPIServer(g, &service{s: s})
			wire.RegisterStatusServer(g, &statusService{s: s})
		},
		HTTPAddr: s.cfg.HTTPAddr, HTTPShutdown: 5 * time.Second,
		GossipAddr: cmp.Or(s.cfg.GossipAddr, gossip.DefaultBindAddr), GossipJoin: s.cfg.GossipJoin, GossipKey: s.cfg.GossipKey,
		GossipTLS: cmp.Or(s.cfg.GossipTLS, s.cfg.PeerTLS),
		Cluster:   s.cfg.Cluster, DC: s.cfg.DC, Meta: s.meta,
		Logger: s.log,
	}
	if s.cfg.HTTPAddr != "" {
		cfg.HTTP = newHTTPServer(s.authHandler(s.httpHandler()), s.cfg)
	}
	return cfg
}

// newHTTPServer is the HTTP server for handler, with cfg's timeouts.
func newHTTPServer(handler http.Handler, cfg Config) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cmp.Or(cfg.HTTPReadHeaderTimeout, DefaultHTTPReadHeaderTimeout),
		ReadTimeout:       cmp.Or(cfg.HTTPReadTimeout, DefaultHTTPReadTimeout),
		IdleTimeout:       cmp.Or(cfg.HTTPIdleTimeout, DefaultHTTPIdleTimeout),
	}
}

func (s *Server) goRun(fn func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
}

// meta is what the API server advertises besides what rolekit adds.
func (s *Server) meta(context.Context) gossip.Meta {
	return gossip.Meta{Serving: true, MaxLogVersion: cmp.Or(s.cfg.MaxLogVersion, logentry.MaxSupportedVersion)}
}

// GRPCAddr is the address of the gRPC API.
func (s *Server) GRPCAddr() string {
	if s.kit == nil {
		return s.cfg.GRPCAddr
	}
	return s.kit.GRPCAddr()
}

// HTTPAddr is the address of the HTTP API, or "".
func (s *Server) HTTPAddr() string {
	if s.kit == nil {
		return s.cfg.HTTPAddr
	}
	return s.kit.HTTPAddr()
}

// streamContext is ctx, ended also when the server stops (see streams).
func (s *Server) streamContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	if s.streams == nil {
		return ctx, cancel
	}
	stop := context.AfterFunc(s.streams, cancel)
	return ctx, func() {
		stop()
		cancel()
	}
}

// Stop leaves gossip and stops serving.
func (s *Server) Stop() {
	s.once.Do(func() {
		if s.stopStreams != nil {
			s.stopStreams()
		}
		if s.stopTimer != nil {
			s.stopTimer()
		}
		if s.kit != nil {
			s.kit.Stop() // leaves gossip, stops serving
		}
		if s.stats != nil {
			s.stats.close()
		}
		s.wg.Wait()
		if s.views != nil {
			s.views.Close()
		}
		if s.logc != nil {
			s.logc.Close()
		}
	})
}

// ErrInvalid marks a request the client must fix.
var ErrInvalid = errors.New("invalid request")

// Insert parses and applies an insert request atomically.
func (s *Server) Insert(ctx context.Context, format, data string) (update.Result, error) {
	return s.change(ctx, "insert", func() (update.Request, error) {
		req, err := parseInsert(format, data)
		if err != nil {
			return update.Request{}, fmt.Errorf("%w: parsing insert: %v", ErrInvalid, err)
		}
		return update.Request{Insert: req}, nil
	})
}

// parseInsert parses insert data in any supported format: tsv, or the RDF
// formats of package rdf (ntriples, turtle, with parameters).
func parseInsert(format, data string) (*parser.Insert, error) {
	switch {
	case format == "" || format == "tsv":
		return parser.ParseInsert(data)
	case rdf.IsRDFFormat(format):
		return rdf.ParseInsert(format, data)
	}
	return nil, fmt.Errorf("unknown insert format %q (supported: tsv, ntriples, turtle)", format)
}

func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, DefaultQueryTimeout)
}

// GossipAddr is the address other nodes join to find this server.
func (s *Server) GossipAddr() string { return s.gossip.Addr() }

// ViewCount is how many serving views the server currently knows.
func (s *Server) ViewCount() int {
	n := 0
	for _, m := range s.gossip.Members() {
		if m.Meta.Role == "view" && m.Meta.Serving {
			n++
		}
	}
	return n
}
