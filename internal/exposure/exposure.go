// Package exposure decides whether a server may listen where it was told
// to: Akutan is secure by default once it leaves one machine. A listener
// on a loopback address (127.0.0.0/8, ::1, localhost) is private to the
// machine; any other address, including a wildcard (0.0.0.0, ::, an empty
// host), reaches a network. Such a listener needs mutual TLS, and gossip
// needs either mutual TLS (a server with --tls-* gossips over it) or its
// encryption key, unless the operator says --insecure, which is then
// logged as a warning on every start.
package exposure

import (
	"fmt"
	"net"
	"strings"
)

// Listener is one address a server listens on, named by its flag.
type Listener struct {
	Flag string // e.g. "--grpc-addr"
	Addr string // host:port; empty: not listening
	// Gossip marks the gossip listener, protected by mutual TLS or by its
	// key.
	Gossip bool
}

// Protection is what the server has to protect its listeners.
type Protection struct {
	TLS       bool // mutual TLS on gRPC, HTTP, Raft and gossip
	GossipKey bool // gossip encrypted with a key
}

// Loopback reports whether addr (host:port) is reachable only from this
// machine.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Exposed returns, for each listener that reaches a network without the
// protection it needs, why; nil when every listener is private or
// protected.
func Exposed(ls []Listener, p Protection) []string {
	var out []string
	for _, l := range ls {
		if l.Addr == "" || Loopback(l.Addr) {
			continue
		}
		switch {
		case l.Gossip && !p.GossipKey && !p.TLS:
			out = append(out, fmt.Sprintf("%s %s is not loopback and gossip is not encrypted (give --tls-cert, --tls-key and --tls-ca, or --gossip-key-file)", l.Flag, l.Addr))
		case !l.Gossip && !p.TLS:
			out = append(out, fmt.Sprintf("%s %s is not loopback and serves without TLS (give --tls-cert, --tls-key and --tls-ca)", l.Flag, l.Addr))
		}
	}
	return out
}

// Check refuses exposed listeners unless insecure; with insecure it
// returns them for the caller to log as a warning.
func Check(ls []Listener, p Protection, insecure bool) (warnings []string, err error) {
	exposed := Exposed(ls, p)
	if len(exposed) == 0 {
		return nil, nil
	}
	if insecure {
		return exposed, nil
	}
	return nil, fmt.Errorf("refusing to start: %s; or pass --insecure to accept that on this network",
		strings.Join(exposed, "; "))
}
