package apiserver

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// floor is the log floor this server last registered for its cluster.
	floor prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "akutan_api_requests_total", Help: "API requests, by kind and outcome.",
		}, []string{"kind", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "akutan_api_request_seconds", Help: "API request latency, by kind.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"kind"}),
		floor: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "akutan_api_log_floor", Help: "The log floor this server last registered for its cluster (0: none yet).",
		}),
	}
	reg.MustRegister(m.requests, m.latency, m.floor)
	return m
}

func (m *metrics) observe(kind string, start time.Time, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.requests.WithLabelValues(kind, outcome).Inc()
	m.latency.WithLabelValues(kind).Observe(time.Since(start).Seconds())
}
