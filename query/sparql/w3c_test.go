package sparql

import (
	"github.com/akutan-dev/akutan/internal/testutil"

	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/rdf"
)

// The W3C SPARQL 1.1 test suite lives outside the repository, in the
// shared data folder beside it. Its manifests are Turtle, read with
// query/rdf's reader as query/rdf/w3c_test.go does for the RDF suites.
const (
	mfNS = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
	qtNS = "http://www.w3.org/2001/sw/DataAccess/tests/test-query#"
	utNS = "http://www.w3.org/2009/sparql/tests/test-update#"
)

// syntaxCategories hold positive and negative syntax tests; evalCategories
// hold evaluation tests, whose queries and updates must all parse.
func syntaxCategories() []string {
	return []string{"syntax-query", "syntax-update-1", "syntax-update-2"}
}

func evalCategories() []string {
	return []string{"aggregates", "bind", "bindings", "cast", "construct", "exists",
		"functions", "grouping", "negation", "project-expression", "property-path",
		"subquery", "basic-update", "delete-data", "delete-where", "delete-insert",
		"delete", "update-silent", "clear", "csv-tsv-res", "json-res"}
}

// suiteDir is the W3C SPARQL 1.1 test suite folder (see
// testutil.SharedData).
func suiteDir(t *testing.T) string {
	t.Helper()
	return testutil.SharedData(t, "w3c-rdf-tests/sparql11")
}

// w3cTest is one manifest entry: its type (local name) and the file it
// parses (as a path), and whether that file is an update request.
type w3cTest struct {
	name, kind string
	file       string
	update     bool
}

func readSuiteManifest(t *testing.T, dir string) []w3cTest {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "manifest.ttl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	base := "file://" + filepath.ToSlash(dir) + "/manifest.ttl"
	triples, err := rdf.ReadAll(rdf.NewTurtleReader(f, base))
	if err != nil {
		t.Fatalf("reading %s/manifest.ttl: %v", dir, err)
	}
	props := map[rdf.Term]map[string]rdf.Term{}
	for _, tr := range triples {
		if props[tr.S] == nil {
			props[tr.S] = map[string]rdf.Term{}
		}
		props[tr.S][tr.P.Value] = tr.O
	}
	var out []w3cTest
	list := props[rdf.NewIRI(base)][mfNS+"entries"]
	for list.Value != rdf.RDFNil {
		if list.Kind == 0 {
			t.Fatalf("%s: malformed entries list", dir)
		}
		out = append(out, entryOf(props, props[list][rdf.RDFFirst]))
		list = props[list][rdf.RDFRest]
	}
	return out
}

func entryOf(props map[rdf.Term]map[string]rdf.Term, entry rdf.Term) w3cTest {
	p := props[entry]
	test := w3cTest{name: p[mfNS+"name"].Value, kind: strings.TrimPrefix(p[rdf.RDFType].Value, mfNS)}
	if test.name == "" {
		test.name = entry.Value
	}
	action := p[mfNS+"action"]
	switch {
	case action.Kind == rdf.IRI:
		test.file = action.Value
		test.update = strings.Contains(test.kind, "Update")
	case props[action][qtNS+"query"].Kind == rdf.IRI:
		test.file = props[action][qtNS+"query"].Value
	case props[action][utNS+"request"].Kind == rdf.IRI:
		test.file, test.update = props[action][utNS+"request"].Value, true
	}
	test.file = strings.TrimPrefix(test.file, "file://")
	// Some negative tests of update files are typed NegativeSyntaxTest11;
	// the file's extension says what it holds.
	test.update = test.update || strings.HasSuffix(test.file, ".ru")
	return test
}

// tally counts outcomes of one category, and how many of the tests were
// negative (must fail to parse).
type tally struct{ passed, failed, skipped, negative int }

func TestW3CSyntax(t *testing.T) {
	root := suiteDir(t)
	for _, category := range append(syntaxCategories(), evalCategories()...) {
		t.Run(category, func(t *testing.T) {
			var counts tally
			for _, test := range readSuiteManifest(t, filepath.Join(root, category)) {
				t.Run(test.name, func(t *testing.T) { runW3CTest(t, test, &counts) })
			}
			t.Logf("W3C %s: passed %d, failed %d, skipped %d (negative tests: %d)",
				category, counts.passed, counts.failed, counts.skipped, counts.negative)
		})
	}
}

func runW3CTest(t *testing.T, test w3cTest, counts *tally) {
	if test.file == "" {
		counts.skipped++
		t.Skipf("%s test has no query or update to parse", test.kind)
	}
	text, err := os.ReadFile(test.file)
	if err != nil {
		t.Fatal(err)
	}
	base := "file://" + test.file
	if test.update {
		_, err = ParseUpdate(string(text), base)
	} else {
		_, err = ParseQuery(string(text), base)
	}
	negative := strings.HasPrefix(test.kind, "Negative")
	if negative {
		counts.negative++
	}
	switch {
	case negative && err == nil:
		counts.failed++
		t.Errorf("%s: accepted an invalid %s:\n%s", test.kind, filepath.Base(test.file), text)
	case !negative && err != nil:
		counts.failed++
		t.Errorf("%s: rejected %s: %v\n%s", test.kind, filepath.Base(test.file), err, text)
	default:
		counts.passed++
	}
}
