package viewclient_test

import (
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/roles/viewserver/viewtest"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// TestLargeLiterals: lookups whose requests and replies hold more than a
// chunk (and more than gRPC's default 4 MiB message) of 1 MiB literals
// answer completely, with the exact values.
func TestLargeLiterals(t *testing.T) {
	c := viewtest.Start(t, viewtest.Partition(t, space.HashSP, 1, 1), viewtest.Partition(t, space.HashPO, 1, 1))
	const n, size = 10, 1 << 20
	triples := make([]viewtest.Triple, n)
	var pos []viewclient.PO
	for i := range triples {
		o := storage.AString(strings.Repeat(string(rune('a'+i)), size), "")
		triples[i] = viewtest.Triple{Subject: 1001, Predicate: 2001, Object: o}
		pos = append(pos, viewclient.PO{Predicate: 2001, Object: o})
	}
	if n*size <= wire.ChunkBytes {
		t.Fatal("the test data fits one chunk")
	}
	facts := c.Insert(t, triples)
	index := facts[len(facts)-1].Index
	vc := newClient(t, c)

	got := map[string]int{}
	err := vc.LookupSP(timeout(t, 30*time.Second), index, []viewclient.SP{{Subject: 1001, Predicate: 2001}}, func(_ int, f storage.Fact) {
		got[f.Object.Str]++
	})
	if err != nil {
		t.Fatalf("LookupSP of %d MiB of literals: %v", n*size>>20, err)
	}
	for _, tr := range triples {
		if got[tr.Object.Str] != 1 {
			t.Fatalf("LookupSP returned a %d-byte literal %d times, want once", len(tr.Object.Str), got[tr.Object.Str])
		}
	}

	found := make([]int, n)
	err = vc.LookupPO(timeout(t, 30*time.Second), index, pos, func(i int, f storage.Fact) {
		if f.Object.Str == pos[i].Object.Str {
			found[i]++
		}
	})
	if err != nil {
		t.Fatalf("LookupPO with %d MiB of objects: %v", n*size>>20, err)
	}
	for i, k := range found {
		if k != 1 {
			t.Fatalf("LookupPO %d found %d facts, want 1", i, k)
		}
	}

	// The scans stream every literal, each once, in many chunks.
	for _, scan := range []struct {
		name string
		run  func(viewclient.Emit) error
	}{
		{"LookupP", func(emit viewclient.Emit) error {
			return vc.LookupP(timeout(t, 30*time.Second), index, []uint64{2001}, emit)
		}},
		{"Scan", func(emit viewclient.Emit) error { return vc.Scan(timeout(t, 30*time.Second), index, emit) }},
	} {
		got := map[string]int{}
		if err := scan.run(func(_ int, f storage.Fact) { got[f.Object.Str]++ }); err != nil {
			t.Fatalf("%s of %d MiB of literals: %v", scan.name, n*size>>20, err)
		}
		for _, tr := range triples {
			if got[tr.Object.Str] != 1 {
				t.Fatalf("%s returned a %d-byte literal %d times, want once", scan.name, len(tr.Object.Str), got[tr.Object.Str])
			}
		}
	}
}
