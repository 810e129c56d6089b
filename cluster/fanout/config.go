package fanout

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults for the zero fields of Config.
const (
	// DefaultHedgeQuantile is the quantile of recent call latencies after
	// which a call is hedged: about 1 call in 20 gets a second replica when
	// all views are healthy.
	DefaultHedgeQuantile = 0.95
	// DefaultHedgeFloor keeps a fast cluster from hedging on scheduling
	// noise.
	DefaultHedgeFloor = 10 * time.Millisecond
	// DefaultHedgeCap bounds how long a call waits before hedging, however
	// slow recent calls were.
	DefaultHedgeCap = time.Second
	// DefaultHedgeInitial is the hedge delay until enough latencies are
	// known.
	DefaultHedgeInitial = 50 * time.Millisecond
	// DefaultMaxLag is how far (in log entries) a view's advertised applied
	// index may trail the newest before the view counts as lagging. Gossip
	// refreshes applied indexes about twice a second, so healthy views
	// differ by up to half a second of writes.
	DefaultMaxLag = 10000
	// DefaultRounds is how many times a unit may go through all of its
	// replicas before the request fails.
	DefaultRounds = 3
	// DefaultBackoff is the pause before the second round; it doubles for
	// each further round, up to maxBackoff.
	DefaultBackoff = 50 * time.Millisecond
	// DefaultPatience is how long a request keeps retrying a unit, in
	// further rounds, after its Rounds are spent. It spans what a view
	// restart looks like from an API server: gossip learning that the
	// view serves again, and the gRPC connection to it reconnecting.
	DefaultPatience = 2 * time.Second
	// DefaultPenalty is how long a view whose call failed is avoided
	// while another replica can answer: about as long as gossip takes to
	// notice a dead view and stop listing it.
	DefaultPenalty = 3 * time.Second
)

// maxBackoff bounds the pause between two rounds, so that a view that
// comes back is found soon after.
const maxBackoff = 400 * time.Millisecond

// Config tunes a Fanout. The zero value gives hedging on and the defaults
// above.
type Config struct {
	// LocalDC is this server's datacenter: its views are preferred.
	LocalDC string
	// DisableHedging turns hedging off.
	DisableHedging bool
	// HedgeQuantile, HedgeFloor, HedgeCap and HedgeInitial set the hedge
	// delay: the HedgeQuantile of recent successful call latencies of the
	// same class (but at most 4 times their median), kept within
	// [HedgeFloor, HedgeCap]; HedgeInitial until enough calls have been
	// seen.
	HedgeQuantile float64
	HedgeFloor    time.Duration
	HedgeCap      time.Duration
	HedgeInitial  time.Duration
	// MaxLag is how far a view may trail the newest view's applied index
	// and still be preferred.
	MaxLag uint64
	// Rounds is how many sweeps over all replicas a unit gets at least;
	// Backoff is the pause before the second sweep (doubling after that).
	// After Rounds sweeps, a unit is still retried until Patience has
	// passed since the request started (or its context ends).
	Rounds   int
	Backoff  time.Duration
	Patience time.Duration
	// Penalty is how long a view whose call failed is tried only when no
	// other replica is left (a success ends it early).
	Penalty time.Duration
	// Clock measures hedge delays, backoffs, patience and penalties;
	// nil: the system clock.
	Clock Clock
	// Registerer receives the fanout metrics; nil: not exported.
	Registerer prometheus.Registerer
}

// withDefaults fills in zero fields and checks the others.
func (c Config) withDefaults() (Config, error) {
	setDuration(&c.HedgeFloor, DefaultHedgeFloor)
	setDuration(&c.HedgeCap, DefaultHedgeCap)
	setDuration(&c.HedgeInitial, DefaultHedgeInitial)
	setDuration(&c.Backoff, DefaultBackoff)
	setDuration(&c.Patience, DefaultPatience)
	setDuration(&c.Penalty, DefaultPenalty)
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	if c.HedgeQuantile == 0 {
		c.HedgeQuantile = DefaultHedgeQuantile
	}
	if c.MaxLag == 0 {
		c.MaxLag = DefaultMaxLag
	}
	if c.Rounds == 0 {
		c.Rounds = DefaultRounds
	}
	switch {
	case c.HedgeQuantile <= 0 || c.HedgeQuantile > 1:
		return c, fmt.Errorf("fanout: hedge quantile %v is not in (0, 1]", c.HedgeQuantile)
	case c.HedgeFloor < 0 || c.HedgeCap < c.HedgeFloor:
		return c, fmt.Errorf("fanout: hedge floor %v and cap %v are not 0 <= floor <= cap", c.HedgeFloor, c.HedgeCap)
	case c.HedgeInitial < 0 || c.Backoff < 0 || c.Patience < 0 || c.Penalty < 0:
		return c, fmt.Errorf("fanout: negative hedge initial delay %v, backoff %v, patience %v or penalty %v",
			c.HedgeInitial, c.Backoff, c.Patience, c.Penalty)
	case c.Rounds < 0:
		return c, fmt.Errorf("fanout: negative rounds %d", c.Rounds)
	}
	return c, nil
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}
