package gossip

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/internal/tlsconfig"
)

// testCA issues certificate files for gossip tests.
type testCA struct {
	ca  *tlsconfig.CA
	dir string
	pem string // the CA file
}

func newTestCA(t testing.TB, name string) *testCA {
	t.Helper()
	ca, err := tlsconfig.NewCA(name, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c := &testCA{ca: ca, dir: t.TempDir()}
	c.pem = filepath.Join(c.dir, "ca.pem")
	if err := os.WriteFile(c.pem, ca.CertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	return c
}

// source issues a certificate valid from notBefore to notAfter, for no
// host (gossip does not check names), and loads it.
func (c *testCA) source(t testing.TB, name string, notBefore, notAfter time.Time) *tlsconfig.Source {
	t.Helper()
	cert, key, err := c.ca.Issue(name, nil, notBefore, notAfter)
	if err != nil {
		t.Fatal(err)
	}
	// The calling test's own directory: parallel subtests issue
	// certificates of the same name, and must not overwrite each other's.
	dir := t.TempDir()
	files := tlsconfig.Files{Cert: filepath.Join(dir, name+".pem"), Key: filepath.Join(dir, name+"-key.pem"), CA: c.pem}
	if err := os.WriteFile(files.Cert, cert, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files.Key, key, 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := tlsconfig.Load(files, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// valid issues a certificate valid now.
func (c *testCA) valid(t testing.TB, name string) *tlsconfig.Source {
	now := time.Now()
	return c.source(t, name, now.Add(-time.Minute), now.Add(time.Hour))
}

// TestTLSGossip: nodes with certificates of one CA join, spread their
// meta, and leave gracefully (MarkLeaving's push-pulls and the leave
// message go over TLS); a crash is noticed.
func TestTLSGossip(t *testing.T) {
	ca := newTestCA(t, "gossip CA")
	key := []byte("0123456789abcdef")
	first := start(t, Config{Name: "n0", Cluster: "c", SecretKey: key, TLS: ca.valid(t, "n0")}, Meta{Role: "api"})
	var mu sync.Mutex
	departed := map[string]bool{}
	first.OnDepart(func(m Member, graceful bool) {
		mu.Lock()
		defer mu.Unlock()
		departed[m.Name] = graceful
	})
	want := map[string]Meta{"n0": {Role: "api"}}
	var nodes []*Node
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("n%d", i)
		nodes = append(nodes, start(t, Config{Name: name, Cluster: "c", SecretKey: key, TLS: ca.valid(t, name),
			Join: []string{first.Addr()}}, Meta{Role: "view"}))
		want[name] = Meta{Role: "view"}
	}
	for _, n := range append([]*Node{first}, nodes...) {
		testutil.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error { return sees(n, want) })
	}
	m := Meta{Role: "view", AppliedIndex: 42, Serving: true}
	if err := nodes[0].SetMeta(m); err != nil {
		t.Fatal(err)
	}
	want["n1"] = m
	for _, n := range append([]*Node{first}, nodes...) {
		testutil.Eventually(t, 5*time.Second, 50*time.Millisecond, func() error { return sees(n, want) })
	}

	nodes[0].MarkLeaving(5 * time.Second) // returns as soon as every member has it; long for a loaded machine
	for _, m := range first.Members() {
		if m.Name == "n1" && m.Meta.State != StateLeaving {
			t.Errorf("when MarkLeaving returned, n0 had n1's state %q, want %q", m.Meta.State, StateLeaving)
		}
	}
	if err := nodes[0].Leave(time.Second); err != nil {
		t.Fatal(err)
	}
	if err := nodes[0].Stop(); err != nil {
		t.Fatal(err)
	}
	delete(want, "n1")
	// Well under failure detection time: the leave went out over TLS.
	testutil.Eventually(t, 2*time.Second, 50*time.Millisecond, func() error { return sees(first, want) })
	departures := func(want map[string]bool) func() error {
		return func() error {
			mu.Lock()
			defer mu.Unlock()
			if fmt.Sprint(departed) != fmt.Sprint(want) {
				return fmt.Errorf("departed %v, want %v", departed, want)
			}
			return nil
		}
	}
	testutil.Eventually(t, 2*time.Second, 50*time.Millisecond, departures(map[string]bool{"n1": true}))
	if testing.Short() {
		return
	}
	_ = nodes[1].Stop() // a crash
	testutil.Eventually(t, 10*time.Second, 50*time.Millisecond, departures(map[string]bool{"n1": true, "n2": false}))
}

// TestTLSGossipRefusals: a node gossiping over TLS refuses one without a
// certificate (no TLS at all), one with a certificate of another CA, and
// one with an expired certificate, whichever side joins; each side logs
// why. Only a node with a valid certificate of the CA joins.
func TestTLSGossipRefusals(t *testing.T) {
	ca := newTestCA(t, "gossip CA")
	other := newTestCA(t, "another CA")
	now := time.Now()
	refusedOurs := "the peer refused our certificate"
	cases := []struct {
		name string
		tls  func(t *testing.T) *tlsconfig.Source
		// what the node with the right certificate and the other log,
		// when the other joins it and when it joins the other
		joins, joined [2]string
	}{
		{"no certificate", func(*testing.T) *tlsconfig.Source { return nil },
			[2]string{"it gossips without TLS", "the peer gossips over TLS (--tls-cert, --tls-key, --tls-ca) and this node does not"},
			[2]string{"does it gossip without TLS", "or it gossips over TLS"}},
		{"another CA", func(t *testing.T) *tlsconfig.Source { return other.valid(t, "stranger") },
			[2]string{refusedOurs, "certificate signed by unknown authority"},
			[2]string{"certificate signed by unknown authority", refusedOurs}},
		{"expired", func(t *testing.T) *tlsconfig.Source {
			return ca.source(t, "stale", now.Add(-2*time.Hour), now.Add(-time.Hour))
		}, [2]string{"expired", "refused the join"}, [2]string{"expired", refusedOurs}},
	}
	for _, tc := range cases {
		for _, dir := range []string{"joins", "is joined"} {
			t.Run(tc.name+" "+dir, func(t *testing.T) {
				t.Parallel()
				goodLogs, badLogs := &syncBuffer{}, &syncBuffer{}
				good := Config{Name: "good", TLS: ca.valid(t, "good-"+strings.ReplaceAll(tc.name, " ", "-")),
					Logger: zerolog.New(goodLogs).Level(zerolog.WarnLevel)}
				bad := Config{Name: "bad", TLS: tc.tls(t), Logger: zerolog.New(badLogs).Level(zerolog.WarnLevel)}
				var g, b *Node
				if dir == "joins" {
					g = start(t, good, Meta{Role: "api"})
					bad.Join = []string{g.Addr()}
					b = start(t, bad, Meta{Role: "view"})
				} else {
					b = start(t, bad, Meta{Role: "view"})
					good.Join = []string{b.Addr()}
					g = start(t, good, Meta{Role: "api"})
				}
				joiner, joinerLogs := b, badLogs
				if dir != "joins" {
					joiner, joinerLogs = g, goodLogs
				}
				testutil.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
					if !strings.Contains(joinerLogs.String(), "refused the join") {
						return fmt.Errorf("no join warning yet; logs: %s", joinerLogs.String())
					}
					want := tc.joins
					if dir != "joins" {
						want = tc.joined
					}
					for i, logs := range []*syncBuffer{goodLogs, badLogs} {
						if !strings.Contains(logs.String(), want[i]) {
							return fmt.Errorf("no warning saying %q yet; logs: %s", want[i], logs.String())
						}
					}
					return nil
				})
				time.Sleep(2 * time.Second) // a few more attempts
				for _, n := range []*Node{g, b} {
					if got := len(n.Members()); got != 1 {
						t.Errorf("%s sees %d members, want 1", n.Name(), got)
					}
				}
				select {
				case <-joiner.Joined():
					t.Error("Joined closed for a refused node")
				default:
				}
				t.Logf("joiner: %s\ngood: %s\nbad: %s", joiner.Name(), goodLogs.String(), badLogs.String())
			})
		}
	}
}

// TestTLSTransportHandshakes probes a TLS gossip listener as a bare TLS
// client: the right certificate is accepted; none, another CA's and an
// expired one are refused.
func TestTLSTransportHandshakes(t *testing.T) {
	ca := newTestCA(t, "gossip CA")
	other := newTestCA(t, "another CA")
	n := start(t, Config{Name: "n", TLS: ca.valid(t, "n")}, Meta{Role: "api"})
	now := time.Now()
	right := ca.valid(t, "right").Certificate()
	probe := func(cert *tls.Certificate) error {
		cfg := &tls.Config{InsecureSkipVerify: true}
		if cert != nil { // presented even if the server asks for another CA's
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
		}
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", n.Addr(), cfg)
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		_, err = conn.Read(make([]byte, 1))
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil // waiting for the kind byte: accepted
		}
		return fmt.Errorf("read: %v", err)
	}
	if err := probe(right); err != nil {
		t.Errorf("the right certificate was refused: %v", err)
	}
	for what, cert := range map[string]*tls.Certificate{
		"no certificate":           nil,
		"another CA's certificate": other.valid(t, "stranger").Certificate(),
		"an expired certificate":   ca.source(t, "stale", now.Add(-2*time.Hour), now.Add(-time.Hour)).Certificate(),
	} {
		if err := probe(cert); err == nil {
			t.Errorf("%s was accepted", what)
		} else {
			t.Logf("%s: %v", what, err)
		}
	}
}

