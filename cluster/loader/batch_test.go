package loader

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/update"
	"github.com/akutan-dev/akutan/storage"
)

// produced runs the loader's batching over N-Triples text and returns the
// batches it handed to the senders and the error that ended it.
func produced(t *testing.T, cfg Config, text string) ([]*batch, error) {
	t.Helper()
	l, err := New(cfg, &fakeAPI{})
	if err != nil {
		t.Fatal(err)
	}
	if l.in, err = NewInput(strings.NewReader(text)); err != nil {
		t.Fatal(err)
	}
	out := make(chan *batch, 1000)
	err = l.produce(context.Background(), false, out)
	close(out)
	var sent []*batch
	for b := range out {
		sent = append(sent, b)
	}
	return sent, err
}

// testConfig is the default configuration of an N-Triples load.
func testConfig() Config {
	cfg := DefaultConfig("test.nt", "ntriples")
	cfg.LoadID, cfg.RetryBackoff = "test", 0
	return cfg
}

// literalLines makes one N-Triples line per literal size.
func literalLines(sizes ...int) string {
	var sb strings.Builder
	for i, n := range sizes {
		fmt.Fprintf(&sb, "<http://x/s%d> <http://x/desc> \"%s\" .\n", i, strings.Repeat("d", n))
	}
	return sb.String()
}

// ntriples makes n distinct facts, one a line.
func ntriples(n int) string {
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, "<http://ex/s%d> <http://ex/p> \"%d\" .\n", i, i)
	}
	return sb.String()
}

const syntaxError = "<http://ex/s> <http://ex/p> \"unterminated .\n"

// TestBatchesByCount: batches hold BatchFacts facts, the last the rest,
// numbered in input order.
func TestBatchesByCount(t *testing.T) {
	cfg := testConfig()
	cfg.BatchFacts = 3
	bs, err := produced(t, cfg, ntriples(8))
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for i, b := range bs {
		if b.seq != i {
			t.Errorf("batch %d has seq %d", i, b.seq)
		}
		got = append(got, b.facts)
	}
	if fmt.Sprint(got) != "[3 3 2]" {
		t.Fatalf("batch sizes %v, want [3 3 2]", got)
	}
}

// TestBatchesByBytes: 2,200 facts with 5 KB literals go in batches of at
// most MaxBatchBytes, and 1 MiB literals in batches of one or two, never
// over the limit unless alone; the batches hold every fact once, in order.
func TestBatchesByBytes(t *testing.T) {
	small := make([]int, 2200)
	for i := range small {
		small[i] = 5 << 10
	}
	for _, sizes := range [][]int{small, {1 << 20, 1 << 20, 1 << 20, 10, storage.MaxLiteralBytes}} {
		bs, err := produced(t, testConfig(), literalLines(sizes...))
		if err != nil {
			t.Fatal(err)
		}
		facts := 0
		var all []byte
		for i, b := range bs {
			if len(b.data) > DefaultMaxBatchBytes && b.facts > 1 {
				t.Errorf("batch %d: %d facts in %d bytes, over %d", i, b.facts, len(b.data), DefaultMaxBatchBytes)
			}
			facts += b.facts
			all = append(all, b.data...)
		}
		if string(all) != literalLines(sizes...) {
			t.Errorf("the batches do not hold the input's facts once each, in order")
		}
		if facts != len(sizes) || len(bs) < 2 {
			t.Errorf("%d facts in %d batches, want %d in several", facts, len(bs), len(sizes))
		}
	}
}

// TestRefusesAnOversizedLiteral: a fact over the literal limit stops the
// load with its line number and the limit; the facts before it are still
// sent.
func TestRefusesAnOversizedLiteral(t *testing.T) {
	bs, err := produced(t, testConfig(), literalLines(10, 20, storage.MaxLiteralBytes+1, 30))
	if !errors.Is(err, update.ErrLiteralTooLarge) || !strings.Contains(err.Error(), "line 3") ||
		!strings.Contains(err.Error(), fmt.Sprint(storage.MaxLiteralBytes)) {
		t.Fatalf("produce = %v, want ErrLiteralTooLarge at line 3 naming the limit", err)
	}
	if len(bs) != 1 || bs[0].facts != 2 {
		t.Fatalf("sent %d batches, want one of the 2 facts before the oversized one", len(bs))
	}
}

// TestSyntaxErrorInSmallInputSendsNothing: an input within the pre-scan,
// smaller than one batch or of several, sends no fact when a syntax error
// comes near its end.
func TestSyntaxErrorInSmallInputSendsNothing(t *testing.T) {
	for _, batchFacts := range []int{DefaultBatchFacts, 2} {
		cfg := testConfig()
		cfg.BatchFacts = batchFacts
		sent, err := produced(t, cfg, ntriples(5)+syntaxError+ntriples(1))
		if err == nil || !strings.Contains(err.Error(), "line 6") {
			t.Fatalf("batch %d: error %v; want the syntax error on line 6", batchFacts, err)
		}
		if len(sent) != 0 {
			t.Fatalf("batch %d: %d batches sent before the syntax error; want none", batchFacts, len(sent))
		}
	}
	cfg := testConfig()
	cfg.BatchFacts = 2
	if sent, err := produced(t, cfg, ntriples(5)); err != nil || len(sent) != 3 || sent[2].facts != 1 {
		t.Fatalf("a good input: %d batches, %v; want 3 (2, 2 and 1 facts)", len(sent), err)
	}
}

// TestSyntaxErrorPastPreScanSendsEarlierBatches: in a larger input the
// batches before the error's are sent, in order; the error's is not.
func TestSyntaxErrorPastPreScanSendsEarlierBatches(t *testing.T) {
	cfg := testConfig()
	cfg.BatchFacts, cfg.PreScanBytes = 2, 1 // every batch is past the pre-scan
	sent, err := produced(t, cfg, ntriples(5)+syntaxError)
	if err == nil {
		t.Fatal("no syntax error reported")
	}
	if len(sent) != 2 || sent[0].seq != 0 || sent[1].seq != 1 || sent[0].facts+sent[1].facts != 4 {
		t.Fatalf("%d batches sent; want the two full ones before the error's batch", len(sent))
	}
}
