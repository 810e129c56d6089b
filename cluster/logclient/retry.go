package logclient

import (
	"context"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A replica that stops without closing its connections (a frozen process,
// a hung disk) answers nothing and fails nothing: a call to it ends only
// with its deadline. So a call that must not wait for one replica does not
// only fail over on errors, it also hedges: when the replica it asked has
// not answered within the hedge delay, it asks the next one too, and takes
// the first answer. Appends can be hedged because the log applies each
// (client_id, seq) at most once and answers a repeat with the indexes of
// the first; Info only reads.
//
// A replica that failed, or was overtaken by a hedge, is suspect: calls
// try it after the others, so one frozen replica costs one hedge delay,
// not one on every call. It stays suspect for at least suspectFor, and
// then until it answers an Info asked in the background, so that a
// replica frozen for long gets no calls meanwhile.

const (
	// defaultHedgeDelay is how long a hedged call waits for one replica
	// before also asking the next. Appends commit in milliseconds (p99 of
	// 200 ms with 256 clients writing 10 KB entries, docs/benchmarks.md),
	// so a hedge means the replica is stuck, not busy.
	defaultHedgeDelay = 500 * time.Millisecond
	// suspectFor is how long a replica that failed or was overtaken is
	// tried after the others, at least.
	suspectFor = 10 * time.Second
	// recheckEvery is how often a suspect replica is asked whether it
	// answers again, once suspectFor has passed; recheckTimeout bounds
	// each check.
	recheckEvery   = time.Second
	recheckTimeout = time.Second
)

// policy says how a call picks and fails over between replicas.
type policy struct {
	toLeader bool // start with the leader when it is known
	hedge    bool // ask the next replica when one is slow, not only when it fails
}

// outcome is one attempt's result.
type outcome[T any] struct {
	replica *replica
	value   T
	err     error
}

// attempts are the attempts of one call. Only the call's goroutine uses
// its fields; each attempt runs in its own goroutine and reports on done.
type attempts[T any] struct {
	c     *Client
	ctx   context.Context
	call  func(ctx context.Context, r *replica) (T, error)
	order []*replica
	next  int               // position in order of the next replica to try
	busy  map[*replica]bool // an attempt is in flight
	// inflight counts the attempts in flight; done has room for one
	// outcome per replica, so an attempt never blocks reporting.
	inflight int
	done     chan outcome[T]
	wg       sync.WaitGroup
}

// retry runs call on one replica after another until it succeeds, fails
// with a permanent error, or ctx ends; with p.hedge, a replica that has
// not answered within the hedge delay is joined by the next. It returns
// once every attempt has ended.
func retry[T any](ctx context.Context, c *Client, p policy, call func(ctx context.Context, r *replica) (T, error)) (T, error) {
	ctx, cancel := context.WithCancel(ctx)
	order := c.order(p.toLeader)
	a := &attempts[T]{c: c, ctx: ctx, call: call, order: order,
		busy: make(map[*replica]bool, len(order)), done: make(chan outcome[T], len(order))}
	defer a.wg.Wait()
	defer cancel()
	return a.run(p.hedge)
}

// run starts attempts and collects their outcomes until one settles the
// call.
func (a *attempts[T]) run(hedge bool) (T, error) {
	var zero T
	var lastErr error
	backoff := minBackoff
	failures := 0
	wake := time.NewTimer(0) // when to start another attempt
	defer wake.Stop()
	for {
		select {
		case <-wake.C:
			a.start()
			if hedge {
				wake.Reset(a.c.hedgeDelay(a.ctx))
			}
		case o := <-a.done:
			a.inflight--
			a.busy[o.replica] = false
			if o.err == nil {
				a.succeeded(o.replica)
				return o.value, nil
			}
			if err := a.c.settles(a.ctx, o.replica, o.err); err != nil {
				return zero, err
			}
			lastErr = fmt.Errorf("%s: %w", o.replica.addr, o.err)
			a.c.failed(o.replica)
			// Once every replica has failed, wait before the next round.
			delay := time.Duration(0)
			if failures++; failures%len(a.order) == 0 {
				delay, backoff = backoff, min(2*backoff, maxBackoff)
			}
			wake.Reset(delay)
		case <-a.ctx.Done():
			if lastErr == nil {
				return zero, a.ctx.Err()
			}
			return zero, fmt.Errorf("%w (last error from %v)", a.ctx.Err(), lastErr)
		}
	}
}

// start starts an attempt on the next replica in order that has none in
// flight, if there is one.
func (a *attempts[T]) start() {
	n := len(a.order)
	for k := 0; k < n; k++ {
		r := a.order[(a.next+k)%n]
		if a.busy[r] {
			continue
		}
		a.next += k + 1
		a.busy[r] = true
		a.inflight++
		a.wg.Add(1)
		go a.attempt(r)
		return
	}
}

// attempt runs the call on replica r and reports its outcome.
func (a *attempts[T]) attempt(r *replica) {
	defer a.wg.Done()
	ctx, cancel := context.WithTimeout(a.ctx, a.c.attemptTimeout(a.ctx))
	defer cancel()
	v, err := a.call(ctx, r)
	a.done <- outcome[T]{replica: r, value: v, err: err}
}

// succeeded records that replica i answered first: calls start with it,
// and the replicas still working on the call are suspect (they are slower
// than i, maybe stopped).
func (a *attempts[T]) succeeded(i *replica) {
	a.c.cur.Store(i)
	for r, busy := range a.busy {
		if busy {
			a.c.failed(r)
		}
	}
}

// settles returns the error that ends a call after an attempt on replica
// r failed with err, or nil if another attempt may succeed.
func (c *Client) settles(ctx context.Context, r *replica, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%w (last error from %s: %v)", ctx.Err(), r.addr, err)
	case !retryable(err):
		return fmt.Errorf("replica %s: %w", r.addr, err)
	}
	return nil
}

// attemptTimeout bounds one attempt: the configured attempt timeout, or
// half the time ctx has left if that is less, so that a call with a short
// deadline still has time to try another replica.
func (c *Client) attemptTimeout(ctx context.Context) time.Duration {
	d := c.opts.attemptTimeout
	if deadline, ok := ctx.Deadline(); ok {
		d = min(d, time.Until(deadline)/2)
	}
	return d
}

// hedgeDelay is how long a hedged call waits for one replica before asking
// the next: the configured delay, or less when ctx has too little time
// left to wait that long for every replica in turn.
func (c *Client) hedgeDelay(ctx context.Context) time.Duration {
	d := c.opts.hedgeDelay
	if deadline, ok := ctx.Deadline(); ok {
		d = min(d, time.Until(deadline)/time.Duration(len(c.replicas())+1))
	}
	return d
}

// failed records that replica r failed a call or was overtaken by another
// replica: it is suspect for a while, and no longer taken for the leader.
func (c *Client) failed(r *replica) {
	r.suspectUntil.Store(time.Now().Add(suspectFor).UnixNano())
	c.leader.CompareAndSwap(r, nil)
}

// suspect reports whether replica r failed or was overtaken recently, or
// has not answered a check since.
func (c *Client) suspect(r *replica, now time.Time) bool {
	until := r.suspectUntil.Load()
	if until == 0 {
		return false
	}
	if now.UnixNano() >= until {
		c.recheck(r, until)
	}
	return true
}

// recheck asks suspect replica r for Info in the background, unless a
// check is under way, and clears the suspicion (set until until) if it
// answers; if not, the next check is due in recheckEvery.
func (c *Client) recheck(r *replica, until int64) {
	if !r.rechecking.CompareAndSwap(false, true) {
		return
	}
	started := c.goBackground(func() {
		defer r.rechecking.Store(false)
		if c.probe(c.life, r, recheckTimeout) == nil {
			r.suspectUntil.CompareAndSwap(until, 0)
		} else {
			r.suspectUntil.CompareAndSwap(until, time.Now().Add(recheckEvery).UnixNano())
		}
	})
	if !started {
		r.rechecking.Store(false)
	}
}

// retryable reports whether another attempt (maybe elsewhere) may succeed.
func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.ResourceExhausted,
		codes.Canceled, codes.Unknown, codes.Internal:
		return true
	}
	return false
}
