package fanout

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// unit is the run's bookkeeping for one Unit.
type unit struct {
	Unit
	done    bool
	flying  int       // calls in flight that include the unit
	tried   addrSet   // addresses asked in this round
	rounds  int       // rounds over all replicas that failed
	retryAt time.Time // non-zero while waiting out a backoff
}

type callKind int

const (
	firstTry callKind = iota
	retry
	hedge
)

// call is one call in flight.
type call struct {
	target  Target
	units   []*unit
	start   time.Time
	hedgeAt time.Time // zero: not to be hedged (any more)
	kind    callKind
	cancel  context.CancelFunc
	dropped bool // cancelled by the run: other calls answered its units
}

// outcome is what a finished call reports to the run.
type outcome struct {
	c       *call
	deliver Deliver
	err     error
	elapsed time.Duration
}

// group is the units one new call will carry.
type group struct {
	target Target
	units  []*unit
}

// run is the state of one Run. Everything but the calls themselves runs on
// the Run goroutine, so none of it needs locking.
type run struct {
	ctx      context.Context
	f        *Fanout
	req      Request
	pool     pool
	left     int // units not done
	calls    map[*call]struct{}
	waiting  []*unit // units waiting out a backoff
	outcomes chan outcome
	timer    Timer
	lastErr  error
	start    time.Time // for Config.Patience
}

func newRun(ctx context.Context, f *Fanout, req Request) *run {
	return &run{ctx: ctx, f: f, req: req, calls: map[*call]struct{}{}, outcomes: make(chan outcome),
		timer: f.cfg.Clock.NewTimer(), start: f.cfg.Clock.Now()}
}

// loop runs until every unit is done or the request fails.
func (r *run) loop() error {
	if r.req.Targets == nil || r.req.Call == nil {
		return fmt.Errorf("fanout: request %q lacks Targets or Call", r.req.Class)
	}
	backing := make([]unit, len(r.req.Items)) // one allocation for all units
	units := make([]*unit, len(r.req.Items))
	for i, it := range r.req.Items {
		if !it.Valid() {
			return fmt.Errorf("fanout: item %d has an invalid range %s", i, it)
		}
		backing[i].Unit = Unit{Item: i, Range: it}
		units[i] = &backing[i]
	}
	r.left = len(units)
	r.readTargets()
	if err := r.dispatch(units, firstTry); err != nil {
		return err
	}
	for r.left > 0 {
		if err := r.step(); err != nil {
			return err
		}
	}
	return nil
}

// readTargets (re-)reads the targets to choose from, ranking down the
// views whose calls failed recently.
func (r *run) readTargets() {
	r.pool = newPool(r.req.Targets(), r.f.cfg, r.f.penalties.current())
}

// step waits for one event and handles it.
func (r *run) step() error {
	select {
	case o := <-r.outcomes:
		return r.finish(o)
	case now := <-r.wake():
		r.fireHedges(now)
		return r.fireRetries(now)
	case <-r.ctx.Done():
		return r.interrupted()
	}
}

// stop cancels the calls still in flight and waits for them to return.
func (r *run) stop() {
	for c := range r.calls {
		c.cancel()
	}
	for len(r.calls) > 0 {
		o := <-r.outcomes
		delete(r.calls, o.c)
	}
	r.timer.Stop()
}

func (r *run) interrupted() error {
	if r.lastErr != nil {
		return fmt.Errorf("%w (last view failure: %w)", r.ctx.Err(), r.lastErr)
	}
	return r.ctx.Err()
}

// wake returns a channel that fires at the next hedge or retry time, or
// nil when there is none.
func (r *run) wake() <-chan time.Time {
	var next time.Time
	earlier := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for c := range r.calls {
		earlier(c.hedgeAt)
	}
	for _, u := range r.waiting {
		earlier(u.retryAt)
	}
	if next.IsZero() {
		return nil
	}
	r.timer.Reset(next.Sub(r.f.cfg.Clock.Now()))
	return r.timer.C()
}

// dispatch starts calls for units that no call is working on. Units no
// target can take go through a backoff, or fail the request when out of
// rounds.
func (r *run) dispatch(units []*unit, kind callKind) error {
	groups, orphans := r.assign(r.cutAll(units), kind)
	for _, g := range groups {
		r.launch(g, kind)
	}
	for _, u := range orphans {
		if err := r.exhausted(u); err != nil {
			return err
		}
	}
	return nil
}

