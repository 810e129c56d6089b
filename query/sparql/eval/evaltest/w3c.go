package evaltest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
	"github.com/akutan-dev/akutan/query/sparql/eval"
	"github.com/akutan-dev/akutan/query/sparql/results"
)

const (
	mfNS = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
	qtNS = "http://www.w3.org/2001/sw/DataAccess/tests/test-query#"
	utNS = "http://www.w3.org/2009/sparql/tests/test-update#"
)

// Categories are the SPARQL 1.1 suite folders the runner evaluates: the
// ones issue 12 names, in the order the table lists them.
func Categories() []string {
	return []string{"aggregates", "bind", "bindings", "cast", "construct", "csv-tsv-res",
		"exists", "functions", "grouping", "json-res", "negation", "project-expression",
		"property-path", "subquery", "syntax-query", "basic-update", "delete-data",
		"delete-where", "delete-insert", "delete", "update-silent", "clear",
		"syntax-update-1", "syntax-update-2"}
}

// DataDir is the folder of the W3C test suites (rdf-n-triples, rdf-turtle,
// sparql11; see testutil.SharedData), skipping the test when it is absent.
func DataDir(t testing.TB) string {
	t.Helper()
	return filepath.Dir(testutil.SharedData(t, "w3c-rdf-tests/sparql11"))
}

// manifest is a manifest's triples by subject and predicate.
type manifest map[rdf.Term]map[string][]rdf.Term

func (m manifest) one(s rdf.Term, p string) rdf.Term {
	if v := m[s][p]; len(v) > 0 {
		return v[0]
	}
	return rdf.Term{}
}

// Case is one manifest entry, with files as paths.
type Case struct {
	// Name is the entry's mf:name, or its IRI when it has none.
	Name string
	// Kind is the entry's rdf:type, without the manifest namespace for
	// the types of that namespace (QueryEvaluationTest), else in full.
	Kind string
	// Query is the query or update file, or the action file of a test
	// whose action is a file (the N-Triples and Turtle suites).
	Query string
	// Data are the default graph's files.
	Data []string
	// GraphData says that the test needs named graphs.
	GraphData bool
	// Result is the expected results or graph.
	Result string
	// ResultData are the files of the default graph an update leaves.
	ResultData []string
}

// ReadManifest reads dir/manifest.ttl: the entries of its mf:entries
// list, in order.
func ReadManifest(t testing.TB, dir string) []Case {
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
	m := manifest{}
	for _, tr := range triples {
		if m[tr.S] == nil {
			m[tr.S] = map[string][]rdf.Term{}
		}
		m[tr.S][tr.P.Value] = append(m[tr.S][tr.P.Value], tr.O)
	}
	path := func(t rdf.Term) string { return strings.TrimPrefix(t.Value, "file://") }
	var out []Case
	list := m.one(rdf.NewIRI(base), mfNS+"entries")
	for list.Value != rdf.RDFNil {
		if list.Kind == 0 {
			t.Fatalf("%s: malformed entries list", dir)
		}
		entry := m.one(list, rdf.RDFFirst)
		list = m.one(list, rdf.RDFRest)
		c := Case{Name: m.one(entry, mfNS+"name").Value,
			Kind: strings.TrimPrefix(m.one(entry, rdf.RDFType).Value, mfNS)}
		if c.Name == "" {
			c.Name = entry.Value
		}
		action := m.one(entry, mfNS+"action")
		if action.Kind == rdf.IRI {
			c.Query = path(action)
		} else {
			for _, p := range []string{qtNS + "query", utNS + "request"} {
				if q := m.one(action, p); q.Kind != 0 {
					c.Query = path(q)
				}
			}
			for _, p := range []string{qtNS + "data", utNS + "data"} {
				for _, d := range m[action][p] {
					c.Data = append(c.Data, path(d))
				}
			}
			c.GraphData = len(m[action][qtNS+"graphData"])+len(m[action][utNS+"graphData"]) > 0
		}
		result := m.one(entry, mfNS+"result")
		if result.Kind == rdf.IRI {
			c.Result = path(result)
		} else if result.Kind != 0 {
			for _, d := range m[result][utNS+"data"] {
				c.ResultData = append(c.ResultData, path(d))
			}
			if len(m[result][utNS+"graphData"]) > 0 {
				c.GraphData = true
			}
		}
		out = append(out, c)
	}
	return out
}

