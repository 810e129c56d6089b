package testutil

import (
	"testing"
	"time"
)

// Eventually calls f every interval until it returns nil, failing the test
// with f's last error once timeout has passed. It is how tests wait for
// something that happens asynchronously (a server coming up, a cluster
// converging) without guessing how long to sleep. Call it from the test's
// goroutine.
func Eventually(t testing.TB, timeout, interval time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after %v: %v", timeout, err)
		}
		time.Sleep(interval)
	}
}
