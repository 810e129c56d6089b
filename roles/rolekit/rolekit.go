package rolekit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"

	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/internal/tlsconfig"
)

// Config is what a role server has in common with the others.
type Config struct {
	// Role names the server in gossip ("log", "view", "api"): its node is
	// ROLE-GRPCADDR.
	Role string
	// GRPCAddr is the host:port to serve gRPC on; port 0 picks a free one.
	GRPCAddr string
	// GRPCOptions configure the gRPC server (message limits, windows).
	GRPCOptions []grpc.ServerOption
	// TLS, when set, makes both gRPC and HTTP mutual TLS: clients must
	// present a certificate signed by its CA (package
	// internal/tlsconfig); refused handshakes are logged with the reason.
	// nil: plaintext, as before.
	TLS *tlsconfig.Source
	// Register adds the role's services to the gRPC server, in Serve.
	Register func(*grpc.Server)

	// HTTPAddr is the host:port to serve HTTP on; empty: no HTTP.
	HTTPAddr string
	// HTTP is the server to run there; nil: one serving GET /metrics from
	// Registry.
	HTTP *http.Server
	// Registry holds the metrics served at /metrics when HTTP is nil.
	Registry *prometheus.Registry

	// GossipAddr is the host:port to gossip on; empty: no gossip.
	GossipAddr string
	GossipJoin []string
	GossipKey  []byte
	// GossipTLS, when set, carries gossip over mutual TLS with its
	// certificate and CA (gossip.Config.TLS); nil: plaintext.
	GossipTLS *tlsconfig.Source
	Cluster   string
	DC        string
	// Meta is what the server advertises, with Role, Cluster and DC set
	// from here, and GRPCAddr and HTTPAddr (the latter only for a role's
	// own HTTP server, not /metrics alone), when Meta leaves them empty,
	// set to the bound addresses. It is called once in Listen, after the
	// listeners are bound, and then every AdvertiseEvery while serving
	// (0: never again); ctx ends when the server stops.
	Meta           func(ctx context.Context) gossip.Meta
	AdvertiseEvery time.Duration

	// GracePeriod is how long Stop lets in-flight RPCs finish before it
	// cancels them; 0 cancels them at once.
	GracePeriod time.Duration
	// HTTPShutdown bounds how long Stop waits for HTTP requests to finish;
	// 0 closes their connections at once.
	HTTPShutdown time.Duration

	Logger zerolog.Logger
}

// Server is a role's listeners, gossip node and the goroutines serving
// them.
type Server struct {
	cfg     Config
	grpcLis net.Listener
	grpc    *grpc.Server
	httpLis net.Listener
	http    *http.Server
	gossip  *gossip.Node

	ctx    context.Context // ends at Stop; bounds Meta calls
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
	// advMu orders Advertise with Stop: once leaving is set, the meta
	// stays the "leaving" one MarkLeaving advertised.
	advMu   sync.Mutex
	leaving bool
}

// Listen binds the gRPC and HTTP listeners and joins gossip, advertising
// cfg.Meta; nothing is served until Serve. ctx bounds only the start.
func Listen(ctx context.Context, cfg Config) (*Server, error) {
	s := &Server{cfg: cfg}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.listen(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) listen(ctx context.Context) error {
	var err error
	if s.grpcLis, err = net.Listen("tcp", s.cfg.GRPCAddr); err != nil {
		return fmt.Errorf("listening for gRPC on %s: %w", s.cfg.GRPCAddr, err)
	}
	if s.cfg.HTTPAddr != "" {
		if s.httpLis, err = net.Listen("tcp", s.cfg.HTTPAddr); err != nil {
			return fmt.Errorf("listening for HTTP on %s: %w", s.cfg.HTTPAddr, err)
		}
		if s.cfg.TLS != nil {
			s.httpLis = s.cfg.TLS.HTTPListener(s.httpLis)
		}
	}
	if s.cfg.GossipAddr == "" {
		return nil
	}
	if s.cfg.Meta == nil {
		return errors.New("gossip needs the Meta to advertise")
	}
	s.gossip, err = gossip.Start(ctx, gossip.Config{
		Name: s.cfg.Role + "-" + s.GRPCAddr(), BindAddr: s.cfg.GossipAddr, Join: s.cfg.GossipJoin,
		Cluster: s.cfg.Cluster, SecretKey: s.cfg.GossipKey, TLS: s.cfg.GossipTLS, Logger: s.cfg.Logger,
	}, s.meta(ctx))
	return err
}

// meta is cfg.Meta completed with what every role advertises alike.
func (s *Server) meta(ctx context.Context) gossip.Meta {
	m := s.cfg.Meta(ctx)
	m.Role, m.Cluster, m.DC = s.cfg.Role, s.cfg.Cluster, s.cfg.DC
	if m.GRPCAddr == "" {
		m.GRPCAddr = s.GRPCAddr()
	}
	if m.HTTPAddr == "" && s.httpLis != nil && s.cfg.HTTP != nil {
		m.HTTPAddr = s.HTTPAddr()
	}
	return m
}

// Serve registers the role's services and serves gRPC and HTTP, and keeps
// the gossip meta fresh, until Stop. Call it once, after Listen.
func (s *Server) Serve() {
	opts := s.cfg.GRPCOptions
	if s.cfg.TLS != nil {
		opts = append(append([]grpc.ServerOption(nil), opts...), grpc.Creds(s.cfg.TLS.ServerCredentials()))
	}
	s.grpc = grpc.NewServer(opts...)
	if s.cfg.Register != nil {
		s.cfg.Register(s.grpc)
	}
	s.goRun(func() {
		if err := s.grpc.Serve(s.grpcLis); err != nil {
			s.cfg.Logger.Error().Err(err).Msg("gRPC server failed")
		}
	})
	if s.httpLis != nil {
		s.http = s.cfg.HTTP
		if s.http == nil {
			s.http = metricsServer(s.cfg.Registry)
		}
		if s.cfg.TLS != nil && s.http.ErrorLog == nil {
			s.http.ErrorLog = tlsconfig.ErrorLog(s.cfg.Logger) // handshake refusals
		}
		s.goRun(func() {
			if err := s.http.Serve(s.httpLis); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.cfg.Logger.Error().Err(err).Msg("HTTP server failed")
			}
		})
	}
	if s.gossip != nil && s.cfg.AdvertiseEvery > 0 {
		s.goRun(s.advertise)
	}
}

