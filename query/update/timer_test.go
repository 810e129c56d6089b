package update

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/logentry"
)

// TestWatchExpires is the timer's rule, step by step: a transaction is
// aborted once seen undecided for longer than the timeout, again only
// after another timeout, and forgotten once decided.
func TestWatchExpires(t *testing.T) {
	const timeout = 10 * time.Second
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	w := newWatch(timeout)
	steps := []struct {
		at      time.Duration
		pending []uint64
		abort   []uint64
	}{
		{0, []uint64{5}, nil},                           // 5 first seen
		{timeout, []uint64{5, 7}, nil},                  // 5 not yet over the timeout; 7 first seen
		{timeout + 1, []uint64{5, 7}, []uint64{5}},      // 5 expired
		{2 * timeout, []uint64{5, 7}, nil},              // 5 aborted within the timeout: not again
		{2*timeout + 2, []uint64{5, 7}, []uint64{5, 7}}, // 5 still undecided: again; 7 expired
		{2*timeout + 3, []uint64{7}, nil},               // 5 decided: forgotten
		{2*timeout + 4, []uint64{5, 7}, nil},            // 5 back (a view restarted): its clock starts again
		{3*timeout + 5, []uint64{5}, []uint64{5}},
	}
	for i, s := range steps {
		if got := w.expired(start.Add(s.at), s.pending); !slices.Equal(got, s.abort) {
			t.Fatalf("step %d at %v: aborts %v, want %v", i, s.at, got, s.abort)
		}
	}
}

// TestTimerRun drives Run with a fake clock: it aborts a transaction left
// undecided past the timeout, and returns when its context ends.
func TestTimerRun(t *testing.T) {
	const timeout = time.Second
	log := newMemLog()
	in := NewInserter(log.graph, log)
	for _, tsv := range []string{"<a> <p> 1\n", "<a> <p> 2\n", "<a> <p> 3\n"} {
		apply(t, in, insertReq(t, tsv)) // a decision must come after its transaction
	}
	clock := newFakeClock()
	timer := &Timer{Log: log, Timeout: timeout, Clock: clock, Logger: zerolog.Nop(),
		Pending: func() []uint64 { return []uint64{3} }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		timer.Run(ctx)
	}()

	clock.tickAt(0) // 3 first seen
	clock.tickAt(timeout)
	clock.tickAt(timeout) // returns once the previous tick was handled
	if log.length() != 3 {
		t.Fatalf("the timer appended %d entries before the timeout", log.length()-3)
	}
	clock.tickAt(timeout + time.Millisecond)
	clock.tickAt(timeout + time.Millisecond)
	if d := log.decisions(); !slices.Equal(d, []logentry.Decision{{Tx: 3}}) {
		t.Fatalf("decisions %v, want an abort of 3", d)
	}
	cancel()
	<-done
}

// TestClientGoneAwayIsAbortedByTimer: a client goes away between
// appending its transaction and deciding it. The transaction stays
// pending in the views, invisible, until a timer aborts it.
func TestClientGoneAwayIsAbortedByTimer(t *testing.T) {
	log := newMemLog()
	in := NewInserter(log.graph, log)
	apply(t, in, insertReq(t, "<a> <p> 1\n"))
	a, p := kid(t, log.graph, 1, "a"), kid(t, log.graph, 1, "p")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log.setBeforeAppend(func(ctx context.Context, data []byte) error {
		if isUpdate(data) { // another writer gets in first: a decision is needed
			log.put(rawInsert(t, a, p, storage.AInt64(7, 0)))
			return nil
		}
		cancel() // the client goes away before appending its decision
		return ctx.Err()
	})

	_, err := in.Apply(ctx, insertReq(t, "<a> <p> 2\n"))
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "outcome unknown") {
		t.Fatalf("Apply = %v, want the decision's failure, outcome unknown", err)
	}
	log.setBeforeAppend(nil)
	if got := log.graph.Pending(); !slices.Equal(got, []uint64{3}) {
		t.Fatalf("views hold undecided %v, want the transaction at 3", got)
	}

	clock := newFakeClock()
	timer := &Timer{Log: log, Timeout: time.Second, Pending: log.graph.Pending, Clock: clock, Logger: zerolog.Nop()}
	timerCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		timer.Run(timerCtx)
	}()
	clock.tickAt(0)
	clock.tickAt(2 * time.Second)
	clock.tickAt(2 * time.Second)
	stop()
	<-done

	if d := log.decisions(); !slices.Equal(d, []logentry.Decision{{Tx: 3}}) {
		t.Fatalf("decisions %v, want the timer's abort of 3", d)
	}
	if got := log.graph.Pending(); len(got) != 0 {
		t.Fatalf("views still hold undecided %v", got)
	}
	if n := count(t, log.graph, log.length(), "a", "p", storage.AInt64(2, 0)); n != 0 {
		t.Fatal("the abandoned transaction's fact is in the graph")
	}
}

// TestTimerAbortBeforeCommitMeansRetry: a timer's abort lands before the
// client's commit. Only the first decision counts, so the client reads
// the log, sees its transaction aborted, and tries again.
func TestTimerAbortBeforeCommitMeansRetry(t *testing.T) {
	log := newMemLog()
	in := NewInserter(log.graph, log)
	apply(t, in, insertReq(t, "<a> <p> 1\n"))
	a, p := kid(t, log.graph, 1, "a"), kid(t, log.graph, 1, "p")
	log.setBeforeAppend(func(_ context.Context, data []byte) error {
		if isUpdate(data) {
			log.put(rawInsert(t, a, p, storage.AInt64(7, 0)))
			return nil
		}
		if d, ok := logentry.DecisionOf(log.length()+1, data); ok && d.Commit {
			log.setBeforeAppend(nil)
			abort, err := logentry.EncodeDecision(d.Tx, false)
			if err != nil {
				return err
			}
			log.put(abort) // the timer's abort gets in first
		}
		return nil
	})

	res := apply(t, in, insertReq(t, "<a> <p> 2\n"))
	if res.Attempts != 2 {
		t.Fatalf("Result = %+v, want a second attempt after the abort", res)
	}
	if d := log.decisions(); !slices.Equal(d, []logentry.Decision{{Tx: 3}, {Tx: 3, Commit: true}}) {
		t.Fatalf("decisions %v, want the timer's abort of 3, then the client's commit", d)
	}
	if n := count(t, log.graph, log.length(), "a", "p", storage.AInt64(2, 0)); n != 1 {
		t.Fatalf("%d facts <a> <p> 2, want the retry's only", n)
	}
}
