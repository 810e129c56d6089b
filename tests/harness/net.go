package harness

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/internal/testutil"
)

// handedOut remembers every port FreePort has returned in this test process,
// so that two calls never return the same port even after the kernel would
// reuse it.
var handedOut struct {
	mu    sync.Mutex
	ports map[int]bool
}

// FreePort returns a loopback port that is free for both TCP and UDP (gossip
// uses both) and that no earlier call in this process returned. It is free
// when returned; another process could still take it before the test binds
// it.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 100 {
		port, err := freePort()
		if err != nil {
			t.Fatalf("harness: find a free port: %v", err)
		}
		if claim(port) {
			return port
		}
	}
	t.Fatal("harness: find a free port: every port offered was already handed out")
	return 0
}

// Ports come from [portBase, portBase+portSpan): below the kernel's
// ephemeral range (32768 and up on Linux), so that a server restarted on
// its port after kill -9 cannot find it taken by some process's outgoing
// connection, and apart from logtest's range (20000-25999), which test
// binaries of other packages use at the same time.
const (
	portBase = 26000
	portSpan = 6000
)

// freePort finds a port in the harness's range that is free for TCP and
// for UDP.
func freePort() (int, error) {
	var lastErr error
	for range 200 {
		port := portBase + rand.IntN(portSpan)
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
	return 0, fmt.Errorf("no free port in %d-%d: %w", portBase, portBase+portSpan-1, lastErr)
}

// claim records port as handed out, reporting false if it already was.
func claim(port int) bool {
	handedOut.mu.Lock()
	defer handedOut.mu.Unlock()
	if handedOut.ports == nil {
		handedOut.ports = make(map[int]bool)
	}
	if handedOut.ports[port] {
		return false
	}
	handedOut.ports[port] = true
	return true
}

// FreeAddr returns "127.0.0.1:PORT" for a port from FreePort.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
}

// FreeAddrs returns n distinct addresses from FreeAddr.
func FreeAddrs(t testing.TB, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		out[i] = FreeAddr(t)
	}
	return out
}

// WaitTCP waits until a TCP connection to addr succeeds, failing the test
// after timeout. Call it from the test's goroutine.
func WaitTCP(t testing.TB, addr string, timeout time.Duration) {
	t.Helper()
	testutil.Eventually(t, timeout, 50*time.Millisecond, func() error {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		return conn.Close()
	})
}
