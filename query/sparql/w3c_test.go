package sparql_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/sparql"
	"github.com/akutan-dev/akutan/query/sparql/eval/evaltest"
)

// tally counts outcomes of one category, and how many of the tests were
// negative (must fail to parse).
type tally struct{ passed, failed, skipped, negative int }

// TestW3CSyntax parses every query and update of the W3C SPARQL 1.1
// categories that issue 12 names (evaltest.Categories): the syntax
// categories' positive and negative tests, and the evaluation categories'
// queries and updates, which must all parse. The manifests are read by
// evaltest.ReadManifest, as the evaluation runner reads them.
func TestW3CSyntax(t *testing.T) {
	root := filepath.Join(evaltest.DataDir(t), "sparql11")
	for _, category := range evaltest.Categories() {
		t.Run(category, func(t *testing.T) {
			var counts tally
			for _, c := range evaltest.ReadManifest(t, filepath.Join(root, category)) {
				t.Run(c.Name, func(t *testing.T) { runW3CTest(t, c, &counts) })
			}
			t.Logf("W3C %s: passed %d, failed %d, skipped %d (negative tests: %d)",
				category, counts.passed, counts.failed, counts.skipped, counts.negative)
		})
	}
}

func runW3CTest(t *testing.T, c evaltest.Case, counts *tally) {
	if c.Query == "" {
		counts.skipped++
		t.Skipf("%s test has no query or update to parse", c.Kind)
	}
	text, err := os.ReadFile(c.Query)
	if err != nil {
		t.Fatal(err)
	}
	base := "file://" + c.Query
	// Some negative tests of update files are typed NegativeSyntaxTest11;
	// the file's extension says what it holds.
	if strings.Contains(c.Kind, "Update") || strings.HasSuffix(c.Query, ".ru") {
		_, err = sparql.ParseUpdate(string(text), base)
	} else {
		_, err = sparql.ParseQuery(string(text), base)
	}
	negative := strings.HasPrefix(c.Kind, "Negative")
	if negative {
		counts.negative++
	}
	switch {
	case negative && err == nil:
		counts.failed++
		t.Errorf("%s: accepted an invalid %s:\n%s", c.Kind, filepath.Base(c.Query), text)
	case !negative && err != nil:
		counts.failed++
		t.Errorf("%s: rejected %s: %v\n%s", c.Kind, filepath.Base(c.Query), err, text)
	default:
		counts.passed++
	}
}
