package fanout_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
)

// TestMidRequestFailureRetriedElsewhere: the preferred replica dies
// mid-request, after streaming part of its answer. The request succeeds
// from the other replica, and each item is delivered exactly once, by
// it: the broken call's partial results are never handed over.
func TestMidRequestFailureRetriedElsewhere(t *testing.T) {
	views := newFakeViews(t)
	views.breakCalls("local", 1)
	f := newFanout(t, fanout.Config{LocalDC: "here", DisableHedging: true, Clock: newFakeClock()})
	const n = 40
	err := f.Run(context.Background(), fanout.Request{Class: "Lookup", Items: points(n),
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
	clock := newFakeClock()
	views := newFakeViews(t)
	views.breakCalls("local", 1)
	f := newFanout(t, fanout.Config{LocalDC: "here", DisableHedging: true, Penalty: 5 * time.Second, Clock: clock})
	req := fanout.Request{Class: "Lookup", Items: points(3), Targets: twoReplicas, Call: views.call}
	run := func() {
		t.Helper()
		if err := f.Run(context.Background(), req); err != nil {
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
	clock.Advance(5 * time.Second)
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
	views := newFakeViews(t)
	views.breakCalls("only", 6)
	clock := newFakeClock()
	f := newFanout(t, fanout.Config{DisableHedging: true, Rounds: 2, Patience: time.Minute, Clock: clock})
	only := func() []fanout.Target { return []fanout.Target{{Addr: "only", Range: space.Full()}} }
	err := runDriven(context.Background(), f, clock, fanout.Request{Class: "Lookup", Items: points(1), Targets: only, Call: views.call})
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
	views := newFakeViews(t)
	views.breakCalls("first-a", -1)
	views.breakCalls("first-b", -1)
	targets := func() []fanout.Target {
		return []fanout.Target{{Addr: "first-a", Range: first}, {Addr: "first-b", Range: first}, {Addr: "second", Range: second}}
	}
	clock := newFakeClock()
	f := newFanout(t, fanout.Config{DisableHedging: true, Patience: time.Millisecond, Clock: clock})
	err = runDriven(context.Background(), f, clock, fanout.Request{Class: "Lookup", Items: []space.Range{fanout.Point(5)},
		Targets: targets, Call: views.call})
	if !errors.Is(err, fanout.ErrUncovered) || !strings.Contains(err.Error(), first.String()) {
		t.Fatalf("Run = %v, want ErrUncovered naming %s", err, first)
	}
}
