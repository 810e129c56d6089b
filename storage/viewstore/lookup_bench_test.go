package viewstore

import (
	"math"
	"math/rand"
	"testing"

	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/akutan-dev/akutan/storage"
)

// BenchmarkLookupSP measures point lookups (a seek and a short scan each)
// in a compacted store of 500,000 facts, 256 lookups through one Reader
// as a lookup RPC makes them.
//
//	go test -run '^$' -bench BenchmarkLookupSP ./storage/viewstore
func BenchmarkLookupSP(b *testing.B) {
	const entries, perEntry = 50, 10000
	st, err := Open(b.TempDir(), Config{Space: storage.KeyPrefixSP, RangeEnd: math.MaxUint64})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for e := range entries {
		index := uint64(e + 1)
		facts := make([]storage.Fact, perEntry)
		for i := range facts {
			facts[i] = storage.Fact{Index: index, ID: storage.KIDOf(index, uint32(2*i+1)),
				Subject: storage.KIDOf(index, uint32(2*(i/6))), Predicate: uint64(100 + i%6),
				Object: storage.AEntity(storage.KIDOf(uint64(e/3+1), uint32(i*7%perEntry)))}
		}
		if err := st.Apply([]Change{{Index: index, Inserts: facts}}); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.db.CompactRange(util.Range{}); err != nil {
		b.Fatal(err)
	}
	rnd := rand.New(rand.NewSource(1))
	b.ResetTimer()
	lookups := 0
	for b.Loop() {
		r := st.NewReader()
		for range 256 {
			e := uint64(rnd.Intn(entries) + 1)
			subject := storage.KIDOf(e, uint32(2*rnd.Intn(perEntry/6)))
			n := 0
			if err := r.LookupSP(entries, subject, uint64(100+rnd.Intn(6)), func(storage.Fact) error { n++; return nil }); err != nil || n != 1 {
				b.Fatalf("lookup: %d facts, %v", n, err)
			}
			lookups++
		}
		r.Release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(lookups), "ns/lookup")
}
