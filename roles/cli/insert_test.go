package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/update"
	"github.com/akutan-dev/akutan/storage"
)

// batchesOf runs the loader's batching over N-Triples text and returns
// the batches and the error that ended it.
func batchesOf(t *testing.T, text string) ([]*batch, error) {
	t.Helper()
	return produced(t, &loader{batchFacts: defaultBatchFacts, format: rdf.Format{Name: "ntriples", LoadID: "test"}}, text)
}

// literalLines makes one N-Triples line per literal size.
func literalLines(sizes ...int) string {
	var sb strings.Builder
	for i, n := range sizes {
		fmt.Fprintf(&sb, "<http://x/s%d> <http://x/desc> \"%s\" .\n", i, strings.Repeat("d", n))
	}
	return sb.String()
}

// TestLoaderBatchesByBytes: 2,200 facts with 5 KB literals go in batches
// of at most maxBatchBytes, and 1 MiB literals in batches of one or two,
// never over the limit unless alone.
func TestLoaderBatchesByBytes(t *testing.T) {
	small := make([]int, 2200)
	for i := range small {
		small[i] = 5 << 10
	}
	for _, sizes := range [][]int{small, {1 << 20, 1 << 20, 1 << 20, 10, storage.MaxLiteralBytes}} {
		bs, err := batchesOf(t, literalLines(sizes...))
		if err != nil {
			t.Fatal(err)
		}
		facts := 0
		for i, b := range bs {
			if len(b.data) > maxBatchBytes && b.facts > 1 {
				t.Errorf("batch %d: %d facts in %d bytes, over %d", i, b.facts, len(b.data), maxBatchBytes)
			}
			facts += b.facts
		}
		if facts != len(sizes) || len(bs) < 2 {
			t.Errorf("%d facts in %d batches, want %d in several", facts, len(bs), len(sizes))
		}
	}
}

// TestLoaderRefusesAnOversizedLiteral: a fact over the literal limit stops
// the load with its line number and the limit; the facts before it are
// still sent.
func TestLoaderRefusesAnOversizedLiteral(t *testing.T) {
	bs, err := batchesOf(t, literalLines(10, 20, storage.MaxLiteralBytes+1, 30))
	if !errors.Is(err, update.ErrLiteralTooLarge) || !strings.Contains(err.Error(), "line 3") ||
		!strings.Contains(err.Error(), fmt.Sprint(storage.MaxLiteralBytes)) {
		t.Fatalf("produce = %v, want ErrLiteralTooLarge at line 3 naming the limit", err)
	}
	if len(bs) != 1 || bs[0].facts != 2 {
		t.Fatalf("sent %d batches, want one of the 2 facts before the oversized one", len(bs))
	}
}
