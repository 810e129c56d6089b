package tests

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/tests/harness"
)

const lubmGradCount = `SELECT (COUNT(*) AS ?n) WHERE { ?x a <http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#GraduateStudent> }`

// needTool returns the path of a client program the test drives; without
// it the test skips, unless CI is set, where it must be installed.
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s (package %s) is missing, and CI is set: .ci/run installs it", name, pkg)
		}
		t.Skipf("%s is not installed (package %s)", name, pkg)
	}
	return path
}

// needSPARQLWrapper checks that /usr/bin/python3 has SPARQLWrapper, as
// needTool checks programs.
func needSPARQLWrapper(t *testing.T) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import SPARQLWrapper").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3 SPARQLWrapper (package python3-sparqlwrapper) is missing, and CI is set: %v", err)
		}
		t.Skipf("python3 SPARQLWrapper is not installed (package python3-sparqlwrapper): %v", err)
	}
}

// runTool runs a client program and returns its standard output.
func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, errOut, err := harness.RunContext(ctx, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func finalLine(s string) string {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(s, "\r", ""), "\n"), "\n")
	return lines[len(lines)-1]
}

// TestSPARQLRealClients runs real SPARQL clients (curl, roqet,
// SPARQLWrapper and `akutan sparql`) against /sparql of `akutan local`
// with LUBM loaded.
func TestSPARQLRealClients(t *testing.T) {
	harness.SkipIfShort(t)
	curl := needTool(t, "curl", "curl")
	roqet := needTool(t, "roqet", "rasqal-utils")
	needSPARQLWrapper(t)
	path := lubmFile(t, "lubm-1.nt.gz")
	_, api, httpAddr := startLocal(t, filepath.Join(t.TempDir(), "data"))
	akutan(t, "insert", "--api", api, path)
	ep := "http://" + httpAddr + "/sparql"
	data := url.Values{"query": {lubmGradCount}}.Encode()

	for _, c := range []struct{ accept, contentType, want string }{
		{"text/csv", "text/csv", "n\r\n1874\r\n"},
		{"text/tab-separated-values", "text/tab-separated-values", "?n\n1874\n"},
		{"application/sparql-results+json", "application/sparql-results+json", `"value":"1874"`},
		{"application/sparql-results+xml", "application/sparql-results+xml", `>1874</literal>`},
	} {
		out := runTool(t, curl, "-sS", "--fail-with-body", "-i", "-H", "Accept: "+c.accept, "--data", data, ep)
		if !strings.Contains(out, "Content-Type: "+c.contentType) || !strings.Contains(out, c.want) || !strings.Contains(out, "Akutan-Log-Index: ") {
			t.Errorf("curl with Accept %s gave:\n%s\nwant Content-Type %s, %q and the log index", c.accept, out, c.contentType, c.want)
		}
	}
	construct := url.Values{"query": {`CONSTRUCT WHERE { <http://www.Department0.University0.edu/GraduateStudent101> <http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#emailAddress> ?e }`}}.Encode()
	for _, accept := range []string{"application/n-triples", "text/turtle"} {
		out := runTool(t, curl, "-sS", "--fail-with-body", "-G", "-H", "Accept: "+accept, "--data", construct, ep)
		want := `<http://www.Department0.University0.edu/GraduateStudent101> <http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#emailAddress> "GraduateStudent101@Department0.University0.edu" .`
		if strings.TrimSpace(out) != want {
			t.Errorf("CONSTRUCT as %s gave %q, want %q", accept, out, want)
		}
	}

	if got := finalLine(runTool(t, roqet, "-q", "-p", ep, "-e", lubmGradCount, "-r", "csv")); got != "1874" {
		t.Errorf("roqet gave %q, want 1874", got)
	}

	script := `
import sys
from SPARQLWrapper import SPARQLWrapper, JSON, XML
s = SPARQLWrapper(sys.argv[1]); s.setQuery(sys.argv[2])
s.setReturnFormat(JSON)
print(s.query().convert()["results"]["bindings"][0]["n"]["value"])
s.setReturnFormat(XML)
doc = s.query().convert()
print(doc.getElementsByTagName("literal")[0].firstChild.data)
`
	if got := runTool(t, "/usr/bin/python3", "-c", script, ep, lubmGradCount); got != "1874\n1874\n" {
		t.Errorf("SPARQLWrapper (JSON, then XML) gave %q, want 1874 twice", got)
	}

	if got := finalLine(akutan(t, "sparql", "--api", api, "--format", "tsv", "-e", lubmGradCount)); got != "1874" {
		t.Errorf("akutan sparql --format tsv gave %q, want 1874", got)
	}
	if got := akutan(t, "sparql", "--api", api, "--http", httpAddr, "--format", "csv", "-e", lubmGradCount); got != "n\r\n1874\r\n" {
		t.Errorf("akutan sparql --http --format csv gave %q", got)
	}
}

