package exposure

import (
	"strings"
	"testing"
)

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9090": true, "127.1.2.3:1": true, "[::1]:80": true, "localhost:7946": true,
		"10.0.0.1:9090": false, "0.0.0.0:7946": false, ":9090": false, "[::]:80": false, "example.com:1": false,
	} {
		if got := Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	ls := []Listener{
		{Flag: "--grpc-addr", Addr: "10.0.0.1:9090"},
		{Flag: "--http-addr", Addr: "127.0.0.1:9091"},
		{Flag: "--gossip-addr", Addr: "0.0.0.0:7946", Gossip: true},
		{Flag: "--metrics-addr"},
	}
	_, err := Check(ls, Protection{}, false)
	if err == nil || !strings.Contains(err.Error(), "--grpc-addr 10.0.0.1:9090") ||
		!strings.Contains(err.Error(), "--gossip-addr 0.0.0.0:7946") || strings.Contains(err.Error(), "--http-addr") ||
		!strings.Contains(err.Error(), "--insecure") {
		t.Fatalf("unprotected: %v", err)
	}
	if w, err := Check(ls, Protection{}, true); err != nil || len(w) != 2 {
		t.Fatalf("--insecure: warnings %q, %v; want 2 warnings", w, err)
	}
	if w, err := Check(ls, Protection{GossipKey: true}, false); err == nil || strings.Contains(err.Error(), "gossip") || w != nil {
		t.Fatalf("a gossip key without TLS: %v", err)
	}
	if w, err := Check(ls, Protection{TLS: true}, false); err != nil || w != nil {
		t.Fatalf("TLS without a gossip key (gossip goes over mutual TLS): %q, %v", w, err)
	}
	if w, err := Check(ls, Protection{TLS: true, GossipKey: true}, false); err != nil || w != nil {
		t.Fatalf("fully protected: %q, %v", w, err)
	}
}
