package viewstore

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/storage"
)

// BenchmarkLoaderAdd measures the write side of booting: checking and
// writing 1M keys, in key order, in batches of 65536, as Fetch does.
//
//	go test -run '^$' -bench BenchmarkLoaderAdd ./storage/viewstore
func BenchmarkLoaderAdd(b *testing.B) {
	const n, batchKeys = 1 << 20, 1 << 16
	keys := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		f := storage.Fact{Index: 1, ID: uint64(i), Subject: uint64(i / 8), Predicate: uint64(i%8 + 1),
			Object: storage.AString(fmt.Sprintf("value %d", i), "")}
		keys = append(keys, storage.AppendSPKey(nil, f, false))
	}
	b.ResetTimer()
	var took time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := Open(b.TempDir(), Config{Space: storage.KeyPrefixSP, RangeEnd: math.MaxUint64})
		if err != nil {
			b.Fatal(err)
		}
		l, err := st.BeginLoad(1)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		for from := 0; from < n; from += batchKeys {
			if _, err := l.Add(keys[from:min(from+batchKeys, n)], nil, 0, math.MaxUint64); err != nil {
				b.Fatal(err)
			}
		}
		if err := l.Finish(LogVersion{}); err != nil {
			b.Fatal(err)
		}
		took += time.Since(start)
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/took.Seconds(), "keys/s")
}
