package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/engine/enginetest"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
)

// subjects is how many facts `<sI> <p> I` the graph holds: more than one
// operator batch, so that a scan that fails part-way has already sent rows
// downstream.
const subjects = 600

// graph holds `<a> <b> 26` and `<sI> <p> I` for I < subjects.
type graph struct {
	views *enginetest.Views
	a, b  uint64
}

func newGraph(t *testing.T) *graph {
	t.Helper()
	g := &graph{views: enginetest.New()}
	g.a, g.b = g.views.Entity("a"), g.views.Entity("b")
	g.views.Add(g.a, g.b, storage.AInt64(26, 0))
	p := g.views.Entity("p")
	for i := range subjects {
		g.views.Add(g.views.Entity(fmt.Sprintf("s%d", i)), p, storage.AInt64(int64(i), 0))
	}
	return g
}

// half returns the half of a space that holds hash h.
func half(t *testing.T, h uint64) space.Range {
	t.Helper()
	for i := 1; i <= 2; i++ {
		r, err := space.Partition(i, 2)
		if err != nil {
			t.Fatal(err)
		}
		if r.Contains(h) {
			return r
		}
	}
	t.Fatalf("no half of the space holds %x", h)
	return space.Range{}
}

// stream runs text and returns the chunks it sent that carried rows.
func (g *graph) stream(t *testing.T, text string) (rowChunks []*engine.Chunk, err error) {
	t.Helper()
	q, err := parser.ParseQuery(text)
	if err != nil {
		t.Fatalf("parsing %q: %v", text, err)
	}
	en := engine.New(g.views)
	err = en.Stream(context.Background(), q, g.views.Index(), engine.Options{}, func(c *engine.Chunk) error {
		if c.Rows != nil {
			rowChunks = append(rowChunks, c)
		}
		return nil
	})
	return rowChunks, err
}

func cells(chunks []*engine.Chunk) []string {
	var out []string
	for _, c := range chunks {
		for _, r := range c.Rows {
			var line []string
			for _, v := range r {
				line = append(line, v.Text)
			}
			out = append(out, strings.Join(line, " "))
		}
	}
	return out
}

// checkUncovered fails unless err is the failure of range r of sp and
// names both.
func checkUncovered(t *testing.T, query string, err error, sp space.Space, r space.Range) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatalf("%s: succeeded with a range of %s down", query, sp)
	case !errors.Is(err, fanout.ErrUncovered):
		t.Fatalf("%s: error %v, want one wrapping fanout.ErrUncovered", query, err)
	case !strings.Contains(err.Error(), string(sp)) || !strings.Contains(err.Error(), r.String()):
		t.Fatalf("%s: error %q does not name the space %s and the range %s", query, err, sp, r)
	}
}

// TestAnswersWithAllRanges checks the fixture: with every range up, the
// queries the failure tests use answer correctly.
func TestAnswersWithAllRanges(t *testing.T) {
	g := newGraph(t)
	for query, want := range map[string]string{
		"ASK WHERE { <a> <b> 26 }":                             "true",
		"ASK WHERE { <a> <b> 27 }":                             "false",
		"SELECT (COUNT(*) AS ?n) WHERE { ?f ?s <p> ?o }":       fmt.Sprint(subjects),
		"SELECT ?x WHERE { <a> <b> ?x } LIMIT 1":               "26",
		"SELECT ?o WHERE { ?f <s7> <p> ?o } LIMIT 1":           "7",
		"SELECT ?o WHERE { ?f ?s <p> ?o } ORDER BY ?o LIMIT 1": "0",
	} {
		chunks, err := g.stream(t, query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if got := strings.Join(cells(chunks), ","); got != want {
			t.Fatalf("%s = %q, want %q", query, got, want)
		}
	}
}

// TestLookupFailureFailsEveryForm: with the HashSP half that holds
// <a> <b> down, every form of query over it returns the failure, naming
// the space and the range, and sends no row: ASK does not answer false,
// COUNT does not answer 0, LIMIT does not answer an empty table.
func TestLookupFailureFailsEveryForm(t *testing.T) {
	g := newGraph(t)
	down := half(t, storage.HashSP(g.a, g.b))
	g.views.Fail(space.HashSP, down)
	for _, query := range []string{
		"ASK WHERE { <a> <b> 26 }",
		"ASK WHERE { <a> <b> 27 }",
		"SELECT (COUNT(?x) AS ?n) WHERE { <a> <b> ?x }",
		"SELECT ?x WHERE { <a> <b> ?x } LIMIT 1",
		"SELECT DISTINCT ?x WHERE { <a> <b> ?x } LIMIT 1",
		"SELECT ?x WHERE { <a> <b> ?x } OFFSET 1 LIMIT 1",
		"SELECT ?x WHERE { <a> <b> ?x } ORDER BY ?x",
		"SELECT * WHERE { <a> <b> ?x }",
		"<a> <b> ?x",
	} {
		chunks, err := g.stream(t, query)
		checkUncovered(t, query, err, space.HashSP, down)
		if len(chunks) > 0 {
			t.Fatalf("%s: sent rows %v before failing", query, cells(chunks))
		}
	}
}

// TestFailureAfterRowsFailsQuery: a scan of <p> answers the facts of one
// HashPO half, then fails on the other. Rows have reached the output
// stage by then; COUNT, a LIMIT not yet reached, and an OFFSET that
// skipped them all must still fail, and COUNT must send nothing.
func TestFailureAfterRowsFailsQuery(t *testing.T) {
	g := newGraph(t)
	// The other half: the one that resolves the name <p> stays up.
	up := half(t, storage.HashPO(storage.KIDHasExternalID, storage.AString("p", "")))
	down := space.Range{Start: up.End + 1, End: math.MaxUint64}
	if up.Start != 0 {
		down = space.Range{Start: 0, End: up.Start - 1}
	}
	g.views.Fail(space.HashPO, down)
	for _, query := range []string{
		"SELECT (COUNT(*) AS ?n) WHERE { ?f ?s <p> ?o }",
		"ASK WHERE { ?f ?s <p> ?o\n ?o <gt> 100000 }",
		"SELECT ?o WHERE { ?f ?s <p> ?o } ORDER BY ?o LIMIT 1",
		"SELECT ?o WHERE { ?f ?s <p> ?o } OFFSET 10000 LIMIT 1",
	} {
		chunks, err := g.stream(t, query)
		checkUncovered(t, query, err, space.HashPO, down)
		if len(chunks) > 0 {
			t.Fatalf("%s: sent rows %v before failing", query, cells(chunks))
		}
	}
	// Rows of a plain SELECT stream out as they come; the failure still
	// ends the stream, and Run returns no result.
	for _, query := range []string{
		"SELECT ?o WHERE { ?f ?s <p> ?o }",
		fmt.Sprintf("SELECT ?o WHERE { ?f ?s <p> ?o } LIMIT %d", subjects),
	} {
		_, err := g.stream(t, query)
		checkUncovered(t, query, err, space.HashPO, down)
		q, _ := parser.ParseQuery(query)
		if res, err := engine.New(g.views).Run(context.Background(), q, g.views.Index()); err == nil || res != nil {
			t.Fatalf("%s: Run = %v, %v; want no result and an error", query, res, err)
		}
	}
}
