package logclient

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/roles/logserver/logtest"
)

// BenchmarkAppend measures Client.Append against a 3-replica log with 1, 8
// and 64 goroutines sharing one Client, one 4 KB entry per call.
func BenchmarkAppend(b *testing.B) {
	for _, clients := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			lc := logtest.Start(b, 3)
			c, err := New(lc.Addrs())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			entry := [][]byte{make([]byte, 4096)}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.SetBytes(4096)
			b.ResetTimer()
			start := time.Now()
			for w := 0; w < clients; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if _, _, err := c.Append(context.Background(), entry); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "entries/s")
		})
	}
}
