package fanout_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
)

// hangGuard bounds how long a test waits for something the code under test
// should do at once. It only turns a hang into a failure; no test measures
// time with it.
const hangGuard = 5 * time.Second

// fakeClock is a fanout.Clock that tests move by hand: its timers fire
// only when the test advances it past their deadline.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers map[*fakeTimer]struct{} // armed timers
	// armed gets a signal whenever a timer is set, so that a test can
	// move the clock as soon as the fanout waits for time to pass.
	armed chan struct{}
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Unix(1000, 0), timers: map[*fakeTimer]struct{}{}, armed: make(chan struct{}, 1)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer() fanout.Timer {
	return &fakeTimer{clock: c, ch: make(chan time.Time, 1)}
}

// Advance moves the clock forward by d, firing the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.fireDue()
}

// advanceToNextTimer moves the clock to the earliest armed timer's
// deadline and fires it; it reports whether a timer was armed.
func (c *fakeClock) advanceToNextTimer() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	var next time.Time
	for t := range c.timers {
		if next.IsZero() || t.at.Before(next) {
			next = t.at
		}
	}
	if next.IsZero() {
		return false
	}
	if next.After(c.now) {
		c.now = next
	}
	c.fireDue()
	return true
}

// fireDue fires the armed timers whose deadline has come. c.mu is held.
func (c *fakeClock) fireDue() {
	for t := range c.timers {
		if !t.at.After(c.now) {
			delete(c.timers, t)
			t.ch <- c.now // never blocks: the channel was drained when armed
		}
	}
}

type fakeTimer struct {
	clock *fakeClock
	ch    chan time.Time
	at    time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Reset(d time.Duration) {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	t.drain()
	t.at = c.now.Add(d)
	c.timers[t] = struct{}{}
	c.fireDue()
	select {
	case c.armed <- struct{}{}:
	default: // a signal is already pending
	}
}

func (t *fakeTimer) Stop() {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.timers, t)
	t.drain()
}

// drain drops a value from an earlier setting, as time.Timer does.
func (t *fakeTimer) drain() {
	select {
	case <-t.ch:
	default:
	}
}

// runDriven runs req on f with the clock moved to each timer the run waits
// for, as if no call took any time, until Run returns. Calls must not
// block: time only passes here while the run waits on its timer.
func runDriven(ctx context.Context, f *fanout.Fanout, clock *fakeClock, req fanout.Request) error {
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx, req) }()
	for {
		select {
		case err := <-done:
			return err
		case <-clock.armed:
			clock.advanceToNextTimer()
		}
	}
}

// delivery is one unit handed over, and the view that answered it.
type delivery struct {
	addr string
	rng  space.Range
}

// fakeViews are fanout targets answered in memory. Each call "streams"
// one result per unit into a buffer of its own, the way the view client
// reads a lookup's chunks, and a view told to break does so after
// streaming half of its units. A held view answers only once released,
// or returns when its call is cancelled. Deliver hands over the buffer.
type fakeViews struct {
	t *testing.T

	mu        sync.Mutex
	broken    map[string]int           // address -> calls left to break (-1: always)
	held      map[string]chan struct{} // address -> closed on release
	calls     map[string]int           // address -> calls made
	cancelled map[string]int           // address -> calls that ended by cancellation
	active    int                      // calls that have not returned
	delivered map[int][]delivery       // item -> what was delivered for it
	// arrivals, if set, receives the address of every call as it starts.
	arrivals chan string
}

func newFakeViews(t *testing.T) *fakeViews {
	return &fakeViews{t: t, broken: map[string]int{}, held: map[string]chan struct{}{},
		calls: map[string]int{}, cancelled: map[string]int{}, delivered: map[int][]delivery{}}
}

// breakCalls makes the next n calls to addr fail part-way (-1: all).
func (f *fakeViews) breakCalls(addr string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.broken[addr] = n
}

// hold makes calls to addr wait until release is called or their context
// ends.
func (f *fakeViews) hold(addr string) (release func()) {
	gate := make(chan struct{})
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held[addr] = gate
	return sync.OnceFunc(func() { close(gate) })
}

func (f *fakeViews) callsTo(addr string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[addr]
}

func (f *fakeViews) cancelledAt(addr string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cancelled[addr]
}

func (f *fakeViews) inFlight() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.active
}

