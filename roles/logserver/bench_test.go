package logserver_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/roles/logserver/logtest"
	"github.com/akutan-dev/akutan/wire"
)

// BenchmarkAppend measures Append throughput of a 3-replica log with 1, 8
// and 64 concurrent clients, each appending one 4 KB entry per request to
// the leader.
func BenchmarkAppend(b *testing.B) {
	for _, clients := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			c := logtest.Start(b, 3)
			cl := c.Dial(b, c.WaitLeader(b))
			entry := logtest.Entry(strings.Repeat("x", 4096))
			var next atomic.Int64
			var wg sync.WaitGroup
			b.SetBytes(int64(len(entry)))
			b.ResetTimer()
			start := time.Now()
			for w := 0; w < clients; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					seq := uint64(0)
					for next.Add(1) <= int64(b.N) {
						seq++
						ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
						_, err := cl.Append(ctx, &wire.AppendRequest{
							Entries: [][]byte{entry}, ClientId: uint64(w + 1), Seq: seq,
						})
						cancel()
						if err != nil {
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
