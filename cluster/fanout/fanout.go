package fanout

import (
	"context"
	"errors"
	"time"

	"github.com/akutan-dev/akutan/cluster/space"
)

// Target is one view able to answer for the hashes in its range.
type Target struct {
	Addr  string
	Range space.Range
	// DC is the view's datacenter: views in Config.LocalDC are preferred.
	DC string
	// Applied is the last log index the view said it applied: views far
	// behind the newest are avoided while others exist.
	Applied uint64
	// Draining is true when the view was told it is about to be stopped
	// (gossip.Meta.State "draining"): it is used only when no other view
	// that is up to date and has not failed recently covers the range, so
	// that stopping it costs no call a retry.
	Draining bool
}

// Unit is one piece of work: the hashes Range of item number Item. Units
// of an item never overlap, and a call only gets units that lie entirely
// inside its target's range.
type Unit struct {
	Item  int
	Range space.Range
}

// Deliver hands over a successful call's results for the given units,
// which are some or all of the units the call was given. Fanout calls it
// at most once per call, never concurrently with another Deliver of the
// same Run, and only for units no other call has delivered.
type Deliver func(units []Unit)

// Call asks target about units under ctx (cancelled when the request ends
// or another call answered the same units first). It must hold its results
// back and return a Deliver for them, or an error. (A Deliver may also go
// on reading a reply too large to hold, as the view client's does for
// lookups that ask every range; fanout then cannot retry what it fails to
// read, and the caller must fail the request itself.)
type Call func(ctx context.Context, target Target, units []Unit) (Deliver, error)

// Request is one logical request.
type Request struct {
	// Class groups requests of similar cost (e.g. "LookupSP"): hedge delays
	// come from the latencies of the class's recent calls.
	Class string
	// Items are the hash ranges to answer for: a single hash for a point
	// lookup, space.Full() for a lookup that needs every range.
	Items []space.Range
	// Targets lists the views of the space. It is read at the start and
	// again before each new round of retries.
	Targets func() []Target
	// Call asks one view.
	Call Call
}

// Point returns the item for a single hash.
func Point(h uint64) space.Range { return space.Range{Start: h, End: h} }

// ErrUncovered means some unit has no view left to ask.
var ErrUncovered = errors.New("no available view covers the range")

// Fanout runs requests. It is safe for concurrent use; it keeps the recent
// call latencies that drive hedging, the views whose calls failed
// recently, and the metrics.
type Fanout struct {
	cfg       Config
	lat       *latencies
	penalties *penalties
	metrics   *metrics
}

// New returns a Fanout configured by cfg, registering its metrics with
// cfg.Registerer if set.
func New(cfg Config) (*Fanout, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Fanout{cfg: cfg, lat: newLatencies(cfg), penalties: newPenalties(cfg), metrics: m}, nil
}

// Run answers every item of req. It returns nil once every unit has been
// delivered, or an error when some unit ran out of views to ask or ctx
// ended. Either way, every call it started has returned by then.
func (f *Fanout) Run(ctx context.Context, req Request) error {
	if len(req.Items) == 0 {
		return nil
	}
	r := newRun(ctx, f, req)
	defer r.stop()
	return r.loop()
}

// Stats returns what f has done so far.
func (f *Fanout) Stats() Stats { return f.metrics.stats() }

// HedgeDelay returns how long a call of class currently runs before it is
// hedged (whether or not hedging is enabled).
func (f *Fanout) HedgeDelay(class string) time.Duration { return f.lat.delay(class) }

// observe records a completed call's latency.
func (f *Fanout) observe(class string, d time.Duration) {
	f.lat.observe(class, d)
	f.metrics.seconds.WithLabelValues(class).Observe(d.Seconds())
}
