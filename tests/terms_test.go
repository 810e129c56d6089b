package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/tests/harness"
)

// TestLocalKeepsRDFLiteralsExactly: a fresh `akutan local` keeps RDF
// literals as loaded (its log starts in format version 3), and a query
// prints each as the exact term it is.
func TestLocalKeepsRDFLiteralsExactly(t *testing.T) {
	harness.SkipIfShort(t)
	_, api, _ := startLocal(t, filepath.Join(t.TempDir(), "data"))
	nt := filepath.Join(t.TempDir(), "terms.nt")
	data := `<http://ex/s> <http://ex/p> "01"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/s> <http://ex/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/s> <http://ex/p> "1.50"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/s> <http://ex/p> "x"^^<http://ex/dt> .
<http://ex/s> <http://ex/p> "2020-01-01T00:00:00+02:00"^^<http://www.w3.org/2001/XMLSchema#dateTime> .
`
	if err := os.WriteFile(nt, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := akutan(t, "insert", "--api", api, nt); !strings.Contains(out, "5 new") {
		t.Fatalf("insert printed %q; want 5 facts: \"01\" and \"1\" are different terms", out)
	}
	out := akutan(t, "query", "--api", api, "--format", "tsv", "-e", "SELECT ?o WHERE { <http://ex/s> <http://ex/p> ?o }")
	for _, want := range []string{
		`"01"^^<http://www.w3.org/2001/XMLSchema#integer>`,
		`"1.50"^^<http://www.w3.org/2001/XMLSchema#decimal>`,
		`"x"^^<http://ex/dt>`,
		`"2020-01-01T00:00:00+02:00"^^<http://www.w3.org/2001/XMLSchema#dateTime>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("query printed\n%s\nwithout %s", out, want)
		}
	}
}
