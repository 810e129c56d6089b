package rolekit

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
)

// NewProcessRegistry returns a registry holding the Go runtime's and the
// process's collectors (go_goroutines, go_memstats_*, process_cpu_seconds_total,
// process_resident_memory_bytes, ...): the one registry of a server
// process, to which its role adds its own metrics. Only one per process:
// the collectors describe the whole process.
func NewProcessRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Labelled gathers g's metrics with labels added to every one of them, so
// that the registries of several servers of one process (akutan local's log
// replicas) can be served together without their metrics colliding. A
// label g's metrics already have keeps its value.
func Labelled(g prometheus.Gatherer, labels prometheus.Labels) prometheus.Gatherer {
	return labelled{g: g, labels: labels}
}

type labelled struct {
	g      prometheus.Gatherer
	labels prometheus.Labels
}

func (l labelled) Gather() ([]*dto.MetricFamily, error) {
	families, err := l.g.Gather()
	for _, mf := range families {
		for _, m := range mf.Metric {
			have := map[string]bool{}
			for _, lp := range m.Label {
				have[lp.GetName()] = true
			}
			for name, value := range l.labels {
				if !have[name] {
					m.Label = append(m.Label, &dto.LabelPair{Name: proto.String(name), Value: proto.String(value)})
				}
			}
			sort.Slice(m.Label, func(i, j int) bool { return m.Label[i].GetName() < m.Label[j].GetName() })
		}
	}
	return families, err
}