// errSkip says why a test is not run.
type errSkip struct{ reason string }

func (e errSkip) Error() string { return e.reason }

// ReadGraphFile reads the triples of an N-Triples (.nt), RDF/XML (.rdf,
// only the one striped shape the suites use) or else Turtle file, without
// positions.
func ReadGraphFile(file string) ([]rdf.Triple, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if strings.HasSuffix(file, ".rdf") {
		triples, err := readSimpleRDFXML(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", filepath.Base(file), err)
		}
		return triples, nil
	}
	var r rdf.Reader
	if strings.HasSuffix(file, ".nt") {
		r = rdf.NewNTriplesReader(f)
	} else {
		r = rdf.NewTurtleReader(f, "file://"+file)
	}
	triples, err := rdf.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Base(file), err)
	}
	for i := range triples {
		triples[i].Pos = rdf.Position{}
	}
	return triples, nil
}

func readGraphFiles(files []string) ([]rdf.Triple, error) {
	var all []rdf.Triple
	for _, f := range files {
		triples, err := ReadGraphFile(f)
		if err != nil {
			return nil, err
		}
		all = append(all, triples...)
	}
	return all, nil
}

// AllTriples reads a whole Graph back.
func AllTriples(ctx context.Context, g eval.Graph) ([]rdf.Triple, error) {
	var out []rdf.Triple
	err := g.Match(ctx, []eval.Pattern{{}}, func(_ int, t rdf.Triple) error {
		out = append(out, t)
		return nil
	})
	return out, err
}

// Now is NOW() in the tests, fixed so runs are repeatable.
var Now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// collector is a results.Writer that keeps the answer.
type collector struct{ res results.Results }

func (c *collector) Begin(vars []string) error { c.res.Vars = vars; return nil }
func (c *collector) Write(s results.Solution) error {
	c.res.Solutions = append(c.res.Solutions, s)
	return nil
}
func (c *collector) End() error { return nil }
func (c *collector) WriteBoolean(b bool) error {
	c.res.IsBoolean, c.res.Boolean = true, b
	return nil
}

