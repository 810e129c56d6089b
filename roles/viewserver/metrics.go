package viewserver

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/akutan-dev/akutan/cluster/boot"
)

type metrics struct {
	entries     prometheus.Counter
	appliedIdx  prometheus.Gauge
	lookups     *prometheus.CounterVec
	lookupItems *prometheus.CounterVec
	// pendingWaits counts lookups that waited for a transaction's decision.
	pendingWaits prometheus.Counter

	// Booting and health.
	serving     prometheus.Gauge
	booting     prometheus.Gauge
	boots       *prometheus.CounterVec
	bootIndex   prometheus.Gauge
	bootKeys    prometheus.Counter
	bootBytes   prometheus.Counter
	corruptions prometheus.Counter
	// writeFailures counts failed store writes (e.g. a full disk).
	writeFailures prometheus.Counter

	// Serving loads to booting peers.
	loadsServed  prometheus.Counter
	loadKeysSent prometheus.Counter
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
	m.pendingWaits = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "akutan_view_pending_waits_total", Help: "Lookups that waited for an undecided transaction.",
	})
	m.newBootMetrics()
	if reg == nil {
		return m, nil
	}
	for _, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) newBootMetrics() {
	m.serving = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "akutan_view_serving", Help: "1 while the view answers lookups, else 0.",
	})
	m.booting = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "akutan_view_booting", Help: "1 while the view checks its store, loads from peers or catches up, else 0.",
	})
	m.boots = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "akutan_view_boots_total", Help: "Loads from peers started, by reason (empty, truncated).",
	}, []string{"reason"})
	m.bootIndex = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "akutan_view_boot_index", Help: "The log index the last load from peers was consistent as of.",
	})
	m.bootKeys = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "akutan_view_boot_loaded_keys_total", Help: "Keys loaded from peers.",
	})
	m.bootBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "akutan_view_boot_loaded_bytes_total", Help: "Key bytes loaded from peers.",
	})
	m.corruptions = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "akutan_view_store_corruptions_total", Help: "Times the view found its store corrupt and moved it aside.",
	})
	m.writeFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "akutan_view_store_write_failures_total", Help: "Store writes that failed (e.g. disk full); the view reopens its store and retries.",
	})
	m.loadsServed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "akutan_view_loads_served_total", Help: "Loads served to booting peers.",
	})
	m.loadKeysSent = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "akutan_view_load_keys_sent_total", Help: "Keys sent to booting peers.",
	})
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		m.entries, m.appliedIdx, m.lookups, m.lookupItems, m.pendingWaits,
		m.serving, m.booting, m.boots, m.bootIndex, m.bootKeys, m.bootBytes, m.corruptions,
		m.writeFailures, m.loadsServed, m.loadKeysSent,
	}
}

// registerCachedLookups exports how many lookups the view's row cache
// answered (compare akutan_view_lookup_items_total).
func registerCachedLookups(reg prometheus.Registerer, h *storeHandle) error {
	if reg == nil {
		return nil
	}
	return reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "akutan_view_lookups_cached_total", Help: "Lookups answered from the view's row cache of recent lookups.",
	}, func() float64 { return float64(h.cachedLookups()) }))
}

// registerCarousel exports the carousel's counters.
func registerCarousel(reg prometheus.Registerer, c *boot.Carousel) error {
	if reg == nil {
		return nil
	}
	for _, col := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "akutan_view_carousel_riders", Help: "Loads being served by the view's carousel.",
		}, func() float64 { return float64(c.Riders()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "akutan_view_carousel_scanned_keys_total", Help: "Keys the carousel read from the store.",
		}, func() float64 { return float64(c.Scanned()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "akutan_view_carousel_revolutions_total", Help: "Full passes of the carousel over the store.",
		}, func() float64 { return float64(c.Revolutions()) }),
	} {
		if err := reg.Register(col); err != nil {
			return err
		}
	}
	return nil
}

func (m *metrics) applied(n int, last uint64) {
	m.entries.Add(float64(n))
	m.appliedIdx.Set(float64(last))
}

func (m *metrics) lookup(kind string, items int) {
	m.lookups.WithLabelValues(kind).Inc()
	m.lookupItems.WithLabelValues(kind).Add(float64(items))
}

func (m *metrics) setState(st viewState) {
	m.serving.Set(b2f(st == stateServing))
	m.booting.Set(b2f(st == stateBooting))
}

// loaded counts a batch loaded from peers.
func (m *metrics) loaded(keys, bytes int) {
	m.bootKeys.Add(float64(keys))
	m.bootBytes.Add(float64(bytes))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (m *metrics) pendingWait() { m.pendingWaits.Inc() }
