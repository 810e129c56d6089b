package viewstore

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/storage"
)

// BenchmarkApply measures applying entries of 10,000 new facts each, shaped
// like a bulk load's: subjects created by the entry, a few predicates,
// objects half entities and half strings.
//
//	go test -run '^$' -bench BenchmarkApply ./storage/viewstore
func BenchmarkApply(b *testing.B) {
	const entries, perEntry = 100, 10000
	changes := make([]Change, entries)
	for e := range changes {
		index := uint64(e + 1)
		facts := make([]storage.Fact, perEntry)
		for i := range facts {
			f := storage.Fact{Index: index, ID: storage.KIDOf(index, uint32(2*i+1)),
				Subject: storage.KIDOf(index, uint32(2*(i/6))), Predicate: uint64(100 + i%6)}
			if i%2 == 0 {
				f.Object = storage.AEntity(storage.KIDOf(uint64(e/3+1), uint32(i*7%perEntry)))
			} else {
				f.Object = storage.AString(fmt.Sprintf("value number %d of %d", i, e), "")
			}
			facts[i] = f
		}
		changes[e] = Change{Index: index, Inserts: facts}
	}
	for _, space := range []byte{storage.KeyPrefixSP, storage.KeyPrefixPO} {
		b.Run(string(space), func(b *testing.B) {
			var took time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				st, err := Open(b.TempDir(), Config{Space: space, RangeEnd: math.MaxUint64})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				for _, c := range changes {
					if err := st.Apply([]Change{c}); err != nil {
						b.Fatal(err)
					}
				}
				took += time.Since(start)
				b.StopTimer()
				st.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(entries*perEntry*b.N)/took.Seconds(), "facts/s")
		})
	}
}
