package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/engine/enginetest"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/query/planner"
	"github.com/akutan-dev/akutan/storage"
)

// Direct tests of the operators, for the edges an end-to-end query does
// not choose: inputs that are empty, one batch, several batches, or end
// with a partial batch, and loop joins that look up a few rows per call.

// Variables of the plans below.
const (
	varS   = iota // a subject
	varO          // its <p> value
	varW          // its <q> value
	varID         // the left pattern's fact ID (stored facts only)
	varID2        // the right pattern's
	nvars
)

// numbered is a graph of n subjects sI with `sI <p> I`, and `sI <q> 10*I`
// for every even I: half the <p> rows find a <q>.
type numbered struct {
	views *enginetest.Views
	p, q  uint64
}

func newNumbered(n int) *numbered {
	g := &numbered{views: enginetest.New()}
	g.p, g.q = g.views.Entity("p"), g.views.Entity("q")
	for i := range n {
		s := g.views.Entity(fmt.Sprintf("s%d", i))
		g.views.Add(s, g.p, storage.AInt64(int64(i), 0))
		if i%2 == 0 {
			g.views.Add(s, g.q, storage.AInt64(int64(10*i), 0))
		}
	}
	return g
}

// stored is the pattern ?id ?s <pred> ?obj over stored facts only.
func stored(id int, pred uint64, obj int) *planner.Pattern {
	return &planner.Pattern{ID: planner.Variable(id), UserID: true, S: planner.Variable(varS),
		P: planner.Constant(storage.AEntity(pred)), O: planner.Variable(obj)}
}

// scan is the leaf that reads every <pred> fact.
func scan(pred uint64, obj int) *planner.Node {
	return &planner.Node{Op: planner.OpLookup, Pattern: stored(varID, pred, obj), Access: planner.LookupP}
}

// execution is a plan that ran to its end.
type execution struct {
	rows []row
	ops  []OperatorStats
}

// execute runs a plan tree over views, loopBatch left rows per loop-join
// call, and collects every row.
func execute(t *testing.T, views Views, root *planner.Node, loopBatch int) execution {
	t.Helper()
	g := newGroup(context.Background())
	x := &executor{g: g, index: ^uint64(0) >> 1, views: views, nvars: nvars, loopBatch: loopBatch}
	var out execution
	for b := range x.start(root) {
		out.rows = append(out.rows, b...)
	}
	if err := g.wait(); err != nil {
		t.Fatalf("executing the plan: %v", err)
	}
	out.ops = report(x.ops, []string{"s", "o", "w", "id", "id2"}, nil)
	return out
}

// texts prints rows sorted, one "o w" line per row ("-" for unbound).
func texts(rows []row, vars ...int) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		var cells []string
		for _, v := range vars {
			if r[v].Kind == 0 {
				cells = append(cells, "-")
				continue
			}
			cells = append(cells, parser.FormatObject(r[v], nil))
		}
		out[i] = strings.Join(cells, " ")
	}
	slices.Sort(out)
	return out
}

// joined lists the "o w" lines a join of the first n subjects' <p> and
// <q> gives: inner drops the odd subjects, outer keeps them unbound.
func joined(n int, outer bool) []string {
	var out []string
	for i := range n {
		switch {
		case i%2 == 0:
			out = append(out, fmt.Sprintf("%d %d", i, 10*i))
		case outer:
			out = append(out, fmt.Sprintf("%d -", i))
		}
	}
	slices.Sort(out)
	return out
}

// checkRows fails unless got and want are equal, showing the first
// difference (the lists are long).
func checkRows(t *testing.T, got, want []string) {
	t.Helper()
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) || got[i] != want[i] {
			t.Fatalf("got %d rows, want %d; first difference at %d: got %q, want %q",
				len(got), len(want), i, got[i:min(i+3, len(got))], want[i:min(i+3, len(want))])
		}
	}
}

// sizes are left inputs at the edges of the operators' batching: none,
// one row, exactly one output batch, and several with a partial last one.
var sizes = []int{0, 1, outBatch, 2*outBatch + 88}

