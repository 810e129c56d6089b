package planner

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// More KIDs of the entities in these tests.
const (
	born      = 20
	locatedIn = 21
	lives     = 22
	usa       = 23
	name      = 24
)

// names prints the test KIDs in plans.
func names(kid uint64) string {
	return map[uint64]string{citizenOf: "citizenOf", gender: "gender", latvia: "Latvia", female: "female", size: "size",
		born: "born", locatedIn: "locatedIn", lives: "lives", usa: "USA", name: "name"}[kid]
}

func stored(id int, s, p, o Term) *Pattern {
	return &Pattern{ID: Variable(id), UserID: true, S: s, P: p, O: o}
}

func cmp(v int, op parser.Op, o Term) *Pattern {
	return &Pattern{ID: Absent(), S: Variable(v), P: Absent(), Op: op, O: o}
}

func optional(p *Pattern) *Pattern {
	p.Optional = true
	return p
}

func integer(n int64) Term { return Constant(storage.AInt64(n, 0)) }

// population is statistics for a graph of people: 1M citizens of 200
// countries, 1M people of 2 genders, 10,000 sizes, a born relation with
// one place per person and a locatedIn hierarchy.
func population() *Stats {
	return statsFor(map[[2]uint64]uint64{{gender, female}: 500_000, {citizenOf, latvia}: 100},
		map[uint64][3]uint64{citizenOf: {1e6, 1e6, 200}, gender: {1e6, 1e6, 2}, size: {10_000, 10_000, 80},
			born: {1e6, 1e6, 1000}, locatedIn: {1000, 1000, 100}, lives: {1e6, 1e6, 1000}})
}

var update = flag.Bool("update", false, "rewrite testdata/plans/*.golden with the plans chosen now")

// checkGolden compares a plan with testdata/plans/<name>.golden, or
// rewrites that file with -update.
func checkGolden(t *testing.T, name, plan string) {
	t.Helper()
	file := filepath.Join("testdata", "plans", strings.NewReplacer(" ", "_", "/", "_", "'", "").Replace(name)+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(plan), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("reading the golden plan (go test -update writes it): %v", err)
	}
	if plan != string(want) {
		t.Errorf("plan:\n%s\nwant (%s):\n%s", plan, file, want)
	}
}

// TestGoldenPlans pins the plans of representative queries, estimates
// included: a change to the cost model shows here as a readable diff.
func TestGoldenPlans(t *testing.T) {
	x, y, z, f, g := Variable(0), Variable(1), Variable(2), Variable(3), Variable(4)
	vars := []string{"x", "y", "z", "f", "g"}
	for _, tc := range []struct {
		name     string
		st       *Stats
		patterns []*Pattern
	}{
		{"the rarer key is looked up first, the other joined by a loop", population(), []*Pattern{
			fact(x, entity(gender), entity(female)),
			fact(x, entity(citizenOf), entity(latvia)),
		}},
		{"a range comparison on stored facts is a LookupPOCmp scan", population(), []*Pattern{
			stored(3, x, entity(size), y), cmp(1, parser.OpGt, integer(60)),
		}},
		{"a range comparison on an inferring pattern is an InferPOCmp scan", population(), []*Pattern{
			fact(x, entity(size), y), cmp(1, parser.OpGt, integer(60)),
		}},
		{"a gte/lt pair is one CMP_RANGE scan", population(), []*Pattern{
			stored(3, x, entity(size), y), cmp(1, parser.OpGte, integer(40)), cmp(1, parser.OpLt, integer(65)),
		}},
		{"notEqual stays a filter above the lookup", population(), []*Pattern{
			stored(3, x, entity(size), y), cmp(1, parser.OpNotEqual, integer(60)),
		}},
		{"a comparison of a known subject's values is a filter, not a scan", population(), []*Pattern{
			stored(3, entity(latvia), entity(size), y), cmp(1, parser.OpLt, integer(60)),
		}},
		{"a comparison of two patterns' variables applies right after their join", population(), []*Pattern{
			stored(3, x, entity(size), y), stored(4, entity(latvia), entity(size), z), cmp(1, parser.OpLt, z),
		}},
		{"an optional pattern is a left join, its comparison after it", population(), []*Pattern{
			fact(x, entity(citizenOf), entity(latvia)), optional(fact(x, entity(lives), y)), cmp(1, parser.OpEq, entity(usa)),
		}},
		{"an optional pattern over many rows is hashed", population(), []*Pattern{
			fact(x, entity(gender), entity(female)), optional(fact(x, entity(name), y)),
		}},
		{"only optional patterns start from one empty row", nil, []*Pattern{
			optional(fact(entity(latvia), entity(name), y)),
		}},
		{"a missing entity empties its pattern", nil, []*Pattern{
			{ID: Absent(), S: x, P: entity(born), O: entity(latvia), Missing: true}, fact(x, entity(lives), y),
		}},
		{"a set drives lookups of its variable", nil, []*Pattern{
			fact(x, entity(born), y), {ID: Absent(), S: y, P: Absent(), O: Absent(), Op: parser.OpIn, Set: []storage.Object{storage.AEntity(usa), storage.AEntity(latvia)}},
		}},
		{"disconnected patterns are a cross product", nil, []*Pattern{
			fact(x, entity(born), entity(usa)), fact(y, entity(lives), entity(latvia)),
		}},
		{"a variable predicate is a LookupS of stored facts", nil, []*Pattern{
			fact(entity(latvia), f, y),
		}},
		{"a known subject and object infer between them", nil, []*Pattern{
			fact(entity(latvia), entity(locatedIn), entity(usa)),
		}},
		{"a known predicate alone infers the whole relation", nil, []*Pattern{
			fact(x, entity(locatedIn), y),
		}},
		{"two patterns sharing a fact ID join on it", nil, []*Pattern{
			stored(3, x, entity(born), y), stored(3, x, entity(lives), z), fact(z, entity(locatedIn), g),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, err := Plan(&Query{Vars: vars, Patterns: tc.patterns}, tc.st)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.name, root.Explain(vars, names))
		})
	}
}

