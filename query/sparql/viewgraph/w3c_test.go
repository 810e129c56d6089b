package viewgraph

import (
	"testing"

	"github.com/akutan-dev/akutan/query/sparql/eval/evaltest"
)

// w3cExpectedFailures are the tests known to fail over the views, each
// with why (see evaltest.RunW3C): none.
var w3cExpectedFailures = map[string]string{}

// TestW3C runs the W3C SPARQL 1.1 suites over a Graph of the in-memory
// views, each test's data loaded and its updates applied as the
// distributed store would (see viewStore), and logs the table of
// docs/sparql.md.
func TestW3C(t *testing.T) {
	counts := evaltest.RunW3C(t, func() evaltest.Store { return newViewStore() }, w3cExpectedFailures)
	t.Logf("W3C SPARQL 1.1 evaluation over the views (viewgraph.Graph):\n%s", counts.Table())
	evaltest.LogExpectedFailures(t, w3cExpectedFailures)
}
