package viewstore

import (
	"math"
	"math/rand"
	"testing"

	"github.com/akutan-dev/akutan/storage"
)

// BenchmarkLookupsUnderWrites measures point lookups of a hot set of
// 20,000 SP prefixes (4,000 subjects, 5 predicates each) in a store of
// 100,000 facts while writes stream in: after
// every 256 lookups (one lookup RPC's worth) a one-fact entry is applied.
// It reports the share of lookups the row cache answered.
//
//	go test -run '^$' -bench BenchmarkLookupsUnderWrites ./storage/viewstore
func BenchmarkLookupsUnderWrites(b *testing.B) {
	const subjects, predicates = 20000, 5
	st, err := Open(b.TempDir(), Config{Space: storage.KeyPrefixSP, RangeEnd: math.MaxUint64})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	facts := make([]storage.Fact, 0, subjects*predicates)
	for s := range subjects {
		for p := range predicates {
			facts = append(facts, storage.Fact{Index: 1, ID: storage.KIDOf(1, uint32(len(facts)+1)),
				Subject: uint64(1000 + s), Predicate: uint64(100 + p), Object: storage.AInt64(int64(s), 0)})
		}
	}
	if err := st.Apply([]Change{{Index: 1, Inserts: facts}}); err != nil {
		b.Fatal(err)
	}
	rnd := rand.New(rand.NewSource(1))
	hits0, lookups := st.CachedLookups(), 0
	b.ResetTimer()
	for b.Loop() {
		r := st.NewReader()
		at := st.Applied()
		for range 256 {
			s := uint64(1000 + rnd.Intn(4000))
			if err := r.LookupSP(at, s, uint64(100+rnd.Intn(predicates)), func(storage.Fact) error { return nil }); err != nil {
				b.Fatal(err)
			}
			lookups++
		}
		r.Release()
		index := at + 1
		f := storage.Fact{Index: index, ID: storage.KIDOf(index, 1), Subject: uint64(1000 + subjects + int(index)), Predicate: 100, Object: storage.AInt64(1, 0)}
		if err := st.Apply([]Change{{Index: index, Inserts: []storage.Fact{f}}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(lookups), "ns/lookup")
	b.ReportMetric(float64(st.CachedLookups()-hits0)/float64(lookups), "cached/lookup")
}