// applied counts how often the plan applies each comparison: in an
// OpSelect, a range scan, or as the Values it enumerates.
func applied(root *Node) map[*Pattern]int {
	n := map[*Pattern]int{}
	root.Walk(func(m *Node, _ int) {
		for _, c := range append(append([]*Pattern(nil), m.Filters...), m.Pushed...) {
			n[c]++
		}
		if m.Op == OpValues {
			n[m.Pattern]++
		}
	})
	return n
}

// TestEveryComparisonIsApplied: whatever plan the search picks, each
// comparison is applied, exhaustive or greedy, required or optional,
// filter or range scan. (A comparison on a variable both sides of a hash
// join bind may be applied on both sides: redundant, not wrong.)
func TestEveryComparisonIsApplied(t *testing.T) {
	// A chain ?v0 <locatedIn> ?v1 ... of n patterns, a comparison on every
	// third variable, and an optional pattern with a comparison of its own.
	chain := func(n int) *Query {
		q := &Query{}
		for i := range n + 2 {
			q.Vars = append(q.Vars, fmt.Sprintf("v%d", i))
		}
		for i := range n {
			q.Patterns = append(q.Patterns, fact(Variable(i), entity(locatedIn), Variable(i+1)))
			if i%3 == 0 {
				q.Patterns = append(q.Patterns, cmp(i+1, parser.OpNotEqual, entity(usa)))
			}
		}
		q.Patterns = append(q.Patterns, optional(fact(Variable(n), entity(lives), Variable(n+1))), cmp(n+1, parser.OpGt, integer(3)))
		q.Patterns[0].S = entity(latvia)
		return q
	}
	for _, n := range []int{1, 4, maxExhaustive, maxExhaustive + 2} {
		for _, st := range []*Stats{nil, population()} {
			q := chain(n)
			root, err := Plan(q, st)
			if err != nil {
				t.Fatalf("chain of %d: %v", n, err)
			}
			counts := applied(root)
			for _, p := range q.Patterns {
				if !p.IsFact() && counts[p] < 1 {
					t.Fatalf("chain of %d (stats %v): comparison on ?%s applied %d times:\n%s",
						n, st != nil, q.Vars[p.S.Var], counts[p], root.Explain(q.Vars, names))
				}
			}
			looked := 0
			root.Walk(func(m *Node, _ int) {
				if m.Pattern != nil && m.Pattern.IsFact() {
					looked++
				}
			})
			if looked != n+1 {
				t.Fatalf("chain of %d: the plan looks up %d patterns, want %d:\n%s", n, looked, n+1, root.Explain(q.Vars, names))
			}
		}
	}
}

// TestPlanErrors: what no plan can answer is an error at the pattern's
// position.
func TestPlanErrors(t *testing.T) {
	pos := parser.Position{Line: 3, Col: 1}
	unreachable := optional(fact(Variable(1), Variable(2), entity(usa)))
	unreachable.Pos = pos
	many := &Query{Vars: []string{"x"}}
	for range 64 {
		p := fact(Variable(0), entity(born), entity(usa))
		p.Pos = pos
		many.Patterns = append(many.Patterns, p)
	}
	for name, q := range map[string]*Query{
		"an optional pattern with nothing known": {Vars: []string{"x", "y", "z"}, Patterns: []*Pattern{fact(Variable(0), entity(born), entity(usa)), unreachable}},
		"64 required patterns":                   many,
	} {
		if _, err := Plan(q, nil); err == nil || !strings.HasPrefix(err.Error(), "line 3, column 1: ") {
			t.Errorf("%s: err = %v, want one at line 3, column 1", name, err)
		}
	}
}

// TestNewStatsMergesFreshReplies: replicas of a range count once, the
// freshest; views not ready count not at all; no reply means no stats.
func TestNewStatsMergesFreshReplies(t *testing.T) {
	reply := func(sp string, start, end, asOf, facts uint64, ready bool) *wire.StatsReply {
		return &wire.StatsReply{Space: sp, RangeStart: start, RangeEnd: end, AsOfIndex: asOf, Facts: facts, Ready: ready}
	}
	half := ^uint64(0) / 2
	st := NewStats([]*wire.StatsReply{
		reply("hashsp", 0, half, 5, 100, true),
		reply("hashsp", 0, half, 9, 120, true), // a fresher replica of the same range
		reply("hashsp", half+1, ^uint64(0), 9, 30, true),
		reply("hashsp", half+1, ^uint64(0), 99, 1000, false), // still loading
		reply("hashpo", 0, ^uint64(0), 9, 150, true),
		nil,
	})
	if st == nil || st.Facts != 150 || st.Ranges != 2 {
		t.Fatalf("stats = %+v, want 150 facts over 2 ranges", st)
	}
	if NewStats([]*wire.StatsReply{reply("hashsp", 0, half, 1, 1, false)}) != nil {
		t.Fatal("stats from views that are not ready, want none")
	}
}