// TestTLSGossipRotation: a certificate replaced on disk is what the gossip
// listener shows on the next connection, without a restart, and a node
// joining afterwards is accepted.
func TestTLSGossipRotation(t *testing.T) {
	ca := newTestCA(t, "gossip CA")
	src := ca.valid(t, "n0")
	n0 := start(t, Config{Name: "n0", TLS: src}, Meta{Role: "api"})
	serial := func() string {
		conn, err := tls.Dial("tcp", n0.Addr(), &tls.Config{InsecureSkipVerify: true,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return src.Certificate(), nil }})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	before := serial()
	now := time.Now()
	c, k, err := ca.ca.Issue("n0 (rotated)", nil, now.Add(-time.Minute), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	files := src.Files()
	for path, data := range map[string][]byte{files.Cert: c, files.Key: k} {
		tmp := path + ".new"
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 5*time.Second, 100*time.Millisecond, func() error {
		if serial() == before {
			return errors.New("the gossip listener still shows the old certificate")
		}
		return nil
	})
	n1 := start(t, Config{Name: "n1", TLS: ca.valid(t, "n1"), Join: []string{n0.Addr()}}, Meta{Role: "view"})
	want := map[string]Meta{"n0": {Role: "api"}, "n1": {Role: "view"}}
	for _, n := range []*Node{n0, n1} {
		testutil.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error { return sees(n, want) })
	}
}
