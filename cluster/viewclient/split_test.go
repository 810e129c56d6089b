package viewclient

import (
	"testing"

	"github.com/akutan-dev/akutan/wire"
)

// TestSplitBySize: lookup requests are cut at wire.ChunkBytes; a lookup
// larger than that goes alone.
func TestSplitBySize(t *testing.T) {
	sizes := []int{5 << 10, 1 << 20, 1 << 20, 1 << 20, 1 << 20, wire.ChunkBytes + 1, 5 << 10, 5 << 10}
	positions := []int{0, 1, 2, 3, 4, 5, 6, 7}
	got := splitBySize(positions, func(p int) int { return sizes[p] })
	want := []span{{0, 4}, {4, 5}, {5, 6}, {6, 8}}
	if len(got) != len(want) {
		t.Fatalf("splitBySize = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("splitBySize = %v, want %v", got, want)
		}
	}
	small := make([]int, 100000)
	for i := range small {
		small[i] = i
	}
	if got := splitBySize(small, func(int) int { return 20 }); len(got) != 1 {
		t.Fatalf("100,000 lookups of 20 bytes split into %d requests, want 1", len(got))
	}
}
