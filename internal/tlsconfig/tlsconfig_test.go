package tlsconfig

import (
	"bytes"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// pair writes a certificate and key issued by ca into dir as NAME.pem and
// NAME-key.pem and returns their paths.
func pair(t *testing.T, ca *CA, dir, name string, notBefore, notAfter time.Time) (string, string) {
	t.Helper()
	c, k, err := ca.Issue(name, []string{"127.0.0.1"}, notBefore, notAfter)
	if err != nil {
		t.Fatal(err)
	}
	cp, kp := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	if err := os.WriteFile(cp, c, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kp, k, 0o600); err != nil {
		t.Fatal(err)
	}
	return cp, kp
}

func newCA(t *testing.T, dir, name string) (*CA, string) {
	t.Helper()
	ca, err := NewCA(name, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".pem")
	if err := os.WriteFile(p, ca.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return ca, p
}

// server serves TLS handshakes with src until the test ends; each accepted
// connection writes its server certificate's serial back.
func server(t *testing.T, src *Source) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tl := src.HTTPListener(l)
	t.Cleanup(func() { tl.Close() })
	go func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if err := c.(*tls.Conn).Handshake(); err != nil {
					return
				}
				_, _ = c.Write([]byte("ok"))
			}()
		}
	}()
	return l.Addr().String()
}

// dial handshakes with addr using cfg and reads the server's "ok"; it
// returns the server certificate's serial.
func dial(addr string, cfg *tls.Config) (string, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 2)
	if _, err := c.Read(buf); err != nil {
		return "", err
	}
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String(), nil
}

func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	ca, caFile := newCA(t, dir, "ca")
	other, otherFile := newCA(t, dir, "other")
	sc, sk := pair(t, ca, dir, "server", now.Add(-time.Minute), now.Add(time.Hour))
	cc, ck := pair(t, ca, dir, "client", now.Add(-time.Minute), now.Add(time.Hour))
	xc, xk := pair(t, ca, dir, "expired", now.Add(-2*time.Hour), now.Add(-time.Hour))
	oc, ok := pair(t, other, dir, "stranger", now.Add(-time.Minute), now.Add(time.Hour))

	var logs bytes.Buffer
	srv, err := Load(Files{Cert: sc, Key: sk, CA: caFile}, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	addr := server(t, srv)
	client := func(cert, key, caf string) *tls.Config {
		t.Helper()
		src, err := Load(Files{Cert: cert, Key: key, CA: caf}, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		return src.Client()
	}
	if _, err := dial(addr, client(cc, ck, caFile)); err != nil {
		t.Fatalf("the right client certificate was refused: %v", err)
	}
	noCert := &tls.Config{RootCAs: srv.CAPool()}
	cases := map[string]*tls.Config{
		"no certificate":         noCert,
		"another CA's":           client(oc, ok, caFile),
		"an expired one":         client(xc, xk, caFile),
		"a server of another CA": client(cc, ck, otherFile),
	}
	for name, cfg := range cases {
		if _, err := dial(addr, cfg); err == nil {
			t.Errorf("a client with %s was accepted", name)
		}
	}
}

func TestGRPCCredentialsLogRefusals(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	ca, caFile := newCA(t, dir, "ca")
	sc, sk := pair(t, ca, dir, "server", now.Add(-time.Minute), now.Add(time.Hour))
	var logs bytes.Buffer
	srv, err := Load(Files{Cert: sc, Key: sk, CA: caFile}, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	done := make(chan error, 1)
	go func() {
		_, _, err := srv.ServerCredentials().ServerHandshake(a)
		a.Close()
		done <- err
	}()
	c := tls.Client(b, &tls.Config{RootCAs: srv.CAPool(), ServerName: "127.0.0.1", NextProtos: []string{"h2"}})
	_ = c.Handshake()
	buf := make([]byte, 1)
	_, _ = c.Read(buf)
	b.Close()
	if err := <-done; err == nil {
		t.Fatal("a client without a certificate passed the gRPC handshake")
	}
	if !strings.Contains(logs.String(), "refused a TLS connection") || !strings.Contains(logs.String(), "certificate") {
		t.Fatalf("the refusal was not logged with its reason: %s", logs.String())
	}
}

func TestRotatedCertificateUsedForNewConnections(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	ca, caFile := newCA(t, dir, "ca")
	sc, sk := pair(t, ca, dir, "server", now.Add(-time.Minute), now.Add(time.Hour))
	cc, ck := pair(t, ca, dir, "client", now.Add(-time.Minute), now.Add(time.Hour))
	srv, err := Load(Files{Cert: sc, Key: sk, CA: caFile}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	cli, err := Load(Files{Cert: cc, Key: ck, CA: caFile}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	addr := server(t, srv)
	first, err := dial(addr, cli.Client())
	if err != nil {
		t.Fatal(err)
	}
	// Rotate: a new pair written over the old files, with a new mtime.
	pair(t, ca, dir, "server", now.Add(-time.Minute), now.Add(2*time.Hour))
	later := now.Add(time.Minute)
	for _, f := range []string{sc, sk} {
		if err := os.Chtimes(f, later, later); err != nil {
			t.Fatal(err)
		}
	}
	srv.mu.Lock()
	srv.lastCheck = time.Time{} // skip the once-a-second throttle
	srv.mu.Unlock()
	second, err := dial(addr, cli.Client())
	if err != nil {
		t.Fatal(err)
	}
	if first == second {
		t.Fatalf("a new connection still got the old certificate (serial %s)", first)
	}
}

func TestHalfWrittenRotationKeepsThePreviousPair(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	ca, caFile := newCA(t, dir, "ca")
	sc, sk := pair(t, ca, dir, "server", now.Add(-time.Minute), now.Add(time.Hour))
	var logs bytes.Buffer
	srv, err := Load(Files{Cert: sc, Key: sk, CA: caFile}, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	before := srv.Certificate()
	if err := os.WriteFile(sc, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Minute)
	_ = os.Chtimes(sc, later, later)
	srv.mu.Lock()
	srv.lastCheck = time.Time{}
	srv.mu.Unlock()
	if srv.Certificate() != before {
		t.Fatal("a broken certificate file replaced the working pair")
	}
	if !strings.Contains(logs.String(), "keeping the previous TLS certificate") {
		t.Fatalf("the failed reload was not logged: %s", logs.String())
	}
}

func TestIncompleteFilesRefused(t *testing.T) {
	for _, f := range []Files{{Cert: "a"}, {Key: "b"}, {CA: "c"}, {Cert: "a", Key: "b"}} {
		if _, err := Load(f, zerolog.Nop()); err == nil {
			t.Errorf("Load(%+v) accepted incomplete files", f)
		}
	}
	if (Files{}).Enabled() {
		t.Error("no files named, yet TLS is on")
	}
}

func TestGenerateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	if err := GenerateFiles(dir, []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"ca-key.pem", "server-key.pem", "client-key.pem"} {
		fi, err := os.Stat(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", n, fi.Mode().Perm())
		}
	}
	srv, err := Load(Files{Cert: filepath.Join(dir, "server.pem"), Key: filepath.Join(dir, "server-key.pem"), CA: filepath.Join(dir, "ca.pem")}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	cli, err := Load(Files{Cert: filepath.Join(dir, "client.pem"), Key: filepath.Join(dir, "client-key.pem"), CA: filepath.Join(dir, "ca.pem")}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dial(server(t, srv), cli.Client()); err != nil {
		t.Fatalf("the generated client could not reach the generated server: %v", err)
	}
	if err := GenerateFiles(dir, nil); err == nil {
		t.Fatal("GenerateFiles overwrote existing files")
	}
}
