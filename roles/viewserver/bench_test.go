package viewserver

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/roles/logserver/logtest"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/viewstore"
)

// Boot benchmark data: benchEntries log entries of benchFactsPerEntry facts.
const (
	benchEntries       = 2000
	benchFactsPerEntry = 500
)

// BenchmarkBoot measures how fast new views load a HashSP range of 1M
// facts from two serving replicas of it: each iteration starts `booting`
// empty views at once and waits until all serve. It reports facts/s and
// MB/s (of keys) received per booting view, and in total.
//
//	go test -run '^$' -bench BenchmarkBoot -benchtime 3x ./roles/viewserver
func BenchmarkBoot(b *testing.B) {
	lc := logtest.Start(b, 3)
	appendEntries(b, lc, benchEntries)
	dirs := buildSourceStores(b)
	first := startView(b, Config{Space: space.HashSP, Range: space.Full(), Dir: dirs[0], LogAddrs: lc.Addrs(), GossipAddr: "127.0.0.1:0"})
	join := []string{first.gossip.Addr()}
	second := startView(b, Config{Space: space.HashSP, Range: space.Full(), Dir: dirs[1], LogAddrs: lc.Addrs(), GossipAddr: "127.0.0.1:0", GossipJoin: join})
	waitUntil(b, "the sources serve", func() bool { return first.Serving() && second.Serving() })
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("peers=2/booting=%d", n), func(b *testing.B) {
			var facts, bytes float64
			var took time.Duration
			for i := 0; i < b.N; i++ {
				f, by, d := bootOnce(b, n, Config{Space: space.HashSP, Range: space.Full(), LogAddrs: lc.Addrs(), GossipAddr: "127.0.0.1:0", GossipJoin: join})
				facts, bytes, took = facts+f, bytes+by, took+d
			}
			b.ReportMetric(facts/float64(n)/took.Seconds(), "facts/s/view")
			b.ReportMetric(bytes/float64(n)/took.Seconds()/1e6, "MB/s/view")
			b.ReportMetric(facts/took.Seconds(), "facts/s")
			b.ReportMetric(bytes/took.Seconds()/1e6, "MB/s")
		})
	}
}

// bootOnce starts n empty views at once, waits until all serve, and
// returns the facts and key bytes they loaded and the time it took.
func bootOnce(b *testing.B, n int, cfg Config) (facts, bytes float64, took time.Duration) {
	b.Helper()
	views := make([]*Server, n)
	start := time.Now()
	for i := range views {
		c := cfg
		c.Dir = filepath.Join(b.TempDir(), "boot")
		views[i] = startView(b, c)
	}
	for _, v := range views {
		waitUntil(b, "the booting view serves", v.Serving)
	}
	took = time.Since(start)
	for _, v := range views {
		facts += counterValue(b, v.metrics.bootKeys)
		bytes += counterValue(b, v.metrics.bootBytes)
		v.Stop()
	}
	if facts != float64(n*benchEntries*benchFactsPerEntry) {
		b.Fatalf("%d views loaded %v facts, want %d each", n, facts, benchEntries*benchFactsPerEntry)
	}
	return facts, bytes, took
}

// buildSourceStores writes the benchmark's facts into a store, directly
// (much faster than through the log), and copies it for a second replica.
func buildSourceStores(b *testing.B) []string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "source-1")
	st, err := viewstore.Open(dir, viewstore.Config{Space: storage.KeyPrefixSP, RangeEnd: ^uint64(0)})
	if err != nil {
		b.Fatal(err)
	}
	for from := 1; from <= benchEntries; from += 100 {
		var changes []viewstore.Change
		for idx := uint64(from); idx < uint64(from+100); idx++ {
			c := viewstore.Change{Index: idx}
			for j := uint32(1); j <= benchFactsPerEntry; j++ {
				c.Inserts = append(c.Inserts, storage.Fact{
					Index: idx, ID: storage.KIDOf(idx, j), Subject: storage.KIDOf(idx, j%50+1000), Predicate: uint64(j%7 + 1),
					Object: storage.AString(fmt.Sprintf("value %d", j), ""),
				})
			}
			changes = append(changes, c)
		}
		if err := st.Apply(changes); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	replica := filepath.Join(b.TempDir(), "source-2")
	copyDir(b, dir, replica)
	return []string{dir, replica}
}

func copyDir(b *testing.B, from, to string) {
	b.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		b.Fatal(err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		src, err := os.Open(filepath.Join(from, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		dst, err := os.Create(filepath.Join(to, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			b.Fatal(err)
		}
		src.Close()
		if err := dst.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func counterValue(b *testing.B, c prometheus.Counter) float64 {
	b.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		b.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
