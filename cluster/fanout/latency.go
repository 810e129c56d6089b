package fanout

import (
	"slices"
	"sync"
	"time"
)

// Sizes of the latency windows.
const (
	windowSize = 256 // recent samples kept per class
	minSamples = 16  // samples needed before trusting the quantile
	recompute  = 8   // samples between two quantile computations
	// medianFactor bounds the hedge delay to this many medians. A quantile
	// far above the median means a few slow calls (a slow replica, views
	// catching up after a write) own the tail; without the bound, a burst
	// of them would hold the delay up for the hundreds of calls it takes
	// to leave the window, which is when hedging matters most.
	medianFactor = 4
)

// latencies keeps recent successful call latencies per request class and
// turns them into hedge delays. Only calls that completed are sampled: a
// loser cancelled by its hedge reports nothing, so one slow replica does
// not drag the delay up while hedging works around it.
type latencies struct {
	quantile            float64
	floor, ceil, before time.Duration

	mu      sync.Mutex
	byClass map[string]*window
}

// window is a ring of recent samples with a cached quantile.
type window struct {
	samples [windowSize]time.Duration
	n       int           // samples ever observed
	q       time.Duration // cached quantile
	stale   int           // samples since q was computed
}

func newLatencies(cfg Config) *latencies {
	return &latencies{
		quantile: cfg.HedgeQuantile, floor: cfg.HedgeFloor, ceil: cfg.HedgeCap, before: cfg.HedgeInitial,
		byClass: map[string]*window{},
	}
}

func (l *latencies) observe(class string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.byClass[class]
	if w == nil {
		w = &window{}
		l.byClass[class] = w
	}
	w.samples[w.n%windowSize] = d
	w.n++
	w.stale++
}

// delay returns how long a call of class may run before it is hedged.
func (l *latencies) delay(class string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.byClass[class]
	if w == nil || w.n < minSamples {
		return l.before
	}
	if w.stale >= recompute || w.q == 0 {
		w.q = w.compute(l.quantile)
		w.stale = 0
	}
	return min(max(w.q, l.floor), l.ceil)
}

// compute returns the quantile q of the samples held, bounded by
// medianFactor medians.
func (w *window) compute(q float64) time.Duration {
	n := min(w.n, windowSize)
	sorted := slices.Clone(w.samples[:n])
	slices.Sort(sorted)
	at := func(q float64) time.Duration {
		i := int(q*float64(n)+0.5) - 1
		return sorted[min(max(i, 0), n-1)]
	}
	return min(at(q), medianFactor*at(0.5))
}
