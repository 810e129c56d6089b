package apiserver

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

type recordChunks struct{ chunks []*wire.QueryChunk }

func (r *recordChunks) Send(c *wire.QueryChunk) error {
	r.chunks = append(r.chunks, c)
	return nil
}

// rowsOf makes one single-column row per literal size.
func rowsOf(sizes ...int) [][]engine.Value {
	rows := make([][]engine.Value, len(sizes))
	for i, n := range sizes {
		s := strings.Repeat("x", n)
		rows[i] = []engine.Value{{Object: storage.AString(s, ""), Text: `"` + s + `"`}}
	}
	return rows
}

// sendRows sends rows through sendChunk and checks the chunks: the header
// once, every row once in order, no chunk over the budgets unless it holds
// one row. It returns the rows per chunk.
func sendRows(t *testing.T, rows [][]engine.Value) []int {
	t.Helper()
	var rec recordChunks
	if err := sendChunk(&rec, &engine.Chunk{Index: 9, Columns: []string{"o"}, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	var counts []int
	sent := 0
	for i, c := range rec.chunks {
		if (i == 0) != (c.Columns != nil) {
			t.Fatalf("chunk %d: columns %v", i, c.Columns)
		}
		if n := proto.Size(c); n > wire.ChunkBytes+1024 && len(c.Rows) > 1 {
			t.Errorf("chunk %d: %d rows in %d bytes, over the %d-byte budget", i, len(c.Rows), n, wire.ChunkBytes)
		}
		if len(c.Rows) > rowsPerChunk {
			t.Errorf("chunk %d: %d rows, over %d", i, len(c.Rows), rowsPerChunk)
		}
		for _, r := range c.Rows {
			if r.Values[0].Object.GetStr() != rows[sent][0].Object.Str {
				t.Fatalf("row %d differs", sent)
			}
			sent++
		}
		counts = append(counts, len(c.Rows))
	}
	if sent != len(rows) {
		t.Fatalf("%d rows sent, want %d", sent, len(rows))
	}
	return counts
}

// TestResultChunksSplitBySize: 2,200 rows of a 5 KB literal (twice: value
// and text, 22 MB) go in chunks within the byte budget.
func TestResultChunksSplitBySize(t *testing.T) {
	sizes := make([]int, 2200)
	for i := range sizes {
		sizes[i] = 5 << 10
	}
	if counts := sendRows(t, rowsOf(sizes...)); len(counts) < 6 {
		t.Fatalf("22 MB of rows in %d chunks, want at least 6", len(counts))
	}
}

// TestResultChunksOfLargeRows: rows of 1 MiB (a 512 KiB literal as value
// and as text) share chunks up to the budget; a row larger than the budget
// goes alone.
func TestResultChunksOfLargeRows(t *testing.T) {
	const half = 512 << 10
	counts := sendRows(t, rowsOf(half, half, half, half, half, wire.ChunkBytes, 10))
	want := []int{3, 2, 1, 1}
	if len(counts) != len(want) {
		t.Fatalf("rows per chunk %v, want %v", counts, want)
	}
	for i := range want {
		if counts[i] != want[i] {
			t.Fatalf("rows per chunk %v, want %v", counts, want)
		}
	}
	if small := sendRows(t, rowsOf(make([]int, 2500)...)); len(small) != 3 {
		t.Fatalf("2,500 small rows in %d chunks, want 3", len(small))
	}
}
