package fanout

import "time"

// Clock is the time a Fanout measures hedge delays, backoffs, patience
// and penalties with. Production uses the system clock; tests give a
// clock they move by hand, so that they decide when a call is slow.
type Clock interface {
	Now() time.Time
	// NewTimer returns a stopped timer.
	NewTimer() Timer
}

// Timer is a resettable one-shot timer, like time.Timer: after Reset or
// Stop returns, no value from an earlier setting is received from C.
type Timer interface {
	C() <-chan time.Time
	// Reset makes the timer fire once d has passed.
	Reset(d time.Duration)
	Stop()
}

// systemClock is the Clock of time.Now and time.Timer.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) NewTimer() Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return systemTimer{t}
}

type systemTimer struct{ t *time.Timer }

func (s systemTimer) C() <-chan time.Time   { return s.t.C }
func (s systemTimer) Reset(d time.Duration) { s.t.Reset(d) }
func (s systemTimer) Stop()                 { s.t.Stop() }
