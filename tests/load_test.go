package tests

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
)

// lubmFile finds a LUBM data set in the shared data folder (see
// testutil.SharedData), skipping the test when it is absent.
func lubmFile(t *testing.T, name string) string {
	t.Helper()
	return testutil.SharedData(t, name)
}

// countLines counts the lines of a gzipped file that contain substr.
func countLines(t *testing.T, path, substr string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(gz)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		if strings.Contains(sc.Text(), substr) {
			n++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// loadCLI runs `akutan insert` with a deadline fitting a bulk load.
func loadCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return harness.RunContext(ctx, bin, append([]string{"insert"}, args...)...)
}

// countMatches counts the solutions of a WHERE clause binding ?x.
func countMatches(t *testing.T, api, where string) string {
	t.Helper()
	out := akutan(t, "query", "--api", api, "--format", "tsv", "-e", "SELECT (COUNT(?x) AS ?n) WHERE { "+where+" }")
	return strings.TrimPrefix(strings.TrimSpace(out), "n\n")
}

const (
	rdfType         = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
	graduateStudent = "<http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#GraduateStudent>"
)

// TestLoadLUBM bulk-loads LUBM (1 university, 99,565 triples, gzipped
// N-Triples) through concurrent batches and checks a count against the
// file: batches must agree on the entities they share.
func TestLoadLUBM(t *testing.T) {
	harness.SkipIfShort(t)
	path := lubmFile(t, "lubm-1.nt.gz")
	want := countLines(t, path, rdfType+" "+graduateStudent)
	_, api, _ := startLocal(t, filepath.Join(t.TempDir(), "data"))

	out, errOut, err := loadCLI(t, "--api", api, path)
	if err != nil {
		t.Fatalf("load failed: %v\n%s", err, errOut)
	}
	if !regexp.MustCompile(`^loaded 99565 facts \(99565 new, 0 already present\) in .*facts/s; last log index \d+\n$`).MatchString(out) {
		t.Fatalf("load printed %q", out)
	}
	if got := countMatches(t, api, "?x "+rdfType+" "+graduateStudent); got != fmt.Sprint(want) {
		t.Fatalf("graduate students = %s, want %d (lines in the file)", got, want)
	}
	if got := countMatches(t, api, `?x <HasExternalID> "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"`); got != "1" {
		t.Fatalf("rdf:type has %s entities, want 1", got)
	}
}

// writeLoadInput writes a test input and returns its path.
func writeLoadInput(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// resumeHint matches the advice a stopped load prints.
var resumeHint = regexp.MustCompile(`loaded (\d+) facts before stopping \(\d+ in this run\); to resume: --skip (\d+) --load-id ([\w-]+)`)

// TestLoadParseErrorAndResume stops a load at a syntax error, checks the
// error names the file, line and column, and that nothing of a file that
// small was committed (though it spans several batches), then loads it
// after fixing the file with the printed resume advice: blank nodes keep
// naming the same entity across batches.
func TestLoadParseErrorAndResume(t *testing.T) {
	harness.SkipIfShort(t)
	_, api, _ := startLocal(t, filepath.Join(t.TempDir(), "data"))
	good := `<http://ex/alice> <http://ex/knows> _:bob .
_:bob <http://ex/name> "Bob" .
<http://ex/alice> <http://ex/age> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .
_:bob <http://ex/age> "41"^^<http://www.w3.org/2001/XMLSchema#int> .
_:bob <http://ex/likes> <http://ex/carol> .
`
	bad := strings.Replace(good, `_:bob <http://ex/age> "41"`, `_:bob <http://ex/age> "41`, 1)
	path := writeLoadInput(t, "people.nt", bad)
	_, errOut, err := loadCLI(t, "--api", api, "--batch", "2", path)
	if err == nil {
		t.Fatal("loading a file with a syntax error succeeded")
	}
	if !strings.Contains(errOut, "people.nt: line 4, column 23: unterminated string") {
		t.Fatalf("error %q does not name the file, line 4 and column 23", errOut)
	}
	m := resumeHint.FindStringSubmatch(errOut)
	if m == nil || m[1] != "0" || m[2] != "0" {
		t.Fatalf("error %q does not say no fact was loaded and how to resume", errOut)
	}
	if got := countMatches(t, api, "<http://ex/alice> ?p ?x"); got != "0" {
		t.Fatalf("%s facts of a file with a syntax error were committed; want none", got)
	}

	if err := os.WriteFile(path, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := loadCLI(t, "--api", api, "--batch", "1", "--skip", m[2], "--load-id", m[3], path)
	if err != nil {
		t.Fatalf("resuming failed: %v\n%s", err, errOut)
	}
	if !strings.HasPrefix(out, "loaded 5 facts (5 new, 0 already present)") {
		t.Fatalf("resume printed %q, want 5 facts loaded", out)
	}
	where := `<http://ex/alice> <http://ex/knows> ?x . ?x <http://ex/name> "Bob" . ?x <http://ex/age> 41 . ?x <http://ex/likes> <http://ex/carol>`
	if got := countMatches(t, api, where); got != "1" {
		t.Fatalf("facts about the blank node _:bob in four batches: count %s, want 1", got)
	}
	if got := countMatches(t, api, "<http://ex/alice> <http://ex/age> ?x . ?x <eq> 42"); got != "1" {
		t.Fatalf("xsd:integer did not load as a number: count %s", got)
	}
}

// TestLoadTurtle loads Turtle, which the client re-sends as N-Triples.
func TestLoadTurtle(t *testing.T) {
	harness.SkipIfShort(t)
	_, api, _ := startLocal(t, filepath.Join(t.TempDir(), "data"))
	path := writeLoadInput(t, "shop.ttl", `@prefix ex: <http://ex/> .
@base <http://ex/base/> .
ex:tv a ex:TV ; ex:size 65.0 ; ex:parts ( <screen> <stand> ) ;
      ex:maker [ ex:name "Acme"@en ] .
`)
	out, errOut, err := loadCLI(t, "--api", api, path)
	if err != nil {
		t.Fatalf("load failed: %v\n%s", err, errOut)
	}
	if !strings.HasPrefix(out, "loaded 9 facts (9 new") {
		t.Fatalf("load printed %q, want 9 facts", out)
	}
	where := `<http://ex/tv> <http://ex/parts> ?l . ?l <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> <http://ex/base/screen> . ` +
		`<http://ex/tv> <http://ex/maker> ?m . ?m <http://ex/name> "Acme"@en . ?x <http://ex/size> 65.0`
	if got := countMatches(t, api, where); got != "1" {
		t.Fatalf("turtle facts: count %s, want 1", got)
	}
}
