package tests

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/internal/tlsconfig"
	"github.com/akutan-dev/akutan/tests/harness"
)

// secureLocal is `akutan local` with mutual TLS and a tokens file, and
// the client flags and tokens to reach it.
type secureLocal struct {
	api, http          string
	certs              string
	tls                []string // client --tls-* flags
	read, write, admin string   // token files
	readTok            string
}

// startSecureLocal makes certificates and read, write and admin tokens with
// `akutan ctl certs` and `ctl token`, and starts `akutan local` with them.
func startSecureLocal(t *testing.T) *secureLocal {
	t.Helper()
	s, tokens := newSecurity(t)
	c := func(n string) string { return filepath.Join(s.certs, n) }
	addrs := harness.FreeAddrs(t, 2)
	s.api, s.http = addrs[0], addrs[1]
	harness.Start(t, bin, "local", "local", "--dir", filepath.Join(t.TempDir(), "data"), "--api-addr", s.api, "--http-addr", s.http,
		"--tls-cert", c("server.pem"), "--tls-key", c("server-key.pem"), "--tls-ca", c("ca.pem"), "--tokens", tokens)
	s.waitReady(t)
	return s
}

// newSecurity makes certificates and read, write and admin tokens with
// `akutan ctl certs` and `ctl token`; it returns the tokens file.
func newSecurity(t *testing.T) (*secureLocal, string) {
	t.Helper()
	dir := t.TempDir()
	s := &secureLocal{certs: filepath.Join(dir, "certs")}
	akutan(t, "ctl", "certs", "--out", s.certs, "--hosts", "127.0.0.1")
	var lines []string
	for _, tk := range []struct {
		role string
		file *string
	}{{"read", &s.read}, {"write", &s.write}, {"admin", &s.admin}} {
		out := strings.Split(strings.TrimSpace(akutan(t, "ctl", "token", "--role", tk.role, "--name", tk.role+"-test")), "\n")
		if len(out) != 2 {
			t.Fatalf("ctl token printed %q; want the token and its line", out)
		}
		if strings.Contains(out[1], out[0]) {
			t.Fatal("the tokens-file line holds the token in clear")
		}
		*tk.file = filepath.Join(dir, tk.role+".tok")
		if err := os.WriteFile(*tk.file, []byte(out[0]+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if tk.role == "read" {
			s.readTok = out[0]
		}
		lines = append(lines, out[1])
	}
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := func(n string) string { return filepath.Join(s.certs, n) }
	s.tls = []string{"--tls-cert", c("client.pem"), "--tls-key", c("client-key.pem"), "--tls-ca", c("ca.pem")}
	return s, tokens
}

// waitReady waits until a read-token query answers.
func (s *secureLocal) waitReady(t *testing.T) {
	t.Helper()
	harness.WaitTCP(t, s.api, 60*time.Second)
	testutil.Eventually(t, 90*time.Second, 250*time.Millisecond, func() error {
		_, errOut, err := harness.Run(t, bin, s.args("query", s.read, "--timeout", "5s", "-e", "ASK WHERE { ?s <HasExternalID> ?o }")...)
		if err != nil {
			return &runError{err, errOut}
		}
		return nil
	})
}

type runError struct {
	err    error
	stderr string
}

func (e *runError) Error() string { return e.err.Error() + ": " + e.stderr }

// args is a client command with --api, the client certificate and, unless
// tokenFile is "", --token-file.
func (s *secureLocal) args(cmd, tokenFile string, rest ...string) []string {
	a := append([]string{cmd, "--api", s.api}, s.tls...)
	if tokenFile != "" {
		a = append(a, "--token-file", tokenFile)
	}
	return append(a, rest...)
}

// refused runs a command that must fail with an error containing want.
func (s *secureLocal) refused(t *testing.T, want string, args ...string) {
	t.Helper()
	out, errOut, err := harness.Run(t, bin, args...)
	if err == nil {
		t.Fatalf("akutan %s succeeded (%q); want it refused", strings.Join(args, " "), out)
	}
	if !strings.Contains(errOut, want) {
		t.Fatalf("akutan %s: error %q; want it to say %q", strings.Join(args, " "), errOut, want)
	}
}

// httpsClient presents the client certificate.
func (s *secureLocal) httpsClient(t *testing.T) *http.Client {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join(s.certs, "client.pem"), filepath.Join(s.certs, "client-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(filepath.Join(s.certs, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}}
}

// TestSecureLocalTokensAndRoles: on `akutan local` with mutual TLS and
// tokens, a read token queries and cannot insert; a write token inserts
// and cannot run an admin operation; no token is Unauthenticated / 401;
// no client certificate is refused; and every refusal changes nothing.
func TestSecureLocalTokensAndRoles(t *testing.T) {
	harness.SkipIfShort(t)
	s := startSecureLocal(t)
	ask := func(tok, q string) string {
		t.Helper()
		return akutan(t, s.args("query", tok, "--format", "tsv", "-e", q)...)
	}
	data := filepath.Join(t.TempDir(), "facts.tsv")
	if err := os.WriteFile(data, []byte("<Alice> <knows> <Bob>\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// No token: Unauthenticated, over gRPC and HTTPS; no certificate: refused.
	s.refused(t, "requires a bearer token", s.args("query", "", "-e", "ASK WHERE { ?s ?p ?o }")...)
	s.refused(t, "requires a bearer token", s.args("insert", "", data)...)
	s.refused(t, "", "query", "--api", s.api, "--timeout", "5s", "-e", "ASK WHERE { ?s ?p ?o }")
	hc := s.httpsClient(t)
	resp, err := hc.Post("https://"+s.http+"/v1/insert", "text/plain", strings.NewReader("<Carol> <knows> <Dan>\n"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("HTTPS insert without a token: %s; want 401", resp.Status)
	}
	if _, err := http.Get("https://" + s.http + "/v1/status"); err == nil {
		t.Fatal("HTTPS without a client certificate was answered")
	}
	probe := newProbeCerts(t, s.certs)
	probe.check(t, "local API gRPC", s.api)
	probe.check(t, "local API HTTP", s.http)
	// The in-process gossip is over mutual TLS too: one member of each role.
	req, _ := http.NewRequest(http.MethodGet, "https://"+s.http+"/v1/members", nil)
	req.Header.Set("Authorization", "Bearer "+s.readTok)
	if resp, err = hc.Do(req); err != nil {
		t.Fatal(err)
	}
	var members struct {
		Members []struct {
			Addr string `json:"addr"`
			Meta struct {
				Role string `json:"role"`
			} `json:"meta"`
		} `json:"members"`
	}
	err = json.NewDecoder(resp.Body).Decode(&members)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	probed := map[string]bool{}
	for _, m := range members.Members {
		if !probed[m.Meta.Role] {
			probed[m.Meta.Role] = true
			probe.check(t, "local "+m.Meta.Role+" gossip", m.Addr)
		}
	}
	if len(probed) != 3 {
		t.Errorf("probed the gossip of roles %v, want log, view and api", probed)
	}

	// Read: queries, cannot insert (gRPC, HTTP, SPARQL update).
	if got := ask(s.read, "ASK WHERE { <Alice> <knows> <Bob> }"); got != "result\nfalse\n" {
		t.Fatalf("read-token query = %q", got)
	}
	s.refused(t, "needs the write role", s.args("insert", s.read, data)...)
	req, _ = http.NewRequest(http.MethodPost, "https://"+s.http+"/v1/insert", strings.NewReader("<Carol> <knows> <Dan>\n"))
	req.Header.Set("Authorization", "Bearer "+s.readTok)
	if resp, err = hc.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("HTTPS insert with a read token: %s; want 403", resp.Status)
	}
	s.refused(t, "403", s.args("sparql-update", s.read, "-e", "INSERT DATA { <Erin> <knows> <Frank> }")...)
	s.refused(t, "not one this API server accepts", append(s.args("query", "", "-e", "ASK WHERE { ?s ?p ?o }"),
		"--token-file", writeFile(t, "near.tok", s.readTok[:len(s.readTok)-1]+"\n"))...)

	// The refusals changed nothing.
	for _, q := range []string{"ASK WHERE { <Alice> <knows> <Bob> }", "ASK WHERE { <Carol> <knows> <Dan> }", "ASK WHERE { <Erin> <knows> <Frank> }"} {
		if got := ask(s.read, q); got != "result\nfalse\n" {
			t.Fatalf("after refused writes, %s = %q; want false", q, got)
		}
	}

	// Write: inserts, cannot run an admin operation.
	akutan(t, s.args("insert", s.write, data)...)
	if got := ask(s.read, "ASK WHERE { <Alice> <knows> <Bob> }"); got != "result\ntrue\n" {
		t.Fatalf("after the write-token insert, ASK = %q; want true", got)
	}
	// Every client command that reads through the API works with the
	// certificate and a read token, over gRPC and HTTPS alike.
	if out := akutan(t, s.args("sparql", s.read, "--format", "tsv", "-e", "SELECT ?o WHERE { <Alice> <knows> ?o }")...); !strings.Contains(out, "<Bob>") {
		t.Fatalf("sparql with a read token printed %q", out)
	}
	if out := akutan(t, s.args("export", s.read)...); !strings.Contains(out, "<Alice> <knows> <Bob>") {
		t.Fatalf("export with a read token printed %q", out)
	}
	if out := akutan(t, s.args("changes", s.read)...); !strings.Contains(out, "Alice") {
		t.Fatalf("changes with a read token printed %q", out)
	}
	akutan(t, s.args("status", s.read)...)
	akutan(t, s.args("sparql-update", s.write, "-e", "INSERT DATA { <Ivy> <knows> <Jo> }")...)
	if got := ask(s.read, "ASK WHERE { <Ivy> <knows> <Jo> }"); got != "result\ntrue\n" {
		t.Fatalf("after a write-token SPARQL update, ASK = %q", got)
	}
	s.refused(t, "requires a bearer token", s.args("export", "")...)

	// forget-lost is an admin operation of the API server: a write token
	// is refused; an admin token passes (and finds nothing to forget).
	s.refused(t, "needs the admin role", append([]string{"ctl"}, s.args("forget-lost", s.write, "view-127.0.0.1:1")...)...)
	s.refused(t, "is not listed as lost", append([]string{"ctl"}, s.args("forget-lost", s.admin, "view-127.0.0.1:1")...)...)
	s.refused(t, "needs the write role", s.args("insert", s.read, writeFile(t, "gina.tsv", "<Gina> <knows> <Hal>\n"))...)
	if got := ask(s.admin, "ASK WHERE { <Gina> <knows> <Hal> }"); got != "result\nfalse\n" {
		t.Fatalf("a refused insert changed the graph: ASK = %q", got)
	}
}

// TestSecureMultiProcessCluster: every role with mutual TLS (log gRPC and
// Raft, views, API, gossip) and the API with tokens: insert and query, kill -9 of
// the log leader, and a new view booting from its peer after the log was
// truncated, all over TLS; a client without a certificate is refused by
// the log and the views.
func TestSecureMultiProcessCluster(t *testing.T) {
	harness.SkipIfShort(t)
	s, tokens := newSecurity(t)
	dir := t.TempDir()
	addrs := harness.FreeAddrs(t, 3*2+5*2+2)
	raft, logGRPC := addrs[0:3], addrs[3:6]
	viewGRPC, viewGossip := addrs[6:11], addrs[11:16]
	s.api = addrs[16]
	apiGossip := addrs[17]
	srvTLS := []string{"--tls-cert", filepath.Join(s.certs, "server.pem"), "--tls-key", filepath.Join(s.certs, "server-key.pem"),
		"--tls-ca", filepath.Join(s.certs, "ca.pem")}
	members := fmt.Sprintf("1=%s,2=%s,3=%s", raft[0], raft[1], raft[2])
	var logs []*harness.Process
	for i := 0; i < 3; i++ {
		logs = append(logs, harness.Start(t, bin, fmt.Sprintf("log-%d", i+1), append([]string{"log",
			"--id", fmt.Sprint(i + 1), "--dir", filepath.Join(dir, fmt.Sprintf("log-%d", i+1)),
			"--raft-addr", raft[i], "--grpc-addr", logGRPC[i], "--initial-members", members}, srvTLS...)...))
	}
	logList := strings.Join(logGRPC, ",")
	startView := func(name, space, part string, i int) *harness.Process {
		return harness.Start(t, bin, name, append([]string{"view", "--space", space, "--partition", part,
			"--dir", filepath.Join(dir, name), "--grpc-addr", viewGRPC[i], "--log", logList,
			"--gossip-addr", viewGossip[i], "--gossip-join", apiGossip}, srvTLS...)...)
	}
	views := map[string]*harness.Process{}
	i := 0
	for _, space := range []string{"hashsp", "hashpo"} {
		for p := 1; p <= 2; p++ {
			name := fmt.Sprintf("view-%s-%d", space, p)
			views[name] = startView(name, space, fmt.Sprintf("%d/2", p), i)
			i++
		}
	}
	harness.Start(t, bin, "api", append([]string{"api", "--grpc-addr", s.api, "--log", logList,
		"--gossip-addr", apiGossip, "--gossip-join", strings.Join(viewGossip[:4], ","), "--tokens", tokens}, srvTLS...)...)
	s.waitReady(t)

	akutan(t, s.args("insert", s.write, testdata("example_data.tsv"))...)
	if got := akutan(t, s.args("query", s.read, "--format", "tsv", testdata("fp_01.bql"))...); got != fp01Want {
		t.Fatalf("fp_01 = %q, want %q", got, fp01Want)
	}

	// A backup reaches the views over TLS (ViewBoot), after asking the
	// API for its members with a token.
	akutan(t, append([]string{"ctl"}, s.args("backup", s.read, "--to", filepath.Join(dir, "backup"), "--log", logList)...)...)
	akutan(t, "ctl", "verify-backup", filepath.Join(dir, "backup"))

	// Every TLS listener: the right certificate is accepted; none, another
	// CA's and an expired one are refused.
	probe := newProbeCerts(t, s.certs)
	probe.check(t, "API gRPC", s.api)
	for i := range 3 {
		probe.check(t, fmt.Sprintf("log %d gRPC", i+1), logGRPC[i])
		probe.check(t, fmt.Sprintf("log %d Raft", i+1), raft[i])
	}
	for i := range 4 {
		probe.check(t, fmt.Sprintf("view %d gRPC", i+1), viewGRPC[i])
		probe.check(t, fmt.Sprintf("view %d gossip", i+1), viewGossip[i])
	}
	probe.check(t, "API gossip", apiGossip)

	// The log and the views refuse a client without a certificate.
	if _, _, err := harness.Run(t, bin, "ctl", "log", "info", "--log", logList, "--timeout", "3s"); err == nil {
		t.Fatal("the log answered a client without a certificate")
	}
	if _, _, err := harness.Run(t, bin, "ctl", "drain", "--view", viewGRPC[0], "--api", s.api, "--timeout", "3s"); err == nil {
		t.Fatal("a view answered a client without a certificate")
	}
	logInfo := func() (leader uint64, last uint64) {
		t.Helper()
		var info struct {
			Leader    uint64 `json:"leader"`
			LastIndex uint64 `json:"last_index"`
		}
		out := akutan(t, append([]string{"ctl", "log", "info", "--log", logList, "--json"}, s.tls...)...)
		if err := json.Unmarshal([]byte(out), &info); err != nil {
			t.Fatalf("ctl log info --json: %v: %s", err, out)
		}
		return info.Leader, info.LastIndex
	}

	// kill -9 the log leader: Raft over TLS elects another; writes go on.
	var leader uint64
	testutil.Eventually(t, 30*time.Second, 200*time.Millisecond, func() error {
		if leader, _ = logInfo(); leader == 0 {
			return fmt.Errorf("no leader yet")
		}
		return nil
	})
	logs[leader-1].Kill()
	more := writeFile(t, "more.tsv", "<Zed> <knows> <Yan>\n")
	testutil.Eventually(t, 60*time.Second, 500*time.Millisecond, func() error {
		_, errOut, err := harness.Run(t, bin, s.args("insert", s.write, "--timeout", "10s", more)...)
		if err != nil {
			return fmt.Errorf("%v: %s", err, errOut)
		}
		return nil
	})
	if got := akutan(t, s.args("query", s.read, "--format", "tsv", "-e", "ASK WHERE { <Zed> <knows> <Yan> }")...); got != "result\ntrue\n" {
		t.Fatalf("after the leader's kill -9, ASK = %q", got)
	}
	logs[leader-1].Restart(t)

	// Truncate the log, then a new view of hashsp 1/2 must boot from its
	// peer over TLS (ViewBoot) and replace it.
	_, last := logInfo()
	akutan(t, append([]string{"ctl", "log", "truncate", "--log", logList, "--before", fmt.Sprint(last), "--force"}, s.tls...)...)
	fresh := startView("view-hashsp-1-b", "hashsp", "1/2", 4)
	testutil.Eventually(t, 60*time.Second, 250*time.Millisecond, func() error {
		if !strings.Contains(fresh.Output(), "loading from peers") && !strings.Contains(fresh.Output(), "loaded from peers") {
			return fmt.Errorf("the new view has not loaded from peers: %s", lastLines(fresh.Output(), 3))
		}
		return nil
	})
	time.Sleep(2 * time.Second) // let it finish loading and advertise serving
	views["view-hashsp-1"].Kill()
	testutil.Eventually(t, 60*time.Second, 500*time.Millisecond, func() error {
		out, errOut, err := harness.Run(t, bin, s.args("query", s.read, "--format", "tsv", "--timeout", "10s", testdata("fp_01.bql"))...)
		if err != nil {
			return fmt.Errorf("%v: %s", err, errOut)
		}
		if out != fp01Want {
			return fmt.Errorf("fp_01 = %q, want %q", out, fp01Want)
		}
		return nil
	})

	// An operator command that joins gossip (ctl log upgrade
	// --gossip-join) does so over mutual TLS with its certificate, and
	// without one is refused, naming TLS among the causes.
	upgrade := []string{"ctl", "log", "upgrade", "--to", "2", "--log", logList, "--gossip-join", apiGossip, "--gossip-wait", "2s"}
	_, errOut, err := harness.Run(t, bin, append(upgrade, "--timeout", "5s")...)
	if err == nil || !strings.Contains(errOut, "no peer answered") || !strings.Contains(errOut, "--tls-cert") {
		t.Fatalf("ctl log upgrade --gossip-join without a certificate: %v, stderr %q; want the join refused, naming TLS", err, errOut)
	}
	if out := akutan(t, append(upgrade, s.tls...)...); !strings.Contains(out, "seen in gossip support log version 2") {
		t.Fatalf("ctl log upgrade --gossip-join with the certificate printed %q", out)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// probeTLS handshakes with addr presenting cert (nil: none) and trusting
// ca, then reads for a moment. It reports whether the server accepted the
// connection: the read returned data (gRPC sends its settings) or timed
// out (HTTP, Raft and gossip wait for the client), rather than failing with the
// server's alert or a closed connection.
func probeTLS(addr string, cert *tls.Certificate, ca *x509.CertPool) (bool, error) {
	cfg := &tls.Config{RootCAs: ca, NextProtos: []string{"h2", "http/1.1"}}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 1)
	_, err = conn.Read(buf)
	var ne net.Error
	if err == nil || errors.As(err, &ne) && ne.Timeout() {
		return true, nil
	}
	return false, err
}

// probeCerts are the client certificates a listener is probed with.
type probeCerts struct {
	pool                   *x509.CertPool
	ca                     *tlsconfig.CA // the CA of ctl certs
	right, stranger, stale tls.Certificate
}

// newProbeCerts reads the CA of `ctl certs` in dir and issues with it an
// expired certificate, and one from another CA.
func newProbeCerts(t *testing.T, dir string) probeCerts {
	t.Helper()
	read := func(n string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var p probeCerts
	p.pool = x509.NewCertPool()
	p.pool.AppendCertsFromPEM(read("ca.pem"))
	var err error
	if p.right, err = tls.X509KeyPair(read("client.pem"), read("client-key.pem")); err != nil {
		t.Fatal(err)
	}
	caBlock, _ := pem.Decode(read("ca.pem"))
	keyBlock, _ := pem.Decode(read("ca-key.pem"))
	caCert, err := x509.ParseCertificate(caBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	caKey, err := x509.ParsePKCS8PrivateKey(keyBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ca := &tlsconfig.CA{Cert: caCert, Key: caKey.(*ecdsa.PrivateKey)}
	p.ca = ca
	now := time.Now()
	c, k, err := ca.Issue("stale", nil, now.Add(-2*time.Hour), now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if p.stale, err = tls.X509KeyPair(c, k); err != nil {
		t.Fatal(err)
	}
	other, err := tlsconfig.NewCA("another CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if c, k, err = other.Issue("stranger", nil, now.Add(-time.Minute), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if p.stranger, err = tls.X509KeyPair(c, k); err != nil {
		t.Fatal(err)
	}
	return p
}

// check probes the listener at addr: the right certificate is accepted;
// none, another CA's and an expired one are refused.
func (p probeCerts) check(t *testing.T, name, addr string) {
	t.Helper()
	if ok, err := probeTLS(addr, &p.right, p.pool); !ok {
		t.Errorf("%s (%s) refused the right certificate: %v", name, addr, err)
	}
	for what, cert := range map[string]*tls.Certificate{"no certificate": nil, "another CA's certificate": &p.stranger, "an expired certificate": &p.stale} {
		if ok, _ := probeTLS(addr, cert, p.pool); ok {
			t.Errorf("%s (%s) accepted %s", name, addr, what)
		}
	}
}

// serverSerial is the serial of the certificate the server at addr shows.
func serverSerial(t *testing.T, addr string, p probeCerts) string {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{p.right}, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

// TestSecureLocalCertificateRotation: a server certificate replaced on
// disk is used for new connections, without a restart, on both the gRPC
// and the HTTPS listener; clients keep working.
func TestSecureLocalCertificateRotation(t *testing.T) {
	harness.SkipIfShort(t)
	s := startSecureLocal(t)
	probe := newProbeCerts(t, s.certs)
	before := map[string]string{"gRPC": serverSerial(t, s.api, probe), "HTTP": serverSerial(t, s.http, probe)}

	now := time.Now()
	c, k, err := probe.ca.Issue("akutan server (rotated)", []string{"127.0.0.1"}, now.Add(-time.Minute), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Write each file beside its final name and rename it into place, as
	// docs/security.md says, so that no handshake sees half a file.
	for name, data := range map[string][]byte{"server.pem": c, "server-key.pem": k} {
		tmp := filepath.Join(s.certs, "."+name+".new")
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(s.certs, name)); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 10*time.Second, 200*time.Millisecond, func() error {
		for what, addr := range map[string]string{"gRPC": s.api, "HTTP": s.http} {
			if serverSerial(t, addr, probe) == before[what] {
				return fmt.Errorf("the %s listener still shows the old certificate", what)
			}
		}
		return nil
	})
	if got := akutan(t, s.args("query", s.read, "--format", "tsv", "-e", "ASK WHERE { <a> <b> <c> }")...); got != "result\nfalse\n" {
		t.Fatalf("a query after the rotation answered %q", got)
	}
}