// runCase runs one test over a store made by newStore.
func runCase(ctx context.Context, c Case, newStore func() Store) error {
	text, err := os.ReadFile(c.Query)
	if err != nil && c.Query != "" {
		return err
	}
	base := "file://" + c.Query
	switch c.Kind {
	case "PositiveSyntaxTest11", "NegativeSyntaxTest11", "PositiveUpdateSyntaxTest11", "NegativeUpdateSyntaxTest11":
		if strings.Contains(c.Kind, "Update") || strings.HasSuffix(c.Query, ".ru") {
			_, err = sparql.ParseUpdate(string(text), base)
		} else {
			_, err = sparql.ParseQuery(string(text), base)
		}
		if strings.HasPrefix(c.Kind, "Negative") {
			if err == nil {
				return errors.New("accepted an invalid request")
			}
			return nil
		}
		return err
	case "QueryEvaluationTest", "CSVResultFormatTest", "UpdateEvaluationTest":
	default:
		return errSkip{c.Kind + " is not an evaluation test"}
	}
	if c.GraphData {
		return errSkip{"needs named graphs"}
	}
	data, err := readGraphFiles(c.Data)
	if err != nil {
		return err
	}
	store := newStore()
	if err := store.Load(ctx, data); err != nil {
		return fmt.Errorf("loading the data: %w", err)
	}
	opts := eval.Options{Now: Now, Base: base, Batch: 7}
	if c.Kind == "UpdateEvaluationTest" {
		return runUpdate(ctx, c, string(text), store, opts)
	}
	g := store.Graph()
	q, err := sparql.ParseQuery(string(text), base)
	if err != nil {
		return fmt.Errorf("parsing: %w", err)
	}
	switch q.Form {
	case sparql.Construct, sparql.Describe:
		want, err := ReadGraphFile(c.Result)
		if err != nil {
			return err
		}
		var got []rdf.Triple
		err = eval.Run(ctx, q, g, eval.Output{Triples: func(t rdf.Triple) error { got = append(got, t); return nil }}, opts)
		if err != nil {
			return notSupportedSkip(err)
		}
		return results.Isomorphic(want, got)
	}
	var col collector
	if err := eval.Run(ctx, q, g, eval.Output{Solutions: &col}, opts); err != nil {
		return notSupportedSkip(err)
	}
	got := &col.res
	want, loose, err := readResults(c.Result)
	if err != nil {
		return err
	}
	if loose {
		// CSV keeps only strings: compare what our CSV writer makes of
		// the answer.
		var buf bytes.Buffer
		if err := results.WriteAll(results.NewCSVWriter(&buf), got); err != nil {
			return err
		}
		if got, err = results.ReadCSV(&buf); err != nil {
			return fmt.Errorf("reading our CSV back: %w", err)
		}
	}
	if !loose {
		want, got = numbersByValue(want), numbersByValue(got)
	}
	return results.Compare(want, got, results.CompareOptions{Ordered: len(q.OrderBy) > 0, Loose: loose})
}

// numbersByValue rewrites numeric literals to one lexical form per value
// (datatypes kept). The suites' expected answers were written by
// implementations that compare numbers by value, and spell the same
// double 1050, 1.05E3 or 1.0e6, or a decimal 2 or 2.0; SPARQL does not
// fix the lexical form of a computed number.
func numbersByValue(r *results.Results) *results.Results {
	out := *r
	out.Solutions = make([]results.Solution, len(r.Solutions))
	for i, s := range r.Solutions {
		ns := make(results.Solution, len(s))
		for v, t := range s {
			ns[v] = canonicalNumber(t)
		}
		out.Solutions[i] = ns
	}
	return &out
}

func canonicalNumber(t rdf.Term) rdf.Term {
	if t.Kind != rdf.Literal {
		return t
	}
	switch t.Datatype {
	case rdf.XSDInteger:
		if n, ok := new(big.Int).SetString(strings.TrimPrefix(t.Value, "+"), 10); ok {
			t.Value = n.String()
		}
	case rdf.XSDDecimal:
		if n, ok := new(big.Rat).SetString(strings.TrimPrefix(t.Value, "+")); ok {
			t.Value = n.RatString()
		}
	case rdf.XSDDouble, rdf.XSDNS + "float":
		if f, err := strconv.ParseFloat(t.Value, 64); err == nil {
			t.Value = strconv.FormatFloat(f, 'E', -1, 64)
		}
	}
	return t
}

func notSupportedSkip(err error) error {
	if errors.Is(err, eval.ErrNotSupported) {
		return errSkip{err.Error()}
	}
	return err
}

func readResults(file string) (*results.Results, bool, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	var r *results.Results
	loose := false
	switch filepath.Ext(file) {
	case ".srx":
		r, err = results.ReadXML(f)
	case ".srj":
		r, err = results.ReadJSON(f)
	case ".tsv":
		r, err = results.ReadTSV(f)
	case ".csv":
		r, err = results.ReadCSV(f)
		loose = true
	case ".ttl":
		r, err = results.ReadTurtleResultSet(f, "file://"+file)
	default:
		return nil, false, errSkip{"results in " + filepath.Ext(file) + " are not readable here"}
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", filepath.Base(file), err)
	}
	return r, loose, nil
}

