// Package dirlock waits for a data directory that another process still
// holds.
//
// Every role locks its data directories (Dragonboat's NodeHost directory,
// each LevelDB store) so that two processes never write one store. A
// process killed with kill -9 releases its locks only once the kernel has
// finished tearing it down, which can take a moment under load or in the
// middle of an fsync; a supervisor (systemd, a test, an operator's shell)
// that starts the replacement at once would then see "locked" and the new
// process would exit. Retry waits, for a bounded time, until the previous
// owner is gone.
package dirlock

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"
)

// DefaultWait is how long Retry waits for a lock by default: far longer
// than a killed process takes to exit, far shorter than an operator
// waiting to see an error.
const DefaultWait = 30 * time.Second

// pollEvery is how often Retry tries again.
const pollEvery = 100 * time.Millisecond

// Retry calls open until it succeeds, fails with an error that is not a
// held lock, wait passes (0 means DefaultWait), or ctx ends. waiting is
// called once, the first time open finds the lock held.
func Retry(ctx context.Context, wait time.Duration, waiting func(err error), open func() error) error {
	if wait <= 0 {
		wait = DefaultWait
	}
	deadline := time.Now().Add(wait)
	for first := true; ; first = false {
		err := open()
		if err == nil || !Held(err) {
			return err
		}
		if first && waiting != nil {
			waiting(err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("another process still holds the directory after %v (is another akutan running on it?): %w", wait, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the directory's lock: %w", ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

// dragonboatLocked is Dragonboat's ErrLockDirectory text. The error is in
// an internal package of Dragonboat, so its text is all there is to match.
const dragonboatLocked = "failed to lock data directory"

// Held reports whether err says a lock is held by someone else: a failed
// non-blocking flock (LevelDB, Pebble) or Dragonboat's directory lock.
func Held(err error) bool {
	return errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EAGAIN) ||
		strings.Contains(err.Error(), dragonboatLocked)
}
