package logclient

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/akutan-dev/akutan/internal/tlsconfig"
	"github.com/akutan-dev/akutan/roles/logserver/logtest"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// entrySizes are the facts one benchmark append carries: an API server
// appends one entry per insert request, with all its facts, so small
// interactive inserts make small entries and bulk loads large ones.
var entrySizes = []int{10, 100}

// benchEntry is a log entry inserting facts facts of about 100 bytes each,
// as the API server would encode them.
func benchEntry(b *testing.B, facts int) []byte {
	tx := &wire.InsertTx{}
	for i := range facts {
		tx.Facts = append(tx.Facts, &wire.InsertFact{
			FactOffset: uint32(i + 1),
			Subject:    logentry.KIDRef(uint64(1<<20 + i)),
			Predicate:  logentry.KIDRef(uint64(2<<20 + i)),
			Object:     &wire.LogObject{Value: &wire.LogObject_Str{Str: strings.Repeat("x", 70)}, Lang: "en"},
		})
	}
	data, err := logentry.Encode(&wire.LogEntry{Command: &wire.LogEntry_Insert{Insert: tx}})
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkAppend measures Client.Append against 3 replicas in this process
// with 1, 8, 64 and 256 concurrent clients (each its own Client, as if each
// were an API server), every append one entry of 10 or 100 facts (~1 KB or
// ~10 KB). It reports appends/s, facts/s and the p50 and p99 append latency.
//
//	go test -run - -bench BenchmarkAppend -benchtime 3s ./cluster/logclient/
func BenchmarkAppend(b *testing.B) {
	lc := logtest.Start(b, 3)
	for _, facts := range entrySizes {
		entry := [][]byte{benchEntry(b, facts)}
		for _, clients := range []int{1, 8, 64, 256} {
			b.Run(fmt.Sprintf("facts=%d/clients=%d", facts, clients), func(b *testing.B) {
				benchmarkAppends(b, lc.Addrs(), clients, entry, facts)
			})
		}
	}
}

// benchmarkAppends runs one sub-benchmark: b.N appends of entry spread
// over clients new Clients.
func benchmarkAppends(b *testing.B, addrs []string, clients int, entry [][]byte, facts int, opts ...Option) {
	cs := make([]*Client, clients)
	for i := range cs {
		c, err := New(addrs, opts...)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		cs[i] = c
		if _, _, err := c.Append(context.Background(), entry); err != nil { // connect, find the leader
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(entry[0])))
	b.ResetTimer()
	start := time.Now()
	lat := runAppends(b, cs, entry)
	elapsed := time.Since(start)
	b.StopTimer()
	reportAppends(b, lat, elapsed, facts)
}

// runAppends makes b.N appends spread over the clients and returns their
// latencies.
func runAppends(b *testing.B, cs []*Client, entry [][]byte) []time.Duration {
	var next atomic.Int64
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				_, _, err := c.Append(ctx, entry)
				cancel()
				if err != nil {
					b.Error(err)
					return
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all
}

func reportAppends(b *testing.B, lat []time.Duration, elapsed time.Duration, facts int) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	perSec := float64(len(lat)) / elapsed.Seconds()
	b.ReportMetric(perSec, "appends/s")
	b.ReportMetric(perSec*float64(facts), "facts/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkAppendTLS measures what mutual TLS costs appends: the same
// appends of 10-fact entries as BenchmarkAppend, on a plaintext log and
// on one whose gRPC and Raft links are mutual TLS (ECDSA P-256
// certificates, TLS 1.3), each in its own 3-replica log.
//
//	go test -run - -bench BenchmarkAppendTLS -benchtime 3s ./cluster/logclient/
func BenchmarkAppendTLS(b *testing.B) {
	entry := [][]byte{benchEntry(b, 10)}
	for _, mode := range []string{"off", "on"} {
		var src *tlsconfig.Source
		var opts []logtest.Option
		if mode == "on" {
			src = benchTLS(b)
			opts = append(opts, logtest.WithTLS(src))
		}
		lc := logtest.Start(b, 3, opts...)
		for _, clients := range []int{1, 8, 64} {
			b.Run(fmt.Sprintf("tls=%s/clients=%d", mode, clients), func(b *testing.B) {
				benchmarkAppends(b, lc.Addrs(), clients, entry, 10, WithDialOptions(src.DialOptions()...))
			})
		}
	}
}

// benchTLS writes a CA and a certificate for 127.0.0.1 and loads them.
func benchTLS(b *testing.B) *tlsconfig.Source {
	ca, err := tlsconfig.NewCA("bench CA", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	cert, key, err := ca.Issue("bench", []string{"127.0.0.1"}, now.Add(-time.Minute), now.Add(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	files := tlsconfig.Files{Cert: filepath.Join(dir, "c.pem"), Key: filepath.Join(dir, "k.pem"), CA: filepath.Join(dir, "ca.pem")}
	for path, data := range map[string][]byte{files.Cert: cert, files.Key: key, files.CA: ca.CertPEM()} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	src, err := tlsconfig.Load(files, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	return src
}
