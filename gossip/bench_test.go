package gossip

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// BenchmarkMetaSpread measures how long a meta change takes to reach one
// member when every other member of a 10-node pool changes its meta at
// the same moment, as views do when they apply the same log entry. Each
// iteration is one such round; it reports the p50, p99 and largest
// delivery delay. A delivery past a few hundred milliseconds means the
// broadcast was lost and a push/pull repaired it.
//
//	go test ./gossip -run '^$' -bench MetaSpread -benchtime 40x
func BenchmarkMetaSpread(b *testing.B) {
	const n = 10
	nodes := make([]*Node, n)
	for i := range nodes {
		cfg := Config{Name: fmt.Sprintf("node-%d", i), BindAddr: freeAddr(b), Logger: zerolog.Nop()}
		if i > 0 {
			cfg.Join = []string{nodes[0].Addr()}
		}
		node, err := Start(context.Background(), cfg, Meta{Role: "view"})
		if err != nil {
			b.Fatal(err)
		}
		defer node.Stop()
		nodes[i] = node
	}
	for len(nodes[0].Members()) < n {
		time.Sleep(10 * time.Millisecond)
	}
	b.ResetTimer()
	var delays []time.Duration
	for round := range b.N {
		applied := uint64(round + 1)
		for i, node := range nodes[1:] {
			if err := node.SetMeta(viewMeta(i, applied)); err != nil {
				b.Fatal(err)
			}
		}
		delays = append(delays, waitApplied(b, nodes[0], n-1, applied)...)
	}
	b.StopTimer()
	slices.Sort(delays)
	b.ReportMetric(float64(delays[len(delays)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(delays[len(delays)*99/100].Milliseconds()), "p99-ms")
	b.ReportMetric(float64(delays[len(delays)-1].Milliseconds()), "max-ms")
}

// viewMeta is a view's meta of the usual size.
func viewMeta(i int, applied uint64) Meta {
	return Meta{Role: "view", Cluster: "bench", DC: "dc1", Space: "hashsp",
		RangeStart: 0x8000000000000000 + uint64(i), RangeEnd: 0xffffffffffffffff,
		GRPCAddr: "127.0.0.1:26695", AppliedIndex: applied, Serving: true, MaxLogVersion: 2}
}

// waitApplied returns how long each of others members took to show at
// least applied in observer's view.
func waitApplied(b *testing.B, observer *Node, others int, applied uint64) []time.Duration {
	start := time.Now()
	seen := make(map[string]time.Duration)
	for len(seen) < others {
		if time.Since(start) > 30*time.Second {
			b.Fatalf("after 30 s only %d of %d members show applied index %d", len(seen), others, applied)
		}
		for _, m := range observer.Members() {
			if _, ok := seen[m.Name]; !ok && m.Name != observer.Name() && m.Meta.AppliedIndex >= applied {
				seen[m.Name] = time.Since(start)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	out := make([]time.Duration, 0, others)
	for _, d := range seen {
		out = append(out, d)
	}
	return out
}
