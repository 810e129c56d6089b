package viewgraph

import (
	"context"
	"testing"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql/eval"
	"github.com/akutan-dev/akutan/query/sparql/eval/evaltest"
)

// lossless is why a test fails until stored literals keep their lexical
// form and datatype: its data holds literals (decimals, booleans written
// 0 or 1, derived integer types, times with a zone) that the stand-in
// conversion of literal.go does not give back as they were loaded. TestW3C checks that each fails over a MemGraph too once
// its data goes through that conversion, and so for no other reason.
const lossless = "needs lossless literals (branch terms)"

// w3cExpectedFailures are the tests known to fail over the views, each
// with why (see evaltest.RunW3C).
var w3cExpectedFailures = map[string]string{
	"aggregates/SUM":                               lossless,
	"aggregates/SUM with GROUP BY":                 lossless,
	"aggregates/AVG":                               lossless,
	"aggregates/AVG with GROUP BY":                 lossless,
	"aggregates/MIN":                               lossless,
	"aggregates/MIN with GROUP BY":                 lossless,
	"aggregates/MAX with GROUP BY":                 lossless,
	"aggregates/Error in AVG":                      lossless,
	"aggregates/GROUP BY with a built-in function": lossless,
	"aggregates/AVG DISTINCT with GROUP BY":        lossless,
	"aggregates/MAX DISTINCT with GROUP BY":        lossless,
	"aggregates/MIN DISTINCT with GROUP BY":        lossless,
	"aggregates/SUM DISTINCT with GROUP BY":        lossless,
	"cast/xsd:boolean cast":                        lossless,
	"cast/xsd:integer cast":                        lossless,
	"cast/xsd:float cast":                          lossless,
	"cast/xsd:double cast":                         lossless,
	"cast/xsd:decimal cast":                        lossless,
	"cast/xsd:string cast":                         lossless,
	"csv-tsv-res/csv01 - CSV Result Format":        lossless,
	"csv-tsv-res/tsv01 - TSV Result Format":        lossless,
	"csv-tsv-res/cvs02 - CSV Result Format":        lossless,
	"csv-tsv-res/tsv02 - TSV Result Format":        lossless,
	"csv-tsv-res/csv03 - CSV Result Format":        lossless,
	"csv-tsv-res/tsv03 - TSV Result Format":        lossless,
	"functions/isNumeric()":                        lossless,
	"functions/ABS()":                              lossless,
	"functions/CEIL()":                             lossless,
	"functions/FLOOR()":                            lossless,
	"functions/ROUND()":                            lossless,
	"functions/STRSTARTS()":                        lossless,
	"functions/plus-1-corrected":                   lossless,
	"functions/plus-2-corrected":                   lossless,
	"functions/HOURS()":                            lossless,
	"functions/TIMEZONE()":                         lossless,
	"functions/TZ()":                               lossless,
	"json-res/jsonres01 - JSON Result Format":      lossless,
	"json-res/jsonres02 - JSON Result Format":      lossless,
}

// TestW3C runs the W3C SPARQL 1.1 suites over a Graph of the in-memory
// views, each test's data loaded and its updates applied as the
// distributed store would (see viewStore), and logs the table of
// docs/sparql.md.
func TestW3C(t *testing.T) {
	counts := evaltest.RunW3C(t, func() evaltest.Store { return newViewStore() }, w3cExpectedFailures)
	t.Logf("W3C SPARQL 1.1 evaluation over the views (viewgraph.Graph):\n%s", counts.Table())
	evaltest.LogExpectedFailures(t, w3cExpectedFailures)
	if total := counts.Total(); total.Failed+total.Passed > 0 {
		t.Run("literals", func(t *testing.T) {
			// The same suites over a MemGraph that holds the data (and
			// the updates' inserts) as the stand-in gives literals back:
			// the same tests must fail, or the views fail some for a
			// reason other than literals. Remove with literal.go.
			lossy := evaltest.RunW3C(t, func() evaltest.Store { return &standInStore{evaltest.NewMemStore()} }, w3cExpectedFailures)
			if lossy.Total() != total {
				t.Errorf("over a MemGraph with the stand-in's literals: %+v, over the views %+v", lossy.Total(), total)
			}
		})
	}
}

// standInStore is a MemStore whose literals are what the views give back
// for them today (see objectLiteral).
type standInStore struct{ *evaltest.MemStore }

func (s *standInStore) Load(ctx context.Context, triples []rdf.Triple) error {
	return s.MemStore.Load(ctx, standInLiterals(triples))
}

func (s *standInStore) Apply(ctx context.Context, ch eval.Changes) error {
	ch.Insert = standInLiterals(ch.Insert)
	return s.MemStore.Apply(ctx, ch)
}

func standInLiterals(triples []rdf.Triple) []rdf.Triple {
	out := make([]rdf.Triple, len(triples))
	for i, t := range triples {
		if t.O.Kind == rdf.Literal {
			lit := t.O
			if lit.Datatype == "" && lit.Lang == "" {
				lit.Datatype = rdf.XSDString
			}
			t.O = objectLiteral(rdf.LiteralObject(lit))
		}
		out[i] = t
	}
	return out
}