// cutAll replaces units that straddle a target boundary by their pieces.
func (r *run) cutAll(units []*unit) []*unit {
	out := make([]*unit, 0, len(units))
	for _, u := range units {
		pieces := r.pool.cut(u.Range)
		if pieces == nil {
			out = append(out, u)
			continue
		}
		r.left += len(pieces) - 1
		for _, p := range pieces {
			out = append(out, &unit{Unit: Unit{Item: u.Item, Range: p}, tried: u.tried.clone(), rounds: u.rounds})
		}
	}
	return out
}

// assign groups units by the target picked for each, in hash order so
// that consecutive units stick to one replica; it also returns the units
// for which no target is left. A hedge never goes to a draining view: the
// call it races is still running, so it is no last resort, and the view
// may be stopped at any moment.
func (r *run) assign(units []*unit, kind callKind) (groups []group, orphans []*unit) {
	slices.SortFunc(units, func(a, b *unit) int {
		return compare(a.Range.Start, b.Range.Start)
	})
	byTarget := map[int]int{} // target index -> group index
	sticky := -1
	for _, u := range units {
		i, ok := r.pool.pick(u, sticky)
		if !ok || (kind == hedge && r.pool.targets[i].Draining) {
			orphans = append(orphans, u)
			continue
		}
		g, seen := byTarget[i]
		if !seen {
			g = len(groups)
			byTarget[i] = g
			groups = append(groups, group{target: r.pool.targets[i]})
		}
		groups[g].units = append(groups[g].units, u)
		sticky = i
	}
	return groups, orphans
}

func compare(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// launch starts one call in its own goroutine, which always reports an
// outcome; stop collects those of calls still in flight.
func (r *run) launch(g group, kind callKind) {
	ctx, cancel := context.WithCancel(r.ctx)
	c := &call{target: g.target, units: g.units, start: r.f.cfg.Clock.Now(), kind: kind, cancel: cancel}
	if !r.f.cfg.DisableHedging {
		c.hedgeAt = c.start.Add(r.f.lat.delay(r.req.Class))
	}
	units := make([]Unit, len(g.units))
	for i, u := range g.units {
		u.flying++
		u.tried.add(g.target.Addr)
		units[i] = u.Unit
	}
	r.calls[c] = struct{}{}
	r.count(kind)
	go func() {
		d, err := r.req.Call(ctx, c.target, units)
		r.outcomes <- outcome{c: c, deliver: d, err: err, elapsed: r.f.cfg.Clock.Now().Sub(c.start)}
	}()
}

func (r *run) count(kind callKind) {
	m := r.f.metrics
	m.rpcs.Add(1)
	switch kind {
	case retry:
		m.retries.Add(1)
	case hedge:
		m.hedges.Add(1)
	}
}

// exhausted handles a unit no target is left for: if no call is working
// on it any more, it waits out a backoff before a new round, or fails the
// request when it has had all its rounds and the request's patience is
// spent.
func (r *run) exhausted(u *unit) error {
	if u.flying > 0 {
		return nil
	}
	u.rounds++
	if u.rounds >= r.f.cfg.Rounds && r.f.cfg.Clock.Now().Sub(r.start) >= r.f.cfg.Patience {
		err := fmt.Errorf("hash range %s: %w", r.pool.uncovered(u.Range), ErrUncovered)
		if r.lastErr != nil {
			err = fmt.Errorf("%w (last view failure: %w)", err, r.lastErr)
		}
		return err
	}
	// Jitter keeps API servers that lost the same view from retrying in
	// lockstep.
	backoff := min(r.f.cfg.Backoff<<min(u.rounds-1, 10), maxBackoff)
	backoff = backoff/2 + rand.N(backoff+1)
	u.retryAt = r.f.cfg.Clock.Now().Add(backoff)
	r.waiting = append(r.waiting, u)
	return nil
}

// addrSet is a small set of addresses: a unit rarely has more than a few
// replicas, so the first ones are kept inline rather than allocated.
type addrSet struct {
	inline [3]string
	n      int
	more   []string
}

func (s *addrSet) add(a string) {
	if s.n < len(s.inline) {
		s.inline[s.n] = a
		s.n++
		return
	}
	s.more = append(s.more, a)
}

func (s *addrSet) has(a string) bool {
	return slices.Contains(s.inline[:s.n], a) || slices.Contains(s.more, a)
}

func (s *addrSet) clone() addrSet {
	c := *s
	c.more = slices.Clone(s.more)
	return c
}