// start counts a call to addr and reports whether it breaks and what
// it waits for before answering (nil: nothing).
func (f *fakeViews) start(addr string) (breaks bool, gate chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[addr]++
	f.active++
	switch n := f.broken[addr]; {
	case n < 0:
		breaks = true
	case n > 0:
		f.broken[addr] = n - 1
		breaks = true
	}
	return breaks, f.held[addr]
}

func (f *fakeViews) end(addr string, cancelled bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.active--
	if cancelled {
		f.cancelled[addr]++
	}
}

func (f *fakeViews) call(ctx context.Context, t fanout.Target, units []fanout.Unit) (fanout.Deliver, error) {
	breaks, gate := f.start(t.Addr)
	if f.arrivals != nil {
		f.arrivals <- t.Addr
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			f.end(t.Addr, true)
			return nil, ctx.Err()
		}
	}
	defer f.end(t.Addr, false)
	var streamed []fanout.Unit
	for i, u := range units {
		if u.Range.Start < t.Range.Start || u.Range.End > t.Range.End {
			f.t.Errorf("unit %v sent to view %s serving %v", u, t.Addr, t.Range)
		}
		if breaks && i >= (len(units)+1)/2 {
			return nil, fmt.Errorf("view %s: stream broken after %d of %d results", t.Addr, len(streamed), len(units))
		}
		streamed = append(streamed, u)
	}
	if breaks {
		return nil, fmt.Errorf("view %s: stream broken at its end", t.Addr)
	}
	return func(done []fanout.Unit) {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, u := range done {
			f.delivered[u.Item] = append(f.delivered[u.Item], delivery{addr: t.Addr, rng: u.Range})
		}
	}, ctx.Err()
}

// checkOnce fails unless each of n items was delivered exactly once, by
// the view want.
func (f *fakeViews) checkOnce(t *testing.T, n int, want string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range n {
		if got := f.delivered[i]; len(got) != 1 || got[0].addr != want {
			t.Fatalf("item %d delivered by %v, want once by %s", i, got, want)
		}
	}
	f.delivered = map[int][]delivery{}
}

// checkTiled fails unless each item's delivered ranges tile it exactly:
// no gap, no overlap.
func (f *fakeViews) checkTiled(t *testing.T, items []space.Range) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, it := range items {
		got := slices.Clone(f.delivered[i])
		slices.SortFunc(got, func(a, b delivery) int { return cmpUint(a.rng.Start, b.rng.Start) })
		next := it.Start
		for _, d := range got {
			if d.rng.Start != next || d.rng.End > it.End {
				t.Fatalf("item %d %v: delivered %v: gap or overlap at %x", i, it, got, next)
			}
			next = d.rng.End + 1
		}
		if len(got) == 0 || got[len(got)-1].rng.End != it.End {
			t.Fatalf("item %d %v: delivered %v does not reach the end", i, it, got)
		}
	}
	f.delivered = map[int][]delivery{}
}

// waitArrival waits until the next call starts and checks that it asks
// want.
func (f *fakeViews) waitArrival(t *testing.T, want, why string) {
	t.Helper()
	select {
	case got := <-f.arrivals:
		if got != want {
			t.Fatalf("%s: %s was asked, want %s", why, got, want)
		}
	case <-time.After(hangGuard):
		t.Fatalf("%s: %s was never asked", why, want)
	}
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func newFanout(t *testing.T, cfg fanout.Config) *fanout.Fanout {
	t.Helper()
	f, err := fanout.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// cancellable returns a context the test cancels, and cancels it at the
// test's end at the latest.
func cancellable(t *testing.T) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx, cancel
}

// testContext returns a context cancelled when the test ends.
func testContext(t *testing.T) context.Context {
	ctx, _ := cancellable(t)
	return ctx
}

// points returns n point items.
func points(n int) []space.Range {
	out := make([]space.Range, n)
	for i := range out {
		out[i] = fanout.Point(uint64(i) * 1000)
	}
	return out
}

// items returns the whole space and n points spread over it.
func items(n int) []space.Range {
	out := []space.Range{space.Full()}
	for i := range n {
		out = append(out, fanout.Point(uint64(i)*(math.MaxUint64/uint64(n))))
	}
	return out
}

// twoReplicas lists a local replica, tried first, and a remote one.
func twoReplicas() []fanout.Target {
	return []fanout.Target{
		{Addr: "local", Range: space.Full(), DC: "here"},
		{Addr: "remote", Range: space.Full(), DC: "there"},
	}
}