// TestSPARQLUpdateRoundTrip inserts literals through /sparql and reads
// them back exactly, with CONSTRUCT as N-Triples.
func TestSPARQLUpdateRoundTrip(t *testing.T) {
	harness.SkipIfShort(t)
	_, api, httpAddr := startLocal(t, filepath.Join(t.TempDir(), "data"))
	ep := "http://" + httpAddr + "/sparql"
	literals := []string{
		`"1.50"^^<http://www.w3.org/2001/XMLSchema#decimal>`,
		`"01"^^<http://www.w3.org/2001/XMLSchema#integer>`,
		`"x"^^<http://ex/dt>`,
		`"2020-01-01T00:00:00+02:00"^^<http://www.w3.org/2001/XMLSchema#dateTime>`,
		`"chat"@fr`,
	}
	out := akutan(t, "sparql-update", "--api", api, "-e", `INSERT DATA { <http://ex/s> <http://ex/p> `+strings.Join(literals, ", ")+` . }`)
	if !strings.Contains(out, "inserted 5 facts") {
		t.Fatalf("sparql-update printed %q, want 5 facts inserted", out)
	}
	got := akutan(t, "sparql", "--http", httpAddr, "--format", "ntriples", "-e", `CONSTRUCT WHERE { <http://ex/s> ?p ?o }`)
	var missing []string
	for _, lit := range literals {
		if !strings.Contains(got, "<http://ex/s> <http://ex/p> "+lit+" .\n") {
			missing = append(missing, lit)
		}
	}
	if n := strings.Count(got, "<http://ex/s> <http://ex/p> "); n != len(literals) {
		t.Fatalf("CONSTRUCT from %s gave %d triples, want %d:\n%s", ep, n, len(literals), got)
	}
	if len(missing) > 0 {
		t.Errorf("%s did not come back exactly; got:\n%s", strings.Join(missing, ", "), got)
	}
}

// TestSPARQLConcurrentUpdatesSerialize increments one counter by DELETE/
// INSERT WHERE from several clients at once: every increment must count.
func TestSPARQLConcurrentUpdatesSerialize(t *testing.T) {
	harness.SkipIfShort(t)
	_, _, httpAddr := startLocal(t, filepath.Join(t.TempDir(), "data"))
	ep := "http://" + httpAddr + "/sparql"
	post := func(text string) error {
		resp, err := http.Post(ep, "application/sparql-update", strings.NewReader(text))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", resp.Status, body)
		}
		return nil
	}
	if err := post(`INSERT DATA { <http://ex/c> <http://ex/v> 0 }`); err != nil {
		t.Fatal(err)
	}
	const clients, each = 4, 5
	inc := `DELETE { <http://ex/c> <http://ex/v> ?o } INSERT { <http://ex/c> <http://ex/v> ?n } WHERE { <http://ex/c> <http://ex/v> ?o BIND(?o + 1 AS ?n) }`
	errs := make(chan error, clients*each)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				errs <- post(inc)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("increment: %v", err)
		}
	}
	got := akutan(t, "sparql", "--http", httpAddr, "--format", "csv", "-e", `SELECT ?v WHERE { <http://ex/c> <http://ex/v> ?v }`)
	if want := fmt.Sprintf("v\r\n%d\r\n", clients*each); got != want {
		t.Fatalf("the counter is %q, want %q: increments were lost or duplicated", got, want)
	}
}
