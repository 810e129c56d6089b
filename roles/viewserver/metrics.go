package viewserver

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	entries     prometheus.Counter
	appliedIdx  prometheus.Gauge
	lookups     *prometheus.CounterVec
	lookupItems *prometheus.CounterVec
}

// newMetrics registers the view's metrics on reg; with a nil reg they are
// kept but not exported.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		entries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "akutan_view_applied_entries_total", Help: "Log entries applied by the view.",
		}),
		appliedIdx: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "akutan_view_applied_index", Help: "Last log index the view has applied.",
		}),
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "akutan_view_lookup_rpcs_total", Help: "Lookup RPCs served, by type.",
		}, []string{"type"}),
		lookupItems: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "akutan_view_lookup_items_total", Help: "Lookups served (items across all RPCs), by type.",
		}, []string{"type"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.entries, m.appliedIdx, m.lookups, m.lookupItems} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) applied(n int, last uint64) {
	m.entries.Add(float64(n))
	m.appliedIdx.Set(float64(last))
}

func (m *metrics) lookup(kind string, items int) {
	m.lookups.WithLabelValues(kind).Inc()
	m.lookupItems.WithLabelValues(kind).Add(float64(items))
}
