package fanout_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
)

// fakeViews are fanout targets answered in memory. Each call "streams"
// one result per unit into a buffer of its own, the way the view client
// reads a lookup's chunks, and a view told to break does so after
// streaming half of its units. Deliver hands over the buffer.
type fakeViews struct {
	mu        sync.Mutex
	broken    map[string]int // address -> calls left to break (-1: always)
	calls     map[string]int // address -> calls made
	delivered map[int][]string
}

func newFakeViews() *fakeViews {
	return &fakeViews{broken: map[string]int{}, calls: map[string]int{}, delivered: map[int][]string{}}
}

// breakCalls makes the next n calls to addr fail part-way (-1: all).
func (f *fakeViews) breakCalls(addr string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.broken[addr] = n
}

func (f *fakeViews) callsTo(addr string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[addr]
}

// breaks reports whether this call to addr fails, counting it.
func (f *fakeViews) breaks(addr string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[addr]++
	switch n := f.broken[addr]; {
	case n < 0:
		return true
	case n > 0:
		f.broken[addr] = n - 1
		return true
	}
	return false
}

func (f *fakeViews) call(ctx context.Context, t fanout.Target, units []fanout.Unit) (fanout.Deliver, error) {
	breaks := f.breaks(t.Addr)
	var streamed []fanout.Unit
	for i, u := range units {
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
			f.delivered[u.Item] = append(f.delivered[u.Item], t.Addr)
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
		if got := f.delivered[i]; len(got) != 1 || got[0] != want {
			t.Fatalf("item %d delivered by %v, want once by %s", i, got, want)
		}
	}
	f.delivered = map[int][]string{}
}

func points(n int) []space.Range {
	out := make([]space.Range, n)
	for i := range out {
		out[i] = fanout.Point(uint64(i) * 1000)
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

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestMidRequestFailureRetriedElsewhere: the preferred replica dies
// mid-request, after streaming part of its answer. The request succeeds
// from the other replica, and each item is delivered exactly once, by
// it: the broken call's partial results are never handed over.
func TestMidRequestFailureRetriedElsewhere(t *testing.T) {
	views := newFakeViews()
	views.breakCalls("local", 1)
	f := newFanout(t, fanout.Config{LocalDC: "here", DisableHedging: true})
	const n = 40
	err := f.Run(timeout(t, 10*time.Second), fanout.Request{Class: "Lookup", Items: points(n),
		Targets: twoReplicas, Call: views.call})
	if err != nil {
		t.Fatal(err)
	}
	views.checkOnce(t, n, "remote")
	if st := f.Stats(); st.Failures != 1 || st.Retries != 1 {
		t.Fatalf("stats %+v: want the one broken call, retried once", st)
	}
}

// TestFailedViewIsAvoided: after a call to a view fails, later requests
// go straight to another replica until the penalty is over; then the
// view is preferred again, and one success clears a penalty early.
func TestFailedViewIsAvoided(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1000, 0)}
	views := newFakeViews()
	views.breakCalls("local", 1)
	f := newFanout(t, fanout.Config{LocalDC: "here", DisableHedging: true, Penalty: 5 * time.Second, Now: clock.Now})
	req := fanout.Request{Class: "Lookup", Items: points(3), Targets: twoReplicas, Call: views.call}
	run := func() {
		t.Helper()
		if err := f.Run(timeout(t, 10*time.Second), req); err != nil {
			t.Fatal(err)
		}
	}
	run() // local fails, remote answers
	views.checkOnce(t, 3, "remote")
	for range 5 {
		run()
		views.checkOnce(t, 3, "remote")
	}
	if got := views.callsTo("local"); got != 1 {
		t.Fatalf("%d calls to the failed view during its penalty, want only the first", got)
	}
	clock.advance(5 * time.Second)
	run()
	views.checkOnce(t, 3, "local")

	// A success ends a penalty early: with the remote replica gone, the
	// penalized local one answers, and is then preferred again.
	views.breakCalls("local", 1)
	run()
	views.checkOnce(t, 3, "remote")
	views.breakCalls("remote", -1)
	run()
	views.checkOnce(t, 3, "local")
	views.breakCalls("remote", 0)
	run()
	views.checkOnce(t, 3, "local")
}

// TestRetriesUntilViewReturns: the only replica of a range fails for more
// rounds than Config.Rounds (a restarted view whose connection is still
// waiting to reconnect); the request keeps retrying within its patience
// and succeeds once the view answers.
func TestRetriesUntilViewReturns(t *testing.T) {
	views := newFakeViews()
	views.breakCalls("only", 6)
	f := newFanout(t, fanout.Config{DisableHedging: true, Rounds: 2, Backoff: time.Millisecond, Patience: time.Minute})
	only := func() []fanout.Target { return []fanout.Target{{Addr: "only", Range: space.Full()}} }
	err := f.Run(timeout(t, time.Minute), fanout.Request{Class: "Lookup", Items: points(1), Targets: only, Call: views.call})
	if err != nil {
		t.Fatal(err)
	}
	views.checkOnce(t, 1, "only")
	if got := views.callsTo("only"); got != 7 {
		t.Fatalf("%d calls, want 6 failed and 1 that answered", got)
	}
}

// TestUncoveredNamesTheRange: when every replica of a partition fails for
// good, the request fails with ErrUncovered naming the partition's range,
// not only the hash looked up.
func TestUncoveredNamesTheRange(t *testing.T) {
	first, err := space.Partition(1, 2)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := space.Partition(2, 2)
	views := newFakeViews()
	views.breakCalls("first-a", -1)
	views.breakCalls("first-b", -1)
	targets := func() []fanout.Target {
		return []fanout.Target{{Addr: "first-a", Range: first}, {Addr: "first-b", Range: first}, {Addr: "second", Range: second}}
	}
	f := newFanout(t, fanout.Config{DisableHedging: true, Backoff: time.Millisecond, Patience: time.Millisecond})
	err = f.Run(timeout(t, time.Minute), fanout.Request{Class: "Lookup", Items: []space.Range{fanout.Point(5)},
		Targets: targets, Call: views.call})
	if !errors.Is(err, fanout.ErrUncovered) || !strings.Contains(err.Error(), first.String()) {
		t.Fatalf("Run = %v, want ErrUncovered naming %s", err, first)
	}
}
