package viewstore

import (
	"context"
	"testing"

	"github.com/akutan-dev/akutan/storage"
)

func TestComputeStatsCountsKeysAndPredicates(t *testing.T) {
	for _, space := range []byte{storage.KeyPrefixSP, storage.KeyPrefixPO} {
		st, err := Open(t.TempDir(), fullRange(space))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		// subject 100 has 3 facts with predicate 7 (all object 1000); subject
		// 101 has one; predicate 8 has one fact. Index 2 adds a fact.
		facts := []storage.Fact{
			fact(1, 10, 100, 7, storage.AInt64(1, 0)), fact(1, 11, 100, 7, storage.AInt64(2, 0)),
			fact(1, 12, 100, 7, storage.AInt64(3, 0)), fact(1, 13, 101, 7, storage.AInt64(1, 0)),
			fact(1, 14, 100, 8, storage.AInt64(1, 0)),
		}
		later := fact(2, 15, 102, 7, storage.AInt64(1, 0))
		if err := st.Apply([]Change{{Index: 1, Inserts: facts}, {Index: 2, Inserts: []storage.Fact{later}}}); err != nil {
			t.Fatal(err)
		}
		got, err := st.ComputeStats(context.Background(), 1, StatsLimits{HeavyKeys: 1, Predicates: 10})
		if err != nil {
			t.Fatal(err)
		}
		if got.Predicates[1].EntityObjects != 0 {
			t.Fatalf("space %c: literal objects counted as entities: %+v", space, got.Predicates)
		}
		if got.Facts != 5 || got.Index != 1 || len(got.Heavy) != 1 || len(got.Predicates) != 2 {
			t.Fatalf("space %c: stats = %+v", space, got)
		}
		p7 := got.Predicates[0]
		if space == storage.KeyPrefixSP {
			if h := got.Heavy[0]; h.Subject != 100 || h.Predicate != 7 || h.Count != 3 || got.MinListed != 3 {
				t.Fatalf("SP heavy = %+v, min %d", got.Heavy, got.MinListed)
			}
			if p7 != (PredicateCount{Predicate: 7, Facts: 4, Keys: 2}) {
				t.Fatalf("SP predicate 7 = %+v", p7)
			}
		} else {
			if h := got.Heavy[0]; h.Predicate != 7 || h.Object.Int != 1 || h.Count != 2 {
				t.Fatalf("PO heavy = %+v", got.Heavy)
			}
			if p7 != (PredicateCount{Predicate: 7, Facts: 4, Keys: 3, EntityObjects: 0}) {
				t.Fatalf("PO predicate 7 = %+v", p7)
			}
		}
	}
}

func TestComputeStatsStopsWithContext(t *testing.T) {
	st, err := Open(t.TempDir(), fullRange(storage.KeyPrefixSP))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var facts []storage.Fact
	for i := uint64(0); i < 10000; i++ {
		facts = append(facts, fact(1, 10+i, 100+i, 7, storage.AInt64(1, 0)))
	}
	if err := st.Apply([]Change{{Index: 1, Inserts: facts}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := st.ComputeStats(ctx, 1, StatsLimits{HeavyKeys: 10}); err == nil {
		t.Fatal("a cancelled scan succeeded")
	}
}
