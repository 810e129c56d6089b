package viewserver

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// recordStream keeps what a lookup stream sends.
type recordStream struct{ chunks []*wire.LookupChunk }

func (r *recordStream) Context() context.Context { return context.Background() }
func (r *recordStream) Send(c *wire.LookupChunk) error {
	r.chunks = append(r.chunks, c)
	return nil
}

// sendMatches streams one match per literal size through matchChunks.
func sendMatches(t *testing.T, sizes []int) *recordStream {
	t.Helper()
	st := &recordStream{}
	out := newMatchChunks(st)
	for i, n := range sizes {
		f := storage.Fact{ID: uint64(i + 1), Subject: 7, Predicate: 8, Object: storage.AString(strings.Repeat("x", n), "")}
		if err := out.add(&wire.Match{Lookup: uint32(i), Fact: wire.FromFact(f)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := out.flush(); err != nil {
		t.Fatal(err)
	}
	return st
}

// checkChunks checks that the chunks hold every match once, in order, and
// that only a chunk of one match exceeds wire.ChunkBytes.
func checkChunks(t *testing.T, st *recordStream, matches int) {
	t.Helper()
	next := uint32(0)
	for i, c := range st.chunks {
		if n := proto.Size(c); n > wire.ChunkBytes && len(c.Matches) > 1 {
			t.Errorf("chunk %d: %d bytes in %d matches, over the %d-byte budget", i, n, len(c.Matches), wire.ChunkBytes)
		}
		if len(c.Matches) > chunkMatches {
			t.Errorf("chunk %d: %d matches, over %d", i, len(c.Matches), chunkMatches)
		}
		for _, m := range c.Matches {
			if m.Lookup != next {
				t.Fatalf("chunk %d: match of lookup %d, want %d", i, m.Lookup, next)
			}
			next++
		}
	}
	if int(next) != matches {
		t.Fatalf("%d matches sent, want %d", next, matches)
	}
}

// TestLookupChunksSplitBySize: 2,200 matches with 5 KB literals (11 MB)
// are sent in chunks within the byte budget, not in chunks of 1,000.
func TestLookupChunksSplitBySize(t *testing.T) {
	sizes := make([]int, 2200)
	for i := range sizes {
		sizes[i] = 5 << 10
	}
	st := sendMatches(t, sizes)
	checkChunks(t, st, len(sizes))
	if len(st.chunks) < 3 {
		t.Errorf("%d chunks for 11 MB, want at least 3", len(st.chunks))
	}
}

// TestLookupChunksOfLargeMatches: 1 MiB matches share chunks up to the
// budget; a match larger than the budget goes alone, between full chunks.
func TestLookupChunksOfLargeMatches(t *testing.T) {
	sizes := []int{1 << 20, 1 << 20, 1 << 20, 1 << 20, 1 << 20, wire.ChunkBytes + 1, 10, 1 << 20}
	st := sendMatches(t, sizes)
	checkChunks(t, st, len(sizes))
	var counts []int
	for _, c := range st.chunks {
		counts = append(counts, len(c.Matches))
	}
	want := []int{3, 2, 1, 2}
	if len(counts) != len(want) {
		t.Fatalf("matches per chunk %v, want %v", counts, want)
	}
	for i := range want {
		if counts[i] != want[i] {
			t.Fatalf("matches per chunk %v, want %v", counts, want)
		}
	}
}

// TestLookupChunksOfSmallMatches: small matches are still cut at
// chunkMatches.
func TestLookupChunksOfSmallMatches(t *testing.T) {
	st := sendMatches(t, make([]int, 2500))
	checkChunks(t, st, 2500)
	if len(st.chunks) != 3 {
		t.Errorf("%d chunks for 2500 small matches, want 3", len(st.chunks))
	}
}
