package logserver

import (
	"sync"

	"github.com/lni/dragonboat/v3/raftio"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// metrics are the log replica's Prometheus metrics. They are registered on
// Config.Registry when it is set, and just counted otherwise.
type metrics struct {
	appends       prometheus.Counter
	entries       prometheus.Counter
	bytes         prometheus.Counter
	appendErrors  prometheus.Counter
	batchRequests prometheus.Histogram
	batchBytes    prometheus.Histogram
	appendLatency prometheus.Histogram
	leaderChanges prometheus.Counter
	isLeader      prometheus.Gauge
	byteSnapshots prometheus.Counter
	reads         prometheus.Counter
	readEntries   prometheus.Counter
	firstIndex    prometheus.GaugeFunc
	lastIndex     prometheus.GaugeFunc
}

// newMetrics creates the metrics; ext reports this replica's extent for the
// index gauges.
func newMetrics(reg *prometheus.Registry, ext func() extent) (*metrics, error) {
	m := &metrics{
		byteSnapshots: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "akutan_log_byte_snapshots_total",
			Help: "Snapshots taken because the Raft log's proposals since the last one reached their byte limit.",
		}),
		reads: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "akutan_log_reads_total", Help: "Read streams this replica has started serving.",
		}),
		readEntries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "akutan_log_read_entries_total", Help: "Entries this replica has sent to readers.",
		}),
		firstIndex: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "akutan_log_first_index", Help: "First log index this replica retains (after truncation).",
		}, func() float64 { return float64(ext().first) }),
		lastIndex: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "akutan_log_last_index", Help: "Last log index this replica has applied.",
		}, func() float64 { return float64(ext().last) }),
		appends: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "akutan_log_appends_total", Help: "Append requests acknowledged by this replica.",
		}),
		entries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "akutan_log_entries_appended_total", Help: "Entries in acknowledged Append requests.",
		}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "akutan_log_bytes_appended_total", Help: "Entry bytes in acknowledged Append requests.",
		}),
		appendErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "akutan_log_append_errors_total", Help: "Append requests that failed.",
		}),
		batchRequests: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "akutan_log_batch_requests", Help: "Append requests per Raft proposal.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10),
		}),
		batchBytes: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "akutan_log_batch_bytes", Help: "Bytes per Raft proposal.",
			Buckets: prometheus.ExponentialBuckets(256, 4, 9),
		}),
		appendLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "akutan_log_append_latency_seconds", Help: "Latency of Append requests.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		leaderChanges: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "akutan_log_leader_changes_total", Help: "Leader changes seen by this replica.",
		}),
		isLeader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "akutan_log_is_leader", Help: "1 when this replica is the Raft leader.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			m.unregister(reg)
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.appends, m.entries, m.bytes, m.appendErrors,
		m.batchRequests, m.batchBytes, m.appendLatency, m.leaderChanges, m.isLeader,
		m.byteSnapshots, m.reads, m.readEntries, m.firstIndex, m.lastIndex}
}

// unregister removes the metrics from reg, so a replica can be restarted in
// the same process with the same registry.
func (m *metrics) unregister(reg *prometheus.Registry) {
	if reg == nil {
		return
	}
	for _, c := range m.collectors() {
		reg.Unregister(c)
	}
}

// leaderListener is Dragonboat's RaftEventListener: it logs and counts
// leader changes and wakes up proposals waiting across a change of leader
// or term.
type leaderListener struct {
	self    uint64
	metrics *metrics
	log     zerolog.Logger

	mu      sync.Mutex
	leader  uint64
	changed chan struct{} // closed and replaced on every leader or term change
}

func newLeaderListener(self uint64, m *metrics, log zerolog.Logger) *leaderListener {
	return &leaderListener{self: self, metrics: m, log: log, changed: make(chan struct{})}
}

// changes returns a channel closed at the next leader or term change.
func (l *leaderListener) changes() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

func (l *leaderListener) LeaderUpdated(info raftio.LeaderInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.changed)
	l.changed = make(chan struct{})
	if info.LeaderID == l.leader {
		return
	}
	l.leader = info.LeaderID
	if info.LeaderID != 0 {
		l.metrics.leaderChanges.Inc()
		l.log.Info().Uint64("leader", info.LeaderID).Uint64("term", info.Term).Msg("raft leader elected")
	} else {
		l.log.Info().Uint64("term", info.Term).Msg("raft has no leader")
	}
	if info.LeaderID == l.self {
		l.metrics.isLeader.Set(1)
	} else {
		l.metrics.isLeader.Set(0)
	}
}
