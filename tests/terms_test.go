package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
	"github.com/akutan-dev/akutan/wire"
)

// typedTriples are RDF literals that only survive as annotated objects:
// "01" and "1" are equal values but different terms.
const typedTriples = `<http://ex/s> <http://ex/p> "01"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/s> <http://ex/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/s> <http://ex/p> "1.50"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/s> <http://ex/p> "x"^^<http://ex/dt> .
<http://ex/s> <http://ex/p> "2020-01-01T00:00:00+02:00"^^<http://www.w3.org/2001/XMLSchema#dateTime> .
`

// typedTerms are how a query prints the annotated ones of typedTriples.
var typedTerms = []string{
	`"01"^^<http://www.w3.org/2001/XMLSchema#integer>`,
	`"1.50"^^<http://www.w3.org/2001/XMLSchema#decimal>`,
	`"x"^^<http://ex/dt>`,
	`"2020-01-01T00:00:00+02:00"^^<http://www.w3.org/2001/XMLSchema#dateTime>`,
}

const typedQuery = "SELECT ?o WHERE { <http://ex/s> <http://ex/p> ?o }"

// checkTypedTerms checks that rows hold the five objects, printed exactly.
func checkTypedTerms(t *testing.T, what string, rows []string) {
	t.Helper()
	all := strings.Join(rows, "\n")
	if len(rows) != 5 {
		t.Fatalf("%s: %d rows, want 5:\n%s", what, len(rows), all)
	}
	for _, want := range typedTerms {
		if !strings.Contains(all, want) {
			t.Errorf("%s: rows\n%s\nlack %s", what, all, want)
		}
	}
}

// TestLocalKeepsRDFLiteralsExactly: a fresh `akutan local` keeps RDF
// literals as loaded (its log starts in format version 3), and a query
// prints each as the exact term it is.
func TestLocalKeepsRDFLiteralsExactly(t *testing.T) {
	harness.SkipIfShort(t)
	_, api, _ := startLocal(t, filepath.Join(t.TempDir(), "data"))
	nt := filepath.Join(t.TempDir(), "terms.nt")
	if err := os.WriteFile(nt, []byte(typedTriples), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := akutan(t, "insert", "--api", api, nt); !strings.Contains(out, "5 new") {
		t.Fatalf("insert printed %q; want 5 new facts: \"01\" and \"1\" are different terms", out)
	}
	out := akutan(t, "query", "--api", api, "--format", "tsv", "-e", typedQuery)
	checkTypedTerms(t, "akutan local", strings.Split(strings.TrimSpace(out), "\n")[1:])
}

// TestAnnotatedLiteralsNeedVersion3AndSurviveBoot: a log in format version
// 1 refuses annotated literals, naming the upgrade; after it they load,
// and views booted from peers hold them too, with equal digests.
func TestAnnotatedLiteralsNeedVersion3AndSurviveBoot(t *testing.T) {
	harness.SkipIfShort(t)
	c := newViewCluster(t)
	c.startSpaces(2)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.apic.Insert(ctx, &wire.InsertRequest{Format: "ntriples", Data: typedTriples})
	if err == nil || !strings.Contains(err.Error(), "akutan ctl log upgrade --to 3") {
		t.Fatalf("inserting annotated literals into a version 1 log: %v, want a refusal naming the upgrade", err)
	}
	lc, err := logclient.New(c.logs.Addrs())
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	if _, err := lc.ChangeVersion(ctx, 3); err != nil {
		t.Fatal(err)
	}
	reply, err := c.apic.Insert(ctx, &wire.InsertRequest{Format: "ntriples", Data: typedTriples})
	if err != nil {
		t.Fatalf("inserting annotated literals into a version 3 log: %v", err)
	}
	last := reply.Index
	rows := c.typedRows(last)
	checkTypedTerms(t, "after the upgrade", rows)

	c.truncate(last) // new views must load from their peers
	var names []string
	for _, sp := range space.Spaces() {
		for i := 1; i <= 2; i++ {
			name := fmt.Sprintf("%s-%d-of-2", sp, i)
			c.start(name+"-b", sp, partition(t, i, 2))
			names = append(names, name)
		}
	}
	for _, name := range names {
		c.waitServing(name + "-b")
		if d, want := c.digest(name+"-b", last), c.digest(name, last); d != want {
			t.Fatalf("%s: booted view's digest %x, its peer's %x", name, d, want)
		}
		c.stop(name)
	}
	checkTypedTerms(t, "from views booted from peers", c.typedRows(last))
}

// typedRows runs typedQuery at index, retrying while the API server still
// routes to views that just stopped.
func (c *viewCluster) typedRows(index uint64) []string {
	c.t.Helper()
	var rows []string
	testutil.Eventually(c.t, 30*time.Second, 100*time.Millisecond, func() error {
		var err error
		rows, err = c.query(typedQuery, index)
		return err
	})
	return rows
}
