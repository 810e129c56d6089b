package fanout

import (
	"fmt"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Stats counts what a Fanout has done since it was created.
type Stats struct {
	// RPCs is every call started: first tries, retries and hedges.
	RPCs uint64
	// Failures is the calls that returned an error (not counting losers
	// cancelled because another call answered first).
	Failures uint64
	// Retries is the calls started to redo the units of a failed call.
	Retries uint64
	// Hedges is the calls started because another was slow.
	Hedges uint64
	// HedgesWon is the hedges that answered some units first.
	HedgesWon uint64
}

// metrics holds the counters behind Stats and exports them.
type metrics struct {
	rpcs, failures, retries, hedges, hedgesWon atomic.Uint64
	seconds                                    *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "akutan_fanout_rpc_seconds",
		Help:    "Latency of view calls that completed, by request class.",
		Buckets: prometheus.ExponentialBuckets(0.0002, 2, 16),
	}, []string{"class"})}
	if reg == nil {
		return m, nil
	}
	for _, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("fanout: registering metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) collectors() []prometheus.Collector {
	counter := func(name, help string, v *atomic.Uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v.Load()) })
	}
	return []prometheus.Collector{
		m.seconds,
		counter("akutan_fanout_rpcs_total", "View calls started (first tries, retries and hedges).", &m.rpcs),
		counter("akutan_fanout_rpc_failures_total", "View calls that failed (cancelled losers excluded).", &m.failures),
		counter("akutan_fanout_retries_total", "View calls started to redo the work of a failed call.", &m.retries),
		counter("akutan_fanout_hedges_total", "View calls started because another call was slow.", &m.hedges),
		counter("akutan_fanout_hedges_won_total", "Hedge calls that answered before the call they raced.", &m.hedgesWon),
	}
}

func (m *metrics) stats() Stats {
	return Stats{
		RPCs: m.rpcs.Load(), Failures: m.failures.Load(), Retries: m.retries.Load(),
		Hedges: m.hedges.Load(), HedgesWon: m.hedgesWon.Load(),
	}
}
