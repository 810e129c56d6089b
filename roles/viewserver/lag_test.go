package viewserver

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/roles/logserver/logtest"
)

// TestLogLagGauge: akutan_view_log_lag_entries is the log's last index
// minus the view's applied index, labelled with the view's replica
// address.
func TestLogLagGauge(t *testing.T) {
	lc := logtest.Start(t, 1)
	last := appendEntries(t, lc, 3)
	reg := prometheus.NewRegistry()
	s := startView(t, Config{Space: space.HashSP, Range: space.Full(), Dir: t.TempDir(), LogAddrs: lc.Addrs(), Registry: reg})
	waitUntil(t, fmt.Sprintf("applied %d", last), func() bool { return s.Serving() && s.Applied() == last })
	waitUntil(t, "the log's last index polled", func() bool { return s.logLast.Load() >= last })
	if got := metric(t, reg, "akutan_view_log_lag_entries"); got != 0 {
		t.Errorf("lag of a caught-up view = %v, want 0", got)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{}
	for _, f := range families {
		if f.GetName() == "akutan_view_log_lag_entries" {
			for _, l := range f.Metric[0].GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
		}
	}
	if labels["replica"] != s.GRPCAddr() || labels["space"] != "hashsp" || labels["range"] == "" {
		t.Errorf("labels %v; want replica %s, space hashsp and the range", labels, s.GRPCAddr())
	}
	s.logLast.Store(s.Applied() + 7)
	if got := s.logLag(); got != 7 {
		t.Errorf("lag = %v, want 7", got)
	}
	s.logLast.Store(1) // a stale poll behind the view: no lag
	if got := s.logLag(); got != 0 {
		t.Errorf("lag with the view ahead of the last poll = %v, want 0", got)
	}
}
