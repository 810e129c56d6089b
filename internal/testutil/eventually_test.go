package testutil

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestEventuallyRetries: f is called until it succeeds, and not after.
func TestEventuallyRetries(t *testing.T) {
	calls := 0
	Eventually(t, time.Minute, time.Microsecond, func() error {
		calls++
		if calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if calls != 3 {
		t.Fatalf("f called %d times, want 3", calls)
	}
}

// fatalRecorder records a Fatalf instead of ending the test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	panic(r)
}

// TestEventuallyGivesUp: once the timeout has passed, the test fails with
// f's last error.
func TestEventuallyGivesUp(t *testing.T) {
	rec := &fatalRecorder{TB: t}
	defer func() {
		if p := recover(); p != rec {
			t.Fatalf("Eventually did not fail the test: %v", p)
		}
		if !strings.Contains(rec.msg, "never") {
			t.Fatalf("failure %q does not give f's last error", rec.msg)
		}
	}()
	Eventually(rec, 0, time.Microsecond, func() error { return errors.New("never") })
}
