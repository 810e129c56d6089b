package boot

import (
	"context"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/viewstore"
	"github.com/akutan-dev/akutan/wire"
)

// storeOfLiterals returns a HashSP store with one fact per literal size;
// every other literal has a datatype, so its key has a value.
func storeOfLiterals(t *testing.T, sizes []int) *viewstore.Store {
	t.Helper()
	st, err := viewstore.Open(t.TempDir(), viewstore.Config{Space: storage.KeyPrefixSP, RangeEnd: math.MaxUint64})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := viewstore.Change{Index: 1}
	for i, n := range sizes {
		c.Inserts = append(c.Inserts, storage.Fact{
			Index: 1, ID: storage.KIDOf(1, uint32(i+1)), Subject: 77, Predicate: 88,
			Object: storage.AString(strings.Repeat("x", n)+string(rune('a'+i%26)), ""),
		})
		if i%2 == 1 {
			c.Inserts[i].Object.Datatype = "http://example.org/dt"
		}
	}
	if err := st.Apply([]viewstore.Change{c}); err != nil {
		t.Fatal(err)
	}
	return st
}

// rideChunks rides a carousel with the default scan batch and wire-sized
// chunks over st, checking that every LoadChunk it would send stays within
// wire.ChunkBytes unless it holds one key, that the values come along (the
// ride's digest is the store's), and returns the keys per chunk.
func rideChunks(t *testing.T, st *viewstore.Store) []int {
	t.Helper()
	c := NewCarousel(CarouselConfig{Scan: st.ScanKeys, ChunkBytes: wire.ChunkBytes})
	defer c.Stop()
	var counts []int
	sum, err := c.Ride(context.Background(), Want{Range: space.Full(), Index: 1}, func(keys, values [][]byte) error {
		if values != nil && len(values) != len(keys) {
			t.Errorf("a chunk of %d keys has %d values", len(keys), len(values))
		}
		if n := proto.Size(&wire.LoadChunk{Keys: keys, Values: values}); n > wire.ChunkBytes && len(keys) > 1 {
			t.Errorf("a chunk of %d keys is %d bytes, over the %d-byte budget", len(keys), n, wire.ChunkBytes)
		}
		counts = append(counts, len(keys))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := expected(t, st, Want{Range: space.Full(), Index: 1}); sum.Keys != uint64(len(want)) {
		t.Fatalf("ride sent %d keys, want %d", sum.Keys, len(want))
	}
	if d, _ := st.Digest(context.Background(), 1); d != sum.Digest {
		t.Fatalf("ride's digest %x, store's %x", sum.Digest, d)
	}
	return counts
}

// TestChunksOfLargeKeys: 2,200 keys of 5 KB literals, more than one scan
// batch's worth of bytes, leave in chunks within the byte budget.
func TestChunksOfLargeKeys(t *testing.T) {
	sizes := make([]int, 2200)
	for i := range sizes {
		sizes[i] = 5 << 10
	}
	if counts := rideChunks(t, storeOfLiterals(t, sizes)); len(counts) < 3 {
		t.Fatalf("11 MB of keys came in %d chunks, want at least 3", len(counts))
	}
}

// TestChunksOfHugeKeys: 1 MiB keys share chunks up to the budget; a key
// larger than the budget comes alone.
func TestChunksOfHugeKeys(t *testing.T) {
	counts := rideChunks(t, storeOfLiterals(t, []int{1 << 20, 1 << 20, 1 << 20, 1 << 20, 1 << 20, wire.ChunkBytes + 1}))
	alone := false
	for _, n := range counts {
		if n > 3 {
			t.Fatalf("keys per chunk %v: more than three 1 MiB keys in a chunk", counts)
		}
		alone = alone || n == 1
	}
	if !alone || len(counts) < 3 {
		t.Fatalf("keys per chunk %v, want the oversized key alone", counts)
	}
}
