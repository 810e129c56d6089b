package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/rdf"
)

// produced runs loader.produce over N-Triples input and returns the
// batches it sent and its error.
func produced(t *testing.T, l *loader, input string) ([]*batch, error) {
	t.Helper()
	out := make(chan *batch, 1000)
	err := l.produce(context.Background(), rdf.NewNTriplesReader(strings.NewReader(input)), out)
	close(out)
	var sent []*batch
	for b := range out {
		sent = append(sent, b)
	}
	return sent, err
}

func ntriples(n int) string {
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, "<http://ex/s%d> <http://ex/p> \"%d\" .\n", i, i)
	}
	return sb.String()
}

const syntaxError = "<http://ex/s> <http://ex/p> \"unterminated .\n"

// TestSyntaxErrorInSmallInputSendsNothing checks that an input within the
// pre-scan, smaller than one batch or of several, sends no fact when a
// syntax error comes near its end.
func TestSyntaxErrorInSmallInputSendsNothing(t *testing.T) {
	for _, batchFacts := range []int{defaultBatchFacts, 2} {
		l := &loader{batchFacts: batchFacts, preScan: preScanBytes}
		sent, err := produced(t, l, ntriples(5)+syntaxError+ntriples(1))
		if err == nil || !strings.Contains(err.Error(), "line 6") {
			t.Fatalf("batch %d: error %v; want the syntax error on line 6", batchFacts, err)
		}
		if len(sent) != 0 {
			t.Fatalf("batch %d: %d batches sent before the syntax error; want none", batchFacts, len(sent))
		}
	}
	l := &loader{batchFacts: 2, preScan: preScanBytes}
	if sent, err := produced(t, l, ntriples(5)); err != nil || len(sent) != 3 || sent[2].facts != 1 {
		t.Fatalf("a good input: %d batches, %v; want 3 (2, 2 and 1 facts)", len(sent), err)
	}
}

// TestSyntaxErrorPastPreScanSendsEarlierBatches checks a larger input: the
// batches before the error's are sent, in order; the error's is not.
func TestSyntaxErrorPastPreScanSendsEarlierBatches(t *testing.T) {
	l := &loader{batchFacts: 2, preScan: 1} // every batch is past the pre-scan
	sent, err := produced(t, l, ntriples(5)+syntaxError)
	if err == nil {
		t.Fatal("no syntax error reported")
	}
	if len(sent) != 2 || sent[0].seq != 0 || sent[1].seq != 1 || sent[0].facts+sent[1].facts != 4 {
		t.Fatalf("%d batches sent; want the two full ones before the error's batch", len(sent))
	}
}