// TestLoopJoinBatches: a loop join answers every left row, however the
// rows are cut into batches and calls, the last partial batch included;
// a left loop join keeps each unmatched row exactly once.
func TestLoopJoinBatches(t *testing.T) {
	for _, n := range sizes {
		g := newNumbered(n)
		for _, loopBatch := range []int{100, LoopBatchForTest} {
			for _, outer := range []bool{false, true} {
				t.Run(fmt.Sprintf("rows=%d batch=%d outer=%v", n, loopBatch, outer), func(t *testing.T) {
					join := &planner.Node{Op: planner.OpLoopJoin, Left: scan(g.p, varO), Pattern: stored(varID2, g.q, varW),
						Access: planner.LookupSP, JoinVars: []int{varS}, Outer: outer}
					got := execute(t, g.views, join, loopBatch)
					checkRows(t, texts(got.rows, varO, varW), joined(n, outer))
					// One call per collected batch of left rows: the
					// output batches of 256 are each at least 100 rows.
					calls := (n + outBatch - 1) / outBatch
					if loopBatch > n {
						calls = min(n, 1)
					}
					if op := got.ops[0]; op.Calls != uint64(calls) || op.Lookups != uint64(n) || op.Rows != uint64(len(got.rows)) {
						t.Fatalf("loop join stats %+v, want %d calls, %d lookups, %d rows", op, calls, n, len(got.rows))
					}
				})
			}
		}
	}
}

// LoopBatchForTest is more rows than any test input: one call per join.
const LoopBatchForTest = 1 << 20

// TestHashJoinBatches: a hash join reads both inputs to their ends,
// whichever side it hashes; a left hash join keeps each unmatched row
// exactly once.
func TestHashJoinBatches(t *testing.T) {
	for _, n := range sizes {
		g := newNumbered(n)
		for _, buildRight := range []bool{false, true} {
			for _, outer := range []bool{false, true} {
				if outer && !buildRight {
					continue // the planner always hashes the optional side
				}
				t.Run(fmt.Sprintf("rows=%d buildRight=%v outer=%v", n, buildRight, outer), func(t *testing.T) {
					right := &planner.Node{Op: planner.OpLookup, Pattern: stored(varID2, g.q, varW), Access: planner.LookupP}
					join := &planner.Node{Op: planner.OpHashJoin, Left: scan(g.p, varO), Right: right,
						JoinVars: []int{varS}, BuildRight: buildRight, Outer: outer}
					got := execute(t, g.views, join, LoopBatchForTest)
					checkRows(t, texts(got.rows, varO, varW), joined(n, outer))
				})
			}
		}
	}
}

// TestHashTableUnboundKeys: a row with an unbound join variable (after an
// optional pattern) joins every row that agrees with it, on either side.
func TestHashTableUnboundKeys(t *testing.T) {
	one, two := storage.AInt64(1, 0), storage.AInt64(2, 0)
	x, y := storage.AString("x", ""), storage.AString("y", "")
	h := newHashTable([]int{0})
	h.add(row{one, x})
	h.add(row{two, y})
	h.add(row{{}, x}) // wild: joins every probe row that agrees on column 1
	for _, tc := range []struct {
		probe row
		want  []string
	}{
		{row{one, {}}, []string{"1 \"x\"", "1 \"x\""}},
		{row{two, {}}, []string{"2 \"x\"", "2 \"y\""}},
		{row{{}, y}, []string{"2 \"y\""}},
		{row{{}, {}}, []string{"- \"x\"", "1 \"x\"", "2 \"y\""}},
	} {
		var got []row
		h.probe(tc.probe, func(m row) {
			if r, ok := merge(tc.probe, m); ok {
				got = append(got, r)
			}
		})
		if texts := texts(got, 0, 1); !slices.Equal(texts, tc.want) {
			t.Fatalf("probing %v: got %q, want %q", tc.probe, texts, tc.want)
		}
	}
}

// TestSelectAndValues: an OpSelect keeps the rows that pass all its
// filters, over several batches; OpValues binds each member of a set.
func TestSelectAndValues(t *testing.T) {
	n := 2*outBatch + 88
	g := newNumbered(n)
	gte := &planner.Pattern{S: planner.Variable(varO), Op: parser.OpGte, O: planner.Constant(storage.AInt64(100, 0))}
	lt := &planner.Pattern{S: planner.Variable(varO), Op: parser.OpLt, O: planner.Constant(storage.AInt64(550, 0))}
	sel := &planner.Node{Op: planner.OpSelect, Filters: []*planner.Pattern{gte, lt}, Left: scan(g.p, varO)}
	if got := execute(t, g.views, sel, LoopBatchForTest); len(got.rows) != 450 || got.ops[0].Rows != 450 || got.ops[1].Rows != uint64(n) {
		t.Fatalf("select kept %d rows (stats %+v), want 450 of %d", len(got.rows), got.ops, n)
	}
	set := &planner.Pattern{S: planner.Variable(varO), Op: parser.OpIn, Set: []storage.Object{storage.AInt64(3, 0), storage.AInt64(5, 0)}}
	got := execute(t, g.views, &planner.Node{Op: planner.OpValues, Pattern: set}, LoopBatchForTest)
	if texts := texts(got.rows, varO); !slices.Equal(texts, []string{"3", "5"}) {
		t.Fatalf("values gave %q, want 3 and 5", texts)
	}
}

