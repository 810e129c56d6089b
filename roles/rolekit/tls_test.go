package rolekit

import (
	"bytes"
	"context"
	"crypto/tls"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/akutan-dev/akutan/internal/tlsconfig"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tlsFiles writes a pair issued by ca, valid from nb to na, and the CA.
func tlsFiles(t *testing.T, ca *tlsconfig.CA, name string, nb, na time.Time) tlsconfig.Files {
	t.Helper()
	dir := t.TempDir()
	c, k, err := ca.Issue(name, []string{"127.0.0.1"}, nb, na)
	if err != nil {
		t.Fatal(err)
	}
	f := tlsconfig.Files{Cert: filepath.Join(dir, "c.pem"), Key: filepath.Join(dir, "k.pem"), CA: filepath.Join(dir, "ca.pem")}
	for path, data := range map[string][]byte{f.Cert: c, f.Key: k, f.CA: ca.CertPEM()} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func source(t *testing.T, f tlsconfig.Files) *tlsconfig.Source {
	t.Helper()
	s, err := tlsconfig.Load(f, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTLSListeners: with Config.TLS, the gRPC and HTTP listeners serve
// the right client certificate and refuse none, another CA's and an
// expired one, logging why.
func TestTLSListeners(t *testing.T) {
	now := time.Now()
	ca, err := tlsconfig.NewCA("ca", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	other, err := tlsconfig.NewCA("other", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	srvTLS, err := tlsconfig.Load(tlsFiles(t, ca, "server", now.Add(-time.Minute), now.Add(time.Hour)), zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Listen(context.Background(), Config{
		Role: "test", GRPCAddr: "127.0.0.1:0", TLS: srvTLS,
		Register: func(g *grpc.Server) { healthpb.RegisterHealthServer(g, health.NewServer()) },
		HTTPAddr: "127.0.0.1:0", Logger: zerolog.New(&logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Serve()
	t.Cleanup(s.Stop)

	right := source(t, tlsFiles(t, ca, "client", now.Add(-time.Minute), now.Add(time.Hour))).Client()
	stranger := source(t, tlsFiles(t, other, "client", now.Add(-time.Minute), now.Add(time.Hour))).Client()
	stranger.RootCAs = srvTLS.CAPool() // it trusts the server; the server must not trust it
	expired := source(t, tlsFiles(t, ca, "client", now.Add(-2*time.Hour), now.Add(-time.Hour))).Client()
	none := &tls.Config{RootCAs: srvTLS.CAPool()}

	grpcCall := func(cfg *tls.Config) error {
		conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(credentials.NewTLS(cfg.Clone())))
		if err != nil {
			return err
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	}
	httpGet := func(cfg *tls.Config) error {
		tr := &http.Transport{TLSClientConfig: cfg.Clone()}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get("https://" + s.HTTPAddr() + "/metrics")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	if err := grpcCall(right); err != nil {
		t.Fatalf("gRPC with the right certificate: %v", err)
	}
	if err := httpGet(right); err != nil {
		t.Fatalf("HTTPS with the right certificate: %v", err)
	}
	for name, cfg := range map[string]*tls.Config{"no certificate": none, "another CA's certificate": stranger, "an expired certificate": expired} {
		if err := grpcCall(cfg); err == nil {
			t.Errorf("gRPC with %s was answered", name)
		}
		if err := httpGet(cfg); err == nil {
			t.Errorf("HTTPS with %s was answered", name)
		}
	}
	plain, err := http.Get("http://" + s.HTTPAddr() + "/metrics")
	if err == nil {
		plain.Body.Close()
		if plain.StatusCode/100 == 2 {
			t.Error("plaintext HTTP was answered")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "refused a TLS connection") || !strings.Contains(logs.String(), "TLS handshake error") {
		if time.Now().After(deadline) {
			t.Fatalf("refusals not logged on both listeners: %s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
