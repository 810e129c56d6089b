package gossip

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/akutan-dev/akutan/internal/tlsconfig"
)

// BenchmarkMetaSpread measures how long a meta change takes to reach one
// member when every other member of a 10-node pool changes its meta at
// the same moment, as views do when they apply the same log entry. Each
// iteration is one such round; it reports the p50, p99 and largest
// delivery delay. A delivery past a few hundred milliseconds means the
// broadcast was lost and a push/pull repaired it.
//
//	go test ./gossip -run '^$' -bench MetaSpread -benchtime 40x
func BenchmarkMetaSpread(b *testing.B) { benchMetaSpread(b, nil) }

// BenchmarkMetaSpreadTLS is BenchmarkMetaSpread with gossip over mutual
// TLS.
//
//	go test ./gossip -run '^$' -bench MetaSpreadTLS -benchtime 40x
func BenchmarkMetaSpreadTLS(b *testing.B) { benchMetaSpread(b, newTestCA(b, "bench CA")) }

func benchMetaSpread(b *testing.B, ca *testCA) {
	const n = 10
	nodes := make([]*Node, n)
	for i := range nodes {
		cfg := Config{Name: fmt.Sprintf("node-%d", i), BindAddr: freeAddr(b), Logger: zerolog.Nop()}
		if ca != nil {
			cfg.TLS = ca.valid(b, cfg.Name)
		}
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

// BenchmarkConvergence measures how long 5 new nodes, all told to join the
// first, take until every one of them sees all 5, without TLS and with
// gossip over mutual TLS. Each iteration starts and stops a new pool.
//
//	go test ./gossip -run '^$' -bench Convergence -benchtime 20x
func BenchmarkConvergence(b *testing.B) {
	const n = 5
	ca := newTestCA(b, "bench CA")
	sources := make([]*tlsconfig.Source, n)
	for i := range sources {
		sources[i] = ca.valid(b, fmt.Sprintf("node-%d", i))
	}
	for _, withTLS := range []bool{false, true} {
		name := "plain"
		if withTLS {
			name = "tls"
		}
		b.Run(name, func(b *testing.B) {
			var times []time.Duration
			for range b.N {
				began := time.Now()
				nodes := make([]*Node, n)
				for i := range nodes {
					cfg := Config{Name: fmt.Sprintf("node-%d", i), BindAddr: "127.0.0.1:0", Logger: zerolog.Nop()}
					if i > 0 {
						cfg.Join = []string{nodes[0].Addr()}
					}
					if withTLS {
						cfg.TLS = sources[i]
					}
					node, err := Start(context.Background(), cfg, Meta{Role: "view"})
					if err != nil {
						b.Fatal(err)
					}
					nodes[i] = node
				}
				for _, node := range nodes {
					for len(node.Members()) < n {
						if time.Since(began) > 30*time.Second {
							b.Fatalf("%s sees %d of %d members after 30 s", node.Name(), len(node.Members()), n)
						}
						time.Sleep(time.Millisecond)
					}
				}
				times = append(times, time.Since(began))
				b.StopTimer()
				for _, node := range nodes {
					_ = node.Stop()
				}
				b.StartTimer()
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "max-ms")
		})
	}
}
