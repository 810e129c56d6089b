package tests

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/tests/harness"
)

// exportTo runs `akutan export` into a file and returns its path.
func exportTo(t *testing.T, api, format, name string, extra ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, errOut, err := harness.RunContext(ctx, bin, append([]string{"export", "--api", api, "--format", format}, extra...)...)
	if err != nil {
		t.Fatalf("export --format %s: %v\n%s", format, err, errOut)
	}
	if !strings.Contains(errOut, "as of log index") {
		t.Fatalf("export printed %q on standard error; want the log index", errOut)
	}
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sortedLines returns a file's non-empty lines, sorted.
func sortedLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if sc.Text() != "" {
			lines = append(lines, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return lines
}

// predicateCounts answers how many triples each predicate has.
func predicateCounts(t *testing.T, api string) string {
	t.Helper()
	return akutan(t, "sparql", "--api", api, "--format", "tsv", "--timeout", "5m",
		"-e", "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p")
}

// TestExportRoundTrip loads LUBM (lubm-1.nt.gz; AKUTAN_EXPORT_LUBM names
// another file of the shared data, such as lubm-10.nt.gz), exports it as
// N-Triples and as Turtle, and loads the Turtle into a fresh `akutan
// local`: every predicate has the same count there, and exporting the new
// database gives exactly the same triples. An export as of an earlier log
// index holds fewer triples.
func TestExportRoundTrip(t *testing.T) {
	harness.SkipIfShort(t)
	name := "lubm-1.nt.gz"
	if n := os.Getenv("AKUTAN_EXPORT_LUBM"); n != "" {
		name = n
	}
	path := lubmFile(t, name)
	_, api, _ := startLocal(t, filepath.Join(t.TempDir(), "a"))
	if _, errOut, err := loadCLI(t, "--api", api, path); err != nil {
		t.Fatalf("loading %s: %v\n%s", name, err, errOut)
	}
	start := time.Now()
	nt := exportTo(t, api, "ntriples", "a.nt")
	exported := sortedLines(t, nt)
	t.Logf("exported %d triples of %s in %v", len(exported), name, time.Since(start))
	if want := countLines(t, path, " "); len(exported) != want {
		t.Fatalf("export wrote %d triples, want %d (the lines of %s)", len(exported), want, name)
	}
	ttl := exportTo(t, api, "turtle", "a.ttl")
	early := exportTo(t, api, "ntriples", "early.nt", "--index", "2")
	if n := len(sortedLines(t, early)); n == 0 || n >= len(exported) {
		t.Fatalf("export --index 2 wrote %d triples; want some, fewer than %d", n, len(exported))
	}

	_, api2, _ := startLocal(t, filepath.Join(t.TempDir(), "b"))
	if _, errOut, err := loadCLI(t, "--api", api2, ttl); err != nil {
		t.Fatalf("loading the Turtle export: %v\n%s", err, errOut)
	}
	want, got := predicateCounts(t, api), predicateCounts(t, api2)
	if got != want {
		t.Fatalf("per-predicate counts differ after the round trip:\nfirst:\n%s\nsecond:\n%s", want, got)
	}
	if strings.Count(want, "\n") < 10 {
		t.Fatalf("only %d predicates counted: %q", strings.Count(want, "\n")-1, want)
	}
	again := sortedLines(t, exportTo(t, api2, "ntriples", "b.nt"))
	if len(again) != len(exported) {
		t.Fatalf("the second database exports %d triples, the first %d", len(again), len(exported))
	}
	for i := range again {
		if again[i] != exported[i] {
			t.Fatalf("the exports differ: first %s, second %s", exported[i], again[i])
		}
	}
	t.Logf("round trip of %s: %d triples, %d predicates", name, len(exported), strings.Count(want, "\n")-1)
}
