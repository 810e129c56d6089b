package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/akutan-dev/akutan/query/engine/enginetest"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
)

// consumeAfterFailure runs the output stage of text over a plan that
// failed and then, as an operator cut short by the cancellation might,
// still delivered rows before its channel closed.
func consumeAfterFailure(t *testing.T, text string, rows ...row) (sent []*Chunk, err error) {
	t.Helper()
	q, err := parser.ParseQuery(text)
	if err != nil {
		t.Fatal(err)
	}
	c, err := compile(q, map[string]uint64{"a": 10, "b": 11})
	if err != nil {
		t.Fatal(err)
	}
	g := newGroup(context.Background())
	g.fail(errors.New("lookup failed"))
	ch := make(chan batch, 1)
	ch <- rows
	close(ch)
	out := newOutput(q, c, enginetest.New(), nil, 1)
	err = out.consume(context.Background(), running{rows: ch, g: g}, func(c *Chunk) error {
		sent = append(sent, c)
		return nil
	})
	return sent, err
}

// TestEarlyStopKeepsEarlierFailure: rows that arrive after a failure do
// not make an answer. ASK does not answer true, LIMIT does not send the
// rows, and neither does a plain SELECT or COUNT: each returns the
// failure and sends nothing.
func TestEarlyStopKeepsEarlierFailure(t *testing.T) {
	one := row{storage.AInt64(26, 0)}
	for _, text := range []string{
		"ASK WHERE { <a> <b> ?x }",
		"SELECT ?x WHERE { <a> <b> ?x } LIMIT 1",
		"SELECT ?x WHERE { <a> <b> ?x }",
		"SELECT (COUNT(?x) AS ?n) WHERE { <a> <b> ?x }",
		"SELECT ?x WHERE { <a> <b> ?x } ORDER BY ?x",
	} {
		sent, err := consumeAfterFailure(t, text, one)
		if err == nil || err.Error() != "executing query: lookup failed" {
			t.Fatalf("%s: consume = %v, want the lookup's failure", text, err)
		}
		if len(sent) > 0 {
			t.Fatalf("%s: sent %d chunks (first %+v) after the plan failed", text, len(sent), sent[0])
		}
	}
}

// TestStopIgnoresLaterFailures: once the output stage stopped the plan
// with a complete answer, the cancellation's echo (operators failing with
// context.Canceled) is not the query's failure.
func TestStopIgnoresLaterFailures(t *testing.T) {
	g := newGroup(context.Background())
	started := make(chan struct{})
	g.goRun(func() error {
		close(started)
		<-g.ctx.Done()
		return g.ctx.Err()
	})
	<-started
	if err := g.stop(); err != nil {
		t.Fatalf("stop = %v, want nil: the failure came after the stop", err)
	}
}