// metricsServer serves reg's metrics at GET /metrics.
func metricsServer(reg *prometheus.Registry) *http.Server {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
}

// advertise refreshes the gossip meta every AdvertiseEvery until Stop.
func (s *Server) advertise() {
	t := time.NewTicker(s.cfg.AdvertiseEvery)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		if err := s.Advertise(); err != nil && s.ctx.Err() == nil {
			s.cfg.Logger.Warn().Err(err).Msg("advertising in gossip")
		}
	}
}

// Advertise sends Config.Meta now, for a change peers should learn before
// the next periodic refresh; without gossip it does nothing.
func (s *Server) Advertise() error {
	if s.gossip == nil {
		return nil
	}
	s.advMu.Lock()
	defer s.advMu.Unlock()
	if s.leaving {
		return nil
	}
	return s.gossip.SetMeta(s.meta(s.ctx))
}

func (s *Server) goRun(fn func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
}

// GRPCAddr is the address gRPC is served on.
func (s *Server) GRPCAddr() string {
	if s.grpcLis == nil {
		return s.cfg.GRPCAddr
	}
	return s.grpcLis.Addr().String()
}

// HTTPAddr is the address HTTP is served on, or "" without HTTP.
func (s *Server) HTTPAddr() string {
	if s.httpLis == nil {
		return s.cfg.HTTPAddr
	}
	return s.httpLis.Addr().String()
}

// Gossip is the server's gossip node, or nil without gossip.
func (s *Server) Gossip() *gossip.Node { return s.gossip }

// Stop stops advertising, advertises the gossip state "leaving" (waiting
// up to 2 s, usually a few milliseconds, for every member to have it: see
// gossip.Node.MarkLeaving) so that API servers do not count this stop as
// a loss, leaves gossip, shuts HTTP down, stops gRPC (see
// Config.GracePeriod) and waits for every goroutine Serve started. It is
// safe to call more than once, and before Serve.
func (s *Server) Stop() {
	s.once.Do(func() {
		s.cancel()
		if s.gossip != nil {
			// Say the stop is graceful before going, so that API
			// servers do not list this server as lost.
			s.advMu.Lock()
			s.leaving = true
			s.advMu.Unlock()
			s.gossip.MarkLeaving(2 * time.Second)
			s.gossip.Leave(time.Second)
			s.gossip.Stop()
		}
		s.stopHTTP()
		s.stopGRPC()
		s.wg.Wait()
	})
}

func (s *Server) stopHTTP() {
	switch {
	case s.http != nil && s.cfg.HTTPShutdown <= 0:
		s.http.Close()
	case s.http != nil:
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.HTTPShutdown)
		defer cancel()
		_ = s.http.Shutdown(ctx)
	case s.httpLis != nil:
		s.httpLis.Close()
	}
}

// stopGRPC lets in-flight RPCs finish for the grace period, then cancels
// them.
func (s *Server) stopGRPC() {
	switch {
	case s.grpc == nil:
		if s.grpcLis != nil {
			s.grpcLis.Close()
		}
		return
	case s.cfg.GracePeriod <= 0:
		s.grpc.Stop()
		return
	}
	done := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(done)
	}()
	t := time.NewTimer(s.cfg.GracePeriod)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.grpc.Stop()
		<-done
	}
}
