package rolekit

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/akutan-dev/akutan/gossip"
)

// start runs a server with gRPC health, /metrics, and gossip joining join.
func start(t *testing.T, role string, applied *atomic.Uint64, join ...string) *Server {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "rolekit_test_total", Help: "a test counter"}))
	s, err := Listen(context.Background(), Config{
		Role: role, GRPCAddr: "127.0.0.1:0",
		Register: func(g *grpc.Server) { healthpb.RegisterHealthServer(g, health.NewServer()) },
		HTTPAddr: "127.0.0.1:0", Registry: reg,
		GossipAddr: "127.0.0.1:0", GossipJoin: join, Cluster: "kit", DC: "dc1",
		Meta: func(context.Context) gossip.Meta {
			return gossip.Meta{Serving: true, AppliedIndex: applied.Load()}
		},
		AdvertiseEvery: time.Millisecond,
		Logger:         zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Serve()
	t.Cleanup(s.Stop)
	return s
}

// waitFor waits until cond holds of node's members, watching their changes.
func waitFor(t *testing.T, node *gossip.Node, what string, cond func([]gossip.Member) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		changed := node.Changed()
		if cond(node.Members()) {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v; members %+v", what, ctx.Err(), node.Members())
		}
	}
}

// TestServesAndAdvertises: a server answers gRPC and /metrics, and a peer
// sees its meta completed with its role, cluster, DC and gRPC address, and
// kept fresh.
func TestServesAndAdvertises(t *testing.T) {
	var applied atomic.Uint64
	a := start(t, "log", &applied)
	b := start(t, "api", &applied, a.Gossip().Addr())

	conn, err := grpc.NewClient(a.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("gRPC health check: %v", err)
	}
	resp, err := http.Get("http://" + a.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "rolekit_test_total") {
		t.Fatalf("/metrics lacks the registry's counter:\n%s", body)
	}

	applied.Store(42)
	waitFor(t, b.Gossip(), "the log's meta", func(ms []gossip.Member) bool {
		for _, m := range ms {
			if m.Name == "log-"+a.GRPCAddr() {
				return m.Meta.Role == "log" && m.Meta.Cluster == "kit" && m.Meta.DC == "dc1" &&
					m.Meta.GRPCAddr == a.GRPCAddr() && m.Meta.HTTPAddr == "" && m.Meta.AppliedIndex == 42
			}
		}
		return false
	})
}

// TestStopLeavesAndCloses: after Stop, peers no longer list the server
// and its listeners refuse connections.
func TestStopLeavesAndCloses(t *testing.T) {
	var applied atomic.Uint64
	a := start(t, "view", &applied)
	b := start(t, "api", &applied, a.Gossip().Addr())
	waitFor(t, a.Gossip(), "the api to join", func(ms []gossip.Member) bool { return apis(ms) == 1 })
	b.Stop()
	b.Stop() // a second Stop does nothing
	waitFor(t, a.Gossip(), "the api to leave", func(ms []gossip.Member) bool { return apis(ms) == 0 })
	for _, addr := range []string{b.GRPCAddr(), b.HTTPAddr()} {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Stop", addr)
		}
	}
}

func apis(ms []gossip.Member) int {
	n := 0
	for _, m := range ms {
		if m.Meta.Role == "api" {
			n++
		}
	}
	return n
}

// TestStopBeforeServe: a server stopped before it served closes its
// listeners.
func TestStopBeforeServe(t *testing.T) {
	s, err := Listen(context.Background(), Config{Role: "view", GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if c, err := net.Dial("tcp", s.GRPCAddr()); err == nil {
		c.Close()
		t.Errorf("gRPC listener still open after Stop")
	}
}
