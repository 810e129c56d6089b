package testutil

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"testing"
)

// PortRange hands out loopback ports from [Base, Base+Span) that are free
// for TCP and UDP (gossip uses both) when returned, and never the same port
// twice from one PortRange. Remembering what was handed out matters: a test
// that asks for three addresses before it binds any would otherwise get the
// same free port twice (Raft then refuses the member list as having
// duplicate addresses). Another process can still take a port before the
// test binds it; callers retry on "address already in use".
//
// Keep ranges below the kernel's ephemeral range (32768 and up on Linux),
// so that a server restarted on its port after kill -9 cannot find it taken
// by some process's outgoing connection.
type PortRange struct {
	Base, Span int

	mu        sync.Mutex
	handedOut map[int]bool
}

// Port returns a port from the range, failing the test if none is free.
func (r *PortRange) Port(t testing.TB) int {
	t.Helper()
	for range 100 {
		port, err := r.free()
		if err != nil {
			t.Fatalf("testutil: find a free port: %v", err)
		}
		if r.claim(port) {
			return port
		}
	}
	t.Fatalf("testutil: find a free port in %d-%d: every port offered was already handed out", r.Base, r.Base+r.Span-1)
	return 0
}

// Addr returns "127.0.0.1:PORT" for a port from Port.
func (r *PortRange) Addr(t testing.TB) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.Port(t)))
}

// free finds a port in the range that is free for TCP and for UDP.
func (r *PortRange) free() (int, error) {
	var lastErr error
	for range 200 {
		port := r.Base + rand.IntN(r.Span)
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			lastErr = err
			continue
		}
		u, err := net.ListenPacket("udp", addr)
		l.Close()
		if err != nil {
			lastErr = err
			continue
		}
		u.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no free port in %d-%d: %w", r.Base, r.Base+r.Span-1, lastErr)
}

// claim records port as handed out, reporting false if it already was.
func (r *PortRange) claim(port int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.handedOut == nil {
		r.handedOut = make(map[int]bool)
	}
	if r.handedOut[port] {
		return false
	}
	r.handedOut[port] = true
	return true
}
