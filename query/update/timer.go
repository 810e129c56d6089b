package update

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"
)

// Timer aborts transactions whose client went away: views advertise the
// undecided transactions they hold (gossip), and the timer appends an
// abort for every one it has seen undecided for longer than Timeout.
// Several timers (one per API server) may run; only the first decision for
// a transaction counts, so their extra aborts are harmless. Because views
// keep undecided transactions across restarts, a transaction orphaned by a
// whole-cluster crash is still found.
type Timer struct {
	Log     Log
	Timeout time.Duration
	// Pending returns the undecided transactions the views report.
	Pending func() []uint64
	Logger  zerolog.Logger
	// Clock is the time the timer goes by; nil means the wall clock.
	Clock Clock
}

// Clock is the Timer's source of time, so that tests can drive it.
type Clock interface {
	// NewTicker returns a channel that receives the current time every d,
	// and a function that stops it.
	NewTicker(d time.Duration) (ticks <-chan time.Time, stop func())
}

// wallClock is the real time.
type wallClock struct{}

func (wallClock) NewTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// Run aborts expired transactions until ctx ends. It looks every quarter
// of Timeout (but no more often than every 50 ms), so an abandoned
// transaction is aborted at most a quarter of Timeout late.
func (t *Timer) Run(ctx context.Context) {
	clock := t.Clock
	if clock == nil {
		clock = wallClock{}
	}
	ticks, stop := clock.NewTicker(max(t.Timeout/4, 50*time.Millisecond))
	defer stop()
	w := newWatch(t.Timeout)
	for {
		var now time.Time
		select {
		case <-ctx.Done():
			return
		case now = <-ticks:
		}
		for _, tx := range w.expired(now, t.Pending()) {
			t.abort(ctx, tx)
		}
	}
}

// watch remembers, for each undecided transaction, when the timer first
// saw it and when it last aborted it.
type watch struct {
	timeout   time.Duration
	firstSeen map[uint64]time.Time
	lastAbort map[uint64]time.Time
}

func newWatch(timeout time.Duration) *watch {
	return &watch{timeout: timeout, firstSeen: map[uint64]time.Time{}, lastAbort: map[uint64]time.Time{}}
}

// expired takes the transactions undecided at now and returns those to
// abort: seen undecided for longer than the timeout, and not aborted
// within the timeout (an abort takes a while to reach the views, and one
// that was lost is sent again). Transactions no longer undecided are
// forgotten.
func (w *watch) expired(now time.Time, pending []uint64) []uint64 {
	var out []uint64
	current := make(map[uint64]bool, len(pending))
	for _, tx := range pending {
		current[tx] = true
		if _, ok := w.firstSeen[tx]; !ok {
			w.firstSeen[tx] = now
		}
		if now.Sub(w.firstSeen[tx]) > w.timeout && now.Sub(w.lastAbort[tx]) > w.timeout {
			w.lastAbort[tx] = now
			out = append(out, tx)
		}
	}
	for tx := range w.firstSeen {
		if !current[tx] {
			delete(w.firstSeen, tx)
			delete(w.lastAbort, tx)
		}
	}
	return out
}

func (t *Timer) abort(ctx context.Context, tx uint64) {
	if _, err := appendDecision(ctx, t.Log, tx, false); err != nil {
		if !errors.Is(err, context.Canceled) {
			t.Logger.Warn().Err(err).Uint64("tx", tx).Msg("transaction timer: appending an abort failed")
		}
		return
	}
	t.Logger.Info().Uint64("tx", tx).Msg("transaction timer: aborted an abandoned transaction")
}
