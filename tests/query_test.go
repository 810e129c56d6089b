package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
)

// TestQueries runs the query manual's examples and the engine's other
// promises against one `akutan local` loaded with the example data.
func TestQueries(t *testing.T) {
	harness.SkipIfShort(t)
	_, api, _ := startLocal(t, filepath.Join(t.TempDir(), "data"))
	out := akutan(t, "insert", "--api", api, testdata("example_data.tsv"))
	loaded := logIndex(t, out)
	t.Run("ExamplesMatchGolden", func(t *testing.T) { testExamples(t, api) })
	t.Run("HistoricalRead", func(t *testing.T) { testHistoricalRead(t, api, loaded) })
	t.Run("Explain", func(t *testing.T) { testExplain(t, api) })
	t.Run("ConsistencyRecent", func(t *testing.T) { testRecent(t, api, loaded) })
	t.Run("InvalidQueries", func(t *testing.T) { testInvalid(t, api) })
}

// testExamples compares each tests/testdata/*.bql with its .tsv golden
// file (the rows query.md prints; SELECT * columns in order of first
// appearance): the same multiset of rows, in the same order when the query
// has ORDER BY.
func testExamples(t *testing.T, api string) {
	queries, err := filepath.Glob(testdata("*.bql"))
	if err != nil || len(queries) != 15 {
		t.Fatalf("found %d example queries (%v), want 15", len(queries), err)
	}
	for _, q := range queries {
		name := strings.TrimSuffix(filepath.Base(q), ".bql")
		text, err := os.ReadFile(q)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(testdata(name + ".tsv"))
		if err != nil {
			t.Fatal(err)
		}
		got := queryTSV(t, api, name+".bql")
		ordered := strings.Contains(strings.ToUpper(string(text)), "ORDER BY")
		if !sameRows(got, string(want), ordered) {
			t.Errorf("%s:\ngot\n%s\nwant\n%s", name, got, want)
		}
	}
}

// sameRows compares TSV outputs: the header exactly, the rows as a
// multiset unless ordered.
func sameRows(got, want string, ordered bool) bool {
	g := strings.Split(strings.TrimRight(got, "\n"), "\n")
	w := strings.Split(strings.TrimRight(want, "\n"), "\n")
	if len(g) != len(w) || g[0] != w[0] {
		return false
	}
	if !ordered {
		slices.Sort(g[1:])
		slices.Sort(w[1:])
	}
	return slices.Equal(g, w)
}

var indexRE = regexp.MustCompile(`log index (\d+)`)

// logIndex finds the "log index N" an insert or query printed.
func logIndex(t *testing.T, out string) uint64 {
	t.Helper()
	m := indexRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no log index in %q", out)
	}
	n, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// testHistoricalRead checks that an answer at an older index does not
// change after later inserts, while the current answer does.
func testHistoricalRead(t *testing.T, api string, loaded uint64) {
	at := strconv.FormatUint(loaded, 10)
	before := queryTSV(t, api, "tp_01.bql", "--index", at)
	extra := filepath.Join(t.TempDir(), "extra.tsv")
	data := "<Ada_Palmer> <born> <Baltimore>\n<Baltimore> <locatedIn> <Maryland>\n"
	if err := os.WriteFile(extra, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	akutan(t, "insert", "--api", api, extra)
	if after := queryTSV(t, api, "tp_01.bql", "--index", at); after != before {
		t.Fatalf("at index %s the answer changed after an insert:\nbefore\n%s\nafter\n%s", at, before, after)
	}
	if now := queryTSV(t, api, "tp_01.bql"); !strings.Contains(now, "<Ada_Palmer>\t<Baltimore>") {
		t.Fatalf("the current answer misses the new fact:\n%s", now)
	}
}

// testExplain checks that --explain prints the plan with estimates before
// the rows, then what each operator did.
func testExplain(t *testing.T, api string) {
	out := akutan(t, "query", "--api", api, "--explain", testdata("cmp_01.bql"))
	plan, executed, ok := strings.Cut(out, "Executed:")
	if !ok {
		t.Fatalf("explain output has no executed plan:\n%s", out)
	}
	for _, want := range []string{"Plan at log index", "Project tv size", "rows ", "cost ", "<QN65Q6FNAF>", "rows at log index"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan part lacks %q:\n%s", want, plan)
		}
	}
	if !regexp.MustCompile(`(Lookup|Infer)\w*\(`).MatchString(plan) {
		t.Errorf("plan names no lookup or inference operator:\n%s", plan)
	}
	for _, want := range []string{"est rows", "| rows ", "rpcs ", "lookups ", "time "} {
		if !strings.Contains(executed, want) {
			t.Errorf("executed part lacks %q:\n%s", want, executed)
		}
	}
}

// testRecent checks that --consistency recent answers at an index the
// views have applied, printed with the results.
// Gossip carries the views' applied indexes within a few seconds.
func testRecent(t *testing.T, api string, loaded uint64) {
	testutil.Eventually(t, 20*time.Second, 200*time.Millisecond, func() error {
		out, errOut, err := harness.Run(t, bin, "query", "--api", api, "--consistency", "recent", testdata("fp_01.bql"))
		if err != nil {
			return fmt.Errorf("recent query: %v: %s", err, errOut)
		}
		m := indexRE.FindStringSubmatch(out)
		if m == nil || !strings.Contains(out, "<John_Scalzi>") {
			return fmt.Errorf("recent query printed %q; want the data and its log index", out)
		}
		if at, _ := strconv.ParseUint(m[1], 10, 64); at < loaded {
			return fmt.Errorf("recent query answered at index %d; want at least %d", at, loaded)
		}
		return nil
	})
}

// testInvalid checks that queries the engine cannot run get an error with
// a position and a reason, and that the server keeps answering.
func testInvalid(t *testing.T, api string) {
	cases := map[string]string{
		"SELECT * WHERE { ?s ?p <USA> }":                   "line 1, column 18: this pattern needs a known subject or predicate",
		"SELECT * WHERE {\n ?s <born> ?o\n ?x <lt> 5\n}":   "line 3, column 2: the comparison's variable ?x is not bound",
		"SELECT ?x WHERE { ?s <born> ?o }":                 "?x is selected but not bound",
		"SELECT * WHERE { ?s <born> ?o } ORDER BY ?q":      "cannot ORDER BY ?q",
		"SELECT * WHERE { ?s <born>? ?o . ?o ?p ?z }":      "needs a known subject or predicate",
		"ASK WHERE { ?s <born> ?o } LIMIT 1":               "LIMIT is not allowed in ASK",
		"SELECT * WHERE { ?f ?s ?p ?o }":                   "needs a known subject or predicate",
		"SELECT * WHERE { ?s <born> ?o . ?o <gt> \"x\"@ }": "line 1",
	}
	for q, want := range cases {
		_, errOut, err := harness.Run(t, bin, "query", "--api", api, "-e", q)
		if err == nil || !strings.Contains(errOut, want) {
			t.Errorf("query %q: err %v, stderr %q; want an error containing %q", q, err, errOut, want)
		}
	}
	if got := queryTSV(t, api, "fp_01.bql"); got != fp01Want {
		t.Fatalf("after the invalid queries, fp_01 = %q", got)
	}
}