// runUpdate evaluates the update over the store's graph, applies the
// changes to the store and compares the graph it then holds.
func runUpdate(ctx context.Context, c Case, text string, store Store, opts eval.Options) error {
	u, err := sparql.ParseUpdate(text, opts.Base)
	if err != nil {
		return fmt.Errorf("parsing: %w", err)
	}
	opts.Load = func(ctx context.Context, iri string) ([]rdf.Triple, error) {
		return ReadGraphFile(strings.TrimPrefix(iri, "file://"))
	}
	ch, err := eval.Update(ctx, u, store.Graph(), opts)
	if err != nil {
		return notSupportedSkip(err)
	}
	if err := store.Apply(ctx, ch); err != nil {
		return fmt.Errorf("applying the changes: %w", err)
	}
	after, err := AllTriples(ctx, store.Graph())
	if err != nil {
		return err
	}
	want, err := readGraphFiles(c.ResultData)
	if err != nil {
		return err
	}
	return results.Isomorphic(want, after)
}

// Tally counts one category's outcomes.
type Tally struct{ Passed, Failed, Skipped int }

// Counts are a run's outcomes by category.
type Counts struct {
	// Categories are the categories run, in order.
	Categories []string
	// By holds each category's tally.
	By map[string]*Tally
}

// Total sums the categories.
func (c Counts) Total() Tally {
	var total Tally
	for _, category := range c.Categories {
		n := c.By[category]
		total.Passed += n.Passed
		total.Failed += n.Failed
		total.Skipped += n.Skipped
	}
	return total
}

// Table is the counts as a markdown table, a row per category and the
// total.
func (c Counts) Table() string {
	var b strings.Builder
	b.WriteString("| category | passed | failed | skipped |\n|---|---|---|---|\n")
	for _, category := range c.Categories {
		n := c.By[category]
		fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", category, n.Passed, n.Failed, n.Skipped)
	}
	total := c.Total()
	fmt.Fprintf(&b, "| total | %d | %d | %d |\n", total.Passed, total.Failed, total.Skipped)
	return b.String()
}

// RunW3C runs every test of Categories, each over a new store made by
// newStore, as subtests category/name, and returns the counts. A test
// fails when it fails and is not in expectedFailures (keyed
// "category/name", valued why), and when it is listed but passes, so the
// list stays true; a listed test that fails is logged with its reason.
// Tests of other kinds than syntax and evaluation, tests that need named
// graphs and tests that evaluation refuses with eval.ErrNotSupported are
// skipped.
func RunW3C(t *testing.T, newStore func() Store, expectedFailures map[string]string) Counts {
	root := filepath.Join(DataDir(t), "sparql11")
	counts := Counts{Categories: Categories(), By: map[string]*Tally{}}
	for _, category := range counts.Categories {
		n := &Tally{}
		counts.By[category] = n
		t.Run(category, func(t *testing.T) {
			for _, c := range ReadManifest(t, filepath.Join(root, category)) {
				id := category + "/" + c.Name
				t.Run(c.Name, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					err := runCase(ctx, c, newStore)
					var skip errSkip
					reason, expected := expectedFailures[id]
					switch {
					case errors.As(err, &skip):
						n.Skipped++
						t.Skip(skip.reason)
					case err != nil:
						n.Failed++
						if expected {
							t.Logf("fails as expected (%s): %v", reason, err)
						} else {
							t.Errorf("%s: %v", filepath.Base(c.Query), err)
						}
					default:
						n.Passed++
						if expected {
							t.Errorf("passes but is listed as an expected failure (%s): remove it from the list", reason)
						}
					}
				})
			}
		})
	}
	return counts
}

// LogExpectedFailures logs each listed failure with its reason, sorted.
func LogExpectedFailures(t testing.TB, expectedFailures map[string]string) {
	t.Helper()
	var listed []string
	for id := range expectedFailures {
		listed = append(listed, id)
	}
	sort.Strings(listed)
	for _, id := range listed {
		t.Logf("expected failure %s: %s", id, expectedFailures[id])
	}
}
