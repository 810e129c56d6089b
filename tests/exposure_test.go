package tests

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/tests/harness"
)

// TestServersRefuseNetworkWithoutTLS: every role started on a
// non-loopback address without TLS refuses to start, naming the flag, and
// starts with --insecure; with TLS, gossip off loopback needs no key (it
// goes over mutual TLS).
func TestServersRefuseNetworkWithoutTLS(t *testing.T) {
	harness.SkipIfShort(t)
	dir := t.TempDir()
	loop := func() string { return harness.FreeAddr(t) }
	for name, args := range map[string][]string{
		"log --raft-addr": {"log", "--id", "1", "--dir", filepath.Join(dir, "log"), "--raft-addr", "0.0.0.0:0",
			"--grpc-addr", loop(), "--initial-members", "1=127.0.0.1:1"},
		"view --grpc-addr": {"view", "--space", "hashsp", "--partition", "1/1", "--dir", filepath.Join(dir, "view"),
			"--grpc-addr", "0.0.0.0:0", "--log", loop()},
		"api --http-addr":  {"api", "--grpc-addr", loop(), "--http-addr", "0.0.0.0:0", "--gossip-addr", loop(), "--log", loop()},
		"local --api-addr": {"local", "--dir", filepath.Join(dir, "local"), "--api-addr", "0.0.0.0:0", "--http-addr", loop()},
	} {
		flag := strings.Fields(name)[1]
		_, errOut, err := harness.Run(t, bin, args...)
		if err == nil || !strings.Contains(errOut, "refusing to start: "+flag+" 0.0.0.0:0 is not loopback") ||
			!strings.Contains(errOut, "--insecure") {
			t.Errorf("%s on 0.0.0.0 without TLS: %v: %s", name, err, errOut)
		}
	}
	view := harness.Start(t, bin, "view-insecure", "view", "--space", "hashsp", "--partition", "1/1",
		"--dir", filepath.Join(dir, "view2"), "--grpc-addr", "0.0.0.0:0", "--log", loop(), "--insecure")
	time.Sleep(2 * time.Second)
	if !view.Running() || !strings.Contains(view.Output(), "--insecure: --grpc-addr 0.0.0.0:0 is not loopback") {
		t.Fatalf("a view with --insecure did not start with a warning:\n%s", view.Output())
	}
	certs := filepath.Join(dir, "certs")
	akutan(t, "ctl", "certs", "--out", certs, "--hosts", "127.0.0.1")
	secure := harness.Start(t, bin, "view-tls", "view", "--space", "hashsp", "--partition", "1/1", "--dir", filepath.Join(dir, "view3"),
		"--grpc-addr", "0.0.0.0:0", "--log", loop(), "--gossip-addr", "0.0.0.0:0",
		"--tls-cert", filepath.Join(certs, "server.pem"), "--tls-key", filepath.Join(certs, "server-key.pem"),
		"--tls-ca", filepath.Join(certs, "ca.pem"))
	time.Sleep(2 * time.Second)
	if !secure.Running() || strings.Contains(secure.Output(), "refusing") || strings.Contains(secure.Output(), "not loopback") {
		t.Fatalf("a view with TLS gossiping on 0.0.0.0 without a key (gossip over mutual TLS) did not start quietly:\n%s", secure.Output())
	}
}
