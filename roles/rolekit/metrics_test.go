package rolekit

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestLabelledGatherers serves two registries holding the same metric
// together, each labelled: no collision, both values kept.
func TestLabelledGatherers(t *testing.T) {
	var gs prometheus.Gatherers
	for _, id := range []string{"1", "2"} {
		reg := prometheus.NewRegistry()
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: "akutan_test_total", Help: "test"})
		reg.MustRegister(c)
		c.Add(float64(len(id) * 3))
		gs = append(gs, Labelled(reg, prometheus.Labels{"replica": id}))
	}
	proc := NewProcessRegistry()
	gs = append(gs, proc)
	families, err := gs.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range families {
		names[mf.GetName()] = true
		if mf.GetName() != "akutan_test_total" {
			continue
		}
		var got []string
		for _, m := range mf.Metric {
			got = append(got, m.Label[0].GetName()+"="+m.Label[0].GetValue()+" "+strings.TrimSuffix(m.GetCounter().String(), " "))
		}
		if len(got) != 2 || !strings.Contains(got[0], "replica=1 value:3") || !strings.Contains(got[1], "replica=2 value:3") {
			t.Errorf("gathered %q, want replica=1 and replica=2, 3 each", got)
		}
	}
	for _, n := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if !names[n] {
			t.Errorf("%s not gathered", n)
		}
	}
}
