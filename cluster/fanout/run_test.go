package fanout_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
)

// partition returns partition i of n of the space.
func partition(t *testing.T, i, n int) space.Range {
	t.Helper()
	r, err := space.Partition(i, n)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRunTilesMidReshard: with the space partitioned 2 and 3 ways at
// once, one 2-way view gone and one 3-way view dead but still listed,
// every item is delivered exactly once, in pieces that each lie inside
// the view that answered them (the fake views check that), and the calls
// to the dead view are retried elsewhere.
func TestRunTilesMidReshard(t *testing.T) {
	views := newFakeViews(t)
	views.breakCalls("3way-1", -1)
	targets := func() []fanout.Target {
		return []fanout.Target{
			{Addr: "2way-1", Range: partition(t, 1, 2)}, // 2way-2 is gone
			{Addr: "3way-1", Range: partition(t, 1, 3)},
			{Addr: "3way-2", Range: partition(t, 2, 3)},
			{Addr: "3way-3", Range: partition(t, 3, 3)},
		}
	}
	// The clock never moves: no call is ever slow, so nothing is hedged.
	f := newFanout(t, fanout.Config{Clock: newFakeClock()})
	its := items(50)
	for range 10 {
		if err := f.Run(context.Background(), fanout.Request{Class: "Lookup", Items: its, Targets: targets, Call: views.call}); err != nil {
			t.Fatal(err)
		}
		views.checkTiled(t, its)
	}
	if st := f.Stats(); st.Failures == 0 || st.Retries == 0 || st.Hedges != 0 {
		t.Fatalf("stats %+v: want failed calls to the dead view, retried, and no hedge", st)
	}
}

// TestSlowReplicaIsHedged: a call that has not answered once the hedge
// delay has passed is raced by a call to the other replica; that answer
// is used, each item is delivered once, and the slow call is cancelled
// and has returned when Run does.
func TestSlowReplicaIsHedged(t *testing.T) {
	views := newFakeViews(t)
	views.arrivals = make(chan string, 4)
	views.hold("local") // never released: only cancellation ends its call
	clock := newFakeClock()
	f := newFanout(t, fanout.Config{LocalDC: "here", Clock: clock})
	const n = 5
	ctx := testContext(t) // ends a Run left behind by a failed test
	done := make(chan error, 1)
	go func() {
		done <- f.Run(ctx, fanout.Request{Class: "Lookup", Items: points(n), Targets: twoReplicas, Call: views.call})
	}()
	views.waitArrival(t, "local", "first try")
	clock.Advance(f.HedgeDelay("Lookup"))
	views.waitArrival(t, "remote", "after the hedge delay")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	views.checkOnce(t, n, "remote")
	if st := f.Stats(); st.RPCs != 2 || st.Hedges != 1 || st.HedgesWon != 1 || st.Failures != 0 {
		t.Fatalf("stats %+v: want one first try and one winning hedge", st)
	}
	if got := views.cancelledAt("local"); got != 1 {
		t.Fatalf("%d calls to the slow replica were cancelled, want 1", got)
	}
	if got := views.inFlight(); got != 0 {
		t.Fatalf("%d calls still running when Run returned", got)
	}
}

// TestRunWithoutHedging: with hedging off, a slow replica's answer is
// waited for however long it takes, and no other replica is asked.
func TestRunWithoutHedging(t *testing.T) {
	views := newFakeViews(t)
	views.arrivals = make(chan string, 4)
	release := views.hold("local")
	clock := newFakeClock()
	f := newFanout(t, fanout.Config{LocalDC: "here", DisableHedging: true, Clock: clock})
	ctx := testContext(t) // ends a Run left behind by a failed test
	done := make(chan error, 1)
	go func() {
		done <- f.Run(ctx, fanout.Request{Class: "Lookup", Items: points(3), Targets: twoReplicas, Call: views.call})
	}()
	views.waitArrival(t, "local", "first try")
	clock.Advance(time.Hour)
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	views.checkOnce(t, 3, "local")
	if st := f.Stats(); st.RPCs != 1 || st.Hedges != 0 {
		t.Fatalf("stats %+v: want the one call, unhedged", st)
	}
}

// TestHedgeDelayFollowsLatencies: the hedge delay comes from the
// latencies of completed calls as the configured clock measures them.
func TestHedgeDelayFollowsLatencies(t *testing.T) {
	const latency = 30 * time.Millisecond
	clock := newFakeClock()
	f := newFanout(t, fanout.Config{DisableHedging: true, Clock: clock})
	call := func(context.Context, fanout.Target, []fanout.Unit) (fanout.Deliver, error) {
		clock.Advance(latency)
		return nil, nil
	}
	req := fanout.Request{Class: "Lookup", Items: points(1), Targets: twoReplicas, Call: call}
	if d := f.HedgeDelay("Lookup"); d != fanout.DefaultHedgeInitial {
		t.Fatalf("hedge delay before any call = %v, want %v", d, fanout.DefaultHedgeInitial)
	}
	for range 20 {
		if err := f.Run(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	if d := f.HedgeDelay("Lookup"); d != latency {
		t.Fatalf("hedge delay after calls of %v = %v", latency, d)
	}
}

// TestRunCancelled: when the request's context ends while no replica
// answers, Run returns the context's error, and every call it made (the
// first try and its hedge) has returned by then.
func TestRunCancelled(t *testing.T) {
	views := newFakeViews(t)
	views.arrivals = make(chan string, 4)
	views.hold("local")
	views.hold("remote")
	clock := newFakeClock()
	f := newFanout(t, fanout.Config{LocalDC: "here", Clock: clock})
	ctx, cancel := cancellable(t)
	done := make(chan error, 1)
	go func() {
		done <- f.Run(ctx, fanout.Request{Class: "Lookup", Items: points(5), Targets: twoReplicas, Call: views.call})
	}()
	views.waitArrival(t, "local", "first try")
	clock.Advance(f.HedgeDelay("Lookup"))
	views.waitArrival(t, "remote", "after the hedge delay")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want Canceled", err)
	}
	if got := views.inFlight(); got != 0 {
		t.Fatalf("%d of 2 calls still running when Run returned", got)
	}
}

// TestRoundsBeforeFailing: a range whose only replica keeps failing is
// swept Config.Rounds times, even with no patience left, before the
// request fails.
func TestRoundsBeforeFailing(t *testing.T) {
	views := newFakeViews(t)
	views.breakCalls("only", -1)
	clock := newFakeClock()
	f := newFanout(t, fanout.Config{DisableHedging: true, Rounds: 3, Patience: time.Nanosecond, Clock: clock})
	only := func() []fanout.Target { return []fanout.Target{{Addr: "only", Range: space.Full()}} }
	err := runDriven(context.Background(), f, clock, fanout.Request{Class: "Lookup", Items: points(1), Targets: only, Call: views.call})
	if !errors.Is(err, fanout.ErrUncovered) {
		t.Fatalf("Run = %v, want ErrUncovered", err)
	}
	if got := views.callsTo("only"); got != 3 {
		t.Fatalf("%d calls, want one per round (3)", got)
	}
}

// TestPatienceBoundsRetries: after its rounds, a request keeps retrying
// a failing range until Config.Patience has passed since it started, and
// then gives up within one backoff.
func TestPatienceBoundsRetries(t *testing.T) {
	const patience = 10 * time.Second
	// The longest pause between two rounds: maxBackoff with its jitter.
	const longestBackoff = 600 * time.Millisecond
	views := newFakeViews(t)
	views.breakCalls("only", -1)
	clock := newFakeClock()
	f := newFanout(t, fanout.Config{DisableHedging: true, Rounds: 2, Patience: patience, Clock: clock})
	only := func() []fanout.Target { return []fanout.Target{{Addr: "only", Range: space.Full()}} }
	start := clock.Now()
	err := runDriven(context.Background(), f, clock, fanout.Request{Class: "Lookup", Items: points(1), Targets: only, Call: views.call})
	if !errors.Is(err, fanout.ErrUncovered) {
		t.Fatalf("Run = %v, want ErrUncovered", err)
	}
	if took := clock.Now().Sub(start); took < patience || took > patience+longestBackoff {
		t.Fatalf("gave up after %v of fake time, want between %v and %v", took, patience, patience+longestBackoff)
	}
	if got := views.callsTo("only"); got <= 2 {
		t.Fatalf("%d calls: no retry after the 2 rounds", got)
	}
}

// TestRunRejectsBadItems: an invalid range is an error, not a panic.
func TestRunRejectsBadItems(t *testing.T) {
	f := newFanout(t, fanout.Config{})
	err := f.Run(context.Background(), fanout.Request{Items: []space.Range{{Start: 2, End: 1}},
		Targets: func() []fanout.Target { return nil },
		Call:    func(context.Context, fanout.Target, []fanout.Unit) (fanout.Deliver, error) { return nil, nil }})
	if err == nil {
		t.Fatal("Run accepted an invalid item")
	}
	if err := f.Run(context.Background(), fanout.Request{Items: items(1)}); err == nil {
		t.Fatal("Run accepted a request without Targets and Call")
	}
}

// drainingRemote lists a local replica and a remote one that is draining.
func drainingRemote() []fanout.Target {
	return []fanout.Target{
		{Addr: "local", Range: space.Full(), DC: "here"},
		{Addr: "remote", Range: space.Full(), DC: "there", Draining: true},
	}
}

// TestDrainingViewIsNotHedgedTo: a slow call is not hedged to a draining
// view, which may be stopped at any moment; its answer is waited for.
func TestDrainingViewIsNotHedgedTo(t *testing.T) {
	views := newFakeViews(t)
	views.arrivals = make(chan string, 4)
	release := views.hold("local")
	clock := newFakeClock()
	f := newFanout(t, fanout.Config{LocalDC: "here", Clock: clock})
	ctx := testContext(t)
	done := make(chan error, 1)
	go func() {
		done <- f.Run(ctx, fanout.Request{Class: "Lookup", Items: points(3), Targets: drainingRemote, Call: views.call})
	}()
	views.waitArrival(t, "local", "first try")
	clock.Advance(10 * f.HedgeDelay("Lookup"))
	select {
	case addr := <-views.arrivals:
		t.Fatalf("a call went to %s after the hedge delay", addr)
	case <-time.After(100 * time.Millisecond):
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	views.checkOnce(t, 3, "local")
	if st := f.Stats(); st.RPCs != 1 || st.Hedges != 0 {
		t.Fatalf("stats %+v: want the one call, unhedged", st)
	}
}

// TestDrainingViewIsTheLastResort: the first try avoids a draining view
// even when it is local, but a retry uses it when no other view is left.
func TestDrainingViewIsTheLastResort(t *testing.T) {
	views := newFakeViews(t)
	views.breakCalls("remote", 1)
	f := newFanout(t, fanout.Config{LocalDC: "here", DisableHedging: true, Clock: newFakeClock()})
	targets := func() []fanout.Target {
		return []fanout.Target{
			{Addr: "local", Range: space.Full(), DC: "here", Draining: true},
			{Addr: "remote", Range: space.Full(), DC: "there"},
		}
	}
	const n = 10
	if err := f.Run(context.Background(), fanout.Request{Class: "Lookup", Items: points(n), Targets: targets, Call: views.call}); err != nil {
		t.Fatal(err)
	}
	views.checkOnce(t, n, "local")
	if st := f.Stats(); st.RPCs != 2 || st.Failures != 1 || st.Retries != 1 {
		t.Fatalf("stats %+v: want the remote call broken, retried on the draining view", st)
	}
}
