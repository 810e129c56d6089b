package harness

import (
	"net"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/internal/testutil"
)

// ports are the harness's: 15000-19999, apart from logtest's range
// (10000-14999), which test binaries of other packages use at the same
// time, and below the Raft ports `akutan local` picks for itself
// (20000-32767, roles/local), which once took a port handed out here. One
// PortRange per test process, so no port is handed out twice.
var ports = testutil.PortRange{Base: 15000, Span: 5000}

// FreePort returns a loopback port that is free for both TCP and UDP (gossip
// uses both) and that no earlier call in this process returned. It is free
// when returned; another process could still take it before the test binds
// it.
func FreePort(t testing.TB) int {
	t.Helper()
	return ports.Port(t)
}

// FreeAddr returns "127.0.0.1:PORT" for a port from FreePort.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return ports.Addr(t)
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