// TestFilter checks comparisons and sets on single rows, unbound values
// included.
func TestFilter(t *testing.T) {
	five, six := storage.AInt64(5, 0), storage.AInt64(6, 0)
	cmp := func(op parser.Op) *planner.Pattern {
		return &planner.Pattern{S: planner.Variable(0), Op: op, O: planner.Variable(1)}
	}
	in := &planner.Pattern{S: planner.Variable(0), Op: parser.OpIn, Set: []storage.Object{five, six}}
	for _, tc := range []struct {
		name string
		c    *planner.Pattern
		r    row
		want []string
	}{
		{"5 < 6", cmp(parser.OpLt), row{five, six}, []string{"5 6"}},
		{"6 < 5", cmp(parser.OpLt), row{six, five}, nil},
		{"unbound < 6", cmp(parser.OpLt), row{{}, six}, nil},
		{"unbound != 6", cmp(parser.OpNotEqual), row{{}, six}, nil},
		{"6 in {5, 6}", in, row{six, {}}, []string{"6 -"}},
		{"7 in {5, 6}", in, row{storage.AInt64(7, 0), {}}, nil},
		{"unbound in {5, 6} binds each", in, row{{}, {}}, []string{"5 -", "6 -"}},
	} {
		if got := texts(filter(tc.c, []row{tc.r}), 0, 1); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// tree is a graph where <root> <in> <cI> for 3 children and <cI> <in>
// <dIJ> for 2 grandchildren each: a search from <root> has a frontier of
// 3 at its second level.
func tree() (*enginetest.Views, uint64) {
	v := enginetest.New()
	in := v.Entity("in")
	root := v.Entity("root")
	for i := range 3 {
		c := v.Entity(fmt.Sprintf("c%d", i))
		v.Add(root, in, storage.AEntity(c))
		for j := range 2 {
			v.Add(c, in, storage.AEntity(v.Entity(fmt.Sprintf("d%d%d", i, j))))
		}
	}
	return v, in
}

// TestInferenceSearches: each way of following chains finds the same
// facts, whether every level is a batched lookup or the frontier is large
// enough for one scan of all links (LinkScanAbove), and stored facts keep
// their IDs while inferred ones have none.
func TestInferenceSearches(t *testing.T) {
	v, in := tree()
	name := func(n string) storage.Object { return storage.AEntity(v.Entity(n)) }
	pattern := &planner.Pattern{ID: planner.Variable(2), S: planner.Variable(0), P: planner.Constant(storage.AEntity(in)), O: planner.Variable(1)}
	for _, tc := range []struct {
		name   string
		access planner.Access
		r      row
		want   int // matches
		stored int // of which stored facts, with an ID
	}{
		{"InferSP from the root", planner.InferSP, row{name("root"), {}, {}}, 9, 3},
		{"InferPO to a grandchild", planner.InferPO, row{{}, name("d11"), {}}, 2, 1},
		{"InferSPO forward", planner.InferSPO, row{name("root"), name("d21"), {}}, 1, 0},
		{"InferSPO backward", planner.InferSPOBack, row{name("root"), name("d21"), {}}, 1, 0},
		{"InferSPO backward, a stored fact", planner.InferSPOBack, row{name("c0"), name("d01"), {}}, 1, 1},
		{"InferSPO, no chain", planner.InferSPO, row{name("c0"), name("d11"), {}}, 0, 0},
		{"InferP", planner.InferP, row{{}, {}, {}}, 15, 9},
	} {
		for _, scanAbove := range []int{0, 1} {
			l := &lookuper{views: v, index: v.Index(), linkScanAbove: scanAbove}
			var got, withID int
			err := l.find(context.Background(), pattern, tc.access, []row{tc.r}, func(_ int, m match) {
				got++
				if m.id.Kind != 0 {
					withID++
				}
			})
			if err != nil || got != tc.want || withID != tc.stored {
				t.Errorf("%s (link scan above %d): %d matches, %d with IDs, err %v; want %d, %d",
					tc.name, scanAbove, got, withID, err, tc.want, tc.stored)
			}
		}
	}
}

// TestLookupEdges: rows whose subject or predicate is a literal match
// nothing; rows with neither known cannot be looked up; a missing entity
// asks nothing.
func TestLookupEdges(t *testing.T) {
	v, in := tree()
	p := &planner.Pattern{ID: planner.Absent(), S: planner.Variable(0), P: planner.Variable(1), O: planner.Variable(2)}
	l := &lookuper{views: v, index: v.Index()}
	count := func(pat *planner.Pattern, r row) (int, error) {
		n := 0
		err := l.find(context.Background(), pat, planner.LookupS, []row{r}, func(int, match) { n++ })
		return n, err
	}
	if n, err := count(p, row{storage.AInt64(1, 0), storage.AEntity(in), {}}); n != 0 || err != nil {
		t.Errorf("a literal subject: %d matches, err %v; want none", n, err)
	}
	if _, err := count(p, row{{}, {}, storage.AEntity(in)}); err == nil || !strings.Contains(err.Error(), "needs a known subject or predicate") {
		t.Errorf("nothing known: err %v, want one saying a subject or predicate is needed", err)
	}
	missing := *p
	missing.Missing = true
	if n, err := count(&missing, row{{}, storage.AEntity(in), {}}); n != 0 || err != nil {
		t.Errorf("a missing entity: %d matches, err %v; want none", n, err)
	}
	inference := &planner.Pattern{ID: planner.Absent(), S: planner.Variable(0), P: planner.Constant(storage.AEntity(in)), O: planner.Variable(2)}
	if err := l.inferAll(context.Background(), inference, planner.InferSP, nil, shape{s: []int{0}}, nil); err == nil {
		t.Error("inference without a known predicate: no error")
	}
}

// TestRangeCmp: one pushed comparison or a pair becomes one range lookup;
// anything else is an internal error, not a wrong scan.
func TestRangeCmp(t *testing.T) {
	c := func(op parser.Op, n int64) *planner.Pattern {
		return &planner.Pattern{S: planner.Variable(0), Op: op, O: planner.Constant(storage.AInt64(n, 0))}
	}
	for _, tc := range []struct {
		pushed []*planner.Pattern
		want   string // the lookup's operator, or "error"
	}{
		{[]*planner.Pattern{c(parser.OpEq, 1)}, "CMP_EQ"},
		{[]*planner.Pattern{c(parser.OpGt, 1)}, "CMP_GT"},
		{[]*planner.Pattern{c(parser.OpGte, 1)}, "CMP_GTE"},
		{[]*planner.Pattern{c(parser.OpLt, 1)}, "CMP_LT"},
		{[]*planner.Pattern{c(parser.OpLte, 1)}, "CMP_LTE"},
		{[]*planner.Pattern{c(parser.OpGte, 1), c(parser.OpLt, 5)}, "CMP_RANGE"},
		{[]*planner.Pattern{c(parser.OpNotEqual, 1)}, "error"},
		{nil, "error"},
		{[]*planner.Pattern{c(parser.OpGt, 1), c(parser.OpGt, 2), c(parser.OpGt, 3)}, "error"},
	} {
		got := "error"
		if cmp, err := rangeCmp(7, tc.pushed); err == nil {
			got = cmp.Op.String()
		}
		if got != tc.want {
			t.Errorf("%d comparisons (first op %v): %s, want %s", len(tc.pushed), tc.pushed, got, tc.want)
		}
	}
}

// TestUnknownOperator: a plan node the executor does not know fails the
// execution instead of producing nothing.
func TestUnknownOperator(t *testing.T) {
	g := newGroup(context.Background())
	x := &executor{g: g, views: enginetest.New(), nvars: nvars, loopBatch: 1}
	for range x.start(&planner.Node{Op: 99}) {
	}
	if err := g.wait(); err == nil || !strings.Contains(err.Error(), "unknown operator") {
		t.Fatalf("err = %v, want an unknown operator", err)
	}
}
