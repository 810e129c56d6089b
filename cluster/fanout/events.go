package fanout

import (
	"fmt"
	"time"
)

// finish handles a call that returned.
func (r *run) finish(o outcome) error {
	c := o.c
	c.cancel()
	delete(r.calls, c)
	for _, u := range c.units {
		u.flying--
	}
	if o.err == nil {
		r.f.penalties.clear(c.target.Addr)
		r.succeed(c, o)
		return nil
	}
	if c.dropped {
		return nil // its units were answered elsewhere
	}
	if r.ctx.Err() != nil {
		return r.interrupted()
	}
	r.f.metrics.failures.Add(1)
	r.f.penalties.fail(c.target.Addr)
	r.lastErr = fmt.Errorf("view %s: %w", c.target.Addr, o.err)
	var redo []*unit
	for _, u := range c.units {
		// A unit another call (a hedge) is still working on waits for it.
		if !u.done && u.flying == 0 {
			redo = append(redo, u)
		}
	}
	return r.dispatch(redo, retry)
}

// succeed delivers a successful call's results for the units no other call
// answered first, and cancels the calls left with nothing to answer.
func (r *run) succeed(c *call, o outcome) {
	r.f.observe(r.req.Class, o.elapsed)
	fresh := make([]Unit, 0, len(c.units))
	for _, u := range c.units {
		if !u.done {
			u.done = true
			r.left--
			fresh = append(fresh, u.Unit)
		}
	}
	if len(fresh) == 0 {
		return
	}
	if c.kind == hedge {
		r.f.metrics.hedgesWon.Add(1)
	}
	if o.deliver != nil {
		o.deliver(fresh)
	}
	r.dropLosers()
}

// dropLosers cancels the calls in flight whose units are all done.
func (r *run) dropLosers() {
	for c := range r.calls {
		if c.dropped || !allDone(c.units) {
			continue
		}
		c.dropped = true
		c.hedgeAt = time.Time{}
		c.cancel()
	}
}

func allDone(units []*unit) bool {
	for _, u := range units {
		if !u.done {
			return false
		}
	}
	return true
}

// fireHedges races another replica for the units of calls that have run
// past their hedge time. A unit gets at most one hedge at a time: units
// already raced by two calls are left alone.
func (r *run) fireHedges(now time.Time) {
	var slow []*unit
	for c := range r.calls {
		if c.hedgeAt.IsZero() || now.Before(c.hedgeAt) {
			continue
		}
		c.hedgeAt = time.Time{}
		for _, u := range c.units {
			if !u.done && u.flying == 1 {
				slow = append(slow, u)
			}
		}
	}
	if len(slow) == 0 {
		return
	}
	// Units with no other replica simply keep waiting for their call.
	groups, _ := r.assign(slow, hedge)
	for _, g := range groups {
		r.launch(g, hedge)
	}
}

// fireRetries starts a new round for the units whose backoff is over,
// re-reading the targets first so that views that came back or replaced
// the failed ones are found.
func (r *run) fireRetries(now time.Time) error {
	var due []*unit
	kept := r.waiting[:0]
	for _, u := range r.waiting {
		if now.Before(u.retryAt) {
			kept = append(kept, u)
			continue
		}
		u.retryAt, u.tried = time.Time{}, addrSet{}
		due = append(due, u)
	}
	r.waiting = kept
	if len(due) == 0 {
		return nil
	}
	r.readTargets()
	return r.dispatch(due, retry)
}
