package planner

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
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
