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
	// each further round.
	DefaultBackoff = 50 * time.Millisecond
)

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
	// Rounds is how many sweeps over all replicas a unit gets; Backoff is
	// the pause before the second sweep (doubling after that).
	Rounds  int
	Backoff time.Duration
	// Registerer receives the fanout metrics; nil: not exported.
	Registerer prometheus.Registerer
}

// withDefaults fills in zero fields and checks the others.
func (c Config) withDefaults() (Config, error) {
	setDuration(&c.HedgeFloor, DefaultHedgeFloor)
	setDuration(&c.HedgeCap, DefaultHedgeCap)
	setDuration(&c.HedgeInitial, DefaultHedgeInitial)
	setDuration(&c.Backoff, DefaultBackoff)
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
	case c.HedgeInitial < 0 || c.Backoff < 0:
		return c, fmt.Errorf("fanout: negative hedge initial delay %v or backoff %v", c.HedgeInitial, c.Backoff)
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
