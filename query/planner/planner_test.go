package planner

import (
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// KIDs of the entities in these tests.
const (
	citizenOf = 10
	gender    = 11
	latvia    = 12
	female    = 13
	size      = 14
)

func entity(kid uint64) Term { return Constant(storage.AEntity(kid)) }

func fact(s, p, o Term) *Pattern { return &Pattern{ID: Absent(), S: s, P: p, O: o} }

// statsFor builds statistics as two views (one per space, whole range)
// would report them.
func statsFor(heavyPO map[[2]uint64]uint64, preds map[uint64][3]uint64) *Stats {
	sp := &wire.StatsReply{Space: "hashsp", RangeEnd: ^uint64(0), Ready: true}
	po := &wire.StatsReply{Space: "hashpo", RangeEnd: ^uint64(0), Ready: true}
	for k, n := range heavyPO {
		po.Heavy = append(po.Heavy, &wire.KeyCount{Predicate: k[0], Object: wire.FromObject(storage.AEntity(k[1])), Count: n})
	}
	for p, c := range preds { // facts, subjects, objects
		sp.Facts += c[0]
		sp.Predicates = append(sp.Predicates, &wire.PredicateCount{Predicate: p, Facts: c[0], Keys: c[1]})
		po.Predicates = append(po.Predicates, &wire.PredicateCount{Predicate: p, Facts: c[0], Keys: c[2]})
	}
	po.Facts = sp.Facts
	return NewStats([]*wire.StatsReply{sp, po})
}

// firstPattern returns the pattern the plan looks up first: the leftmost
// leaf.
func firstPattern(n *Node) *Pattern {
	for n.Left != nil {
		n = n.Left
	}
	return n.Pattern
}

func TestJoinOrderFollowsStatistics(t *testing.T) {
	// ?p <citizenOf> <Latvia> . ?p <gender> <female>
	q := &Query{Vars: []string{"p"}, Patterns: []*Pattern{
		fact(Variable(0), entity(citizenOf), entity(latvia)),
		fact(Variable(0), entity(gender), entity(female)),
	}}
	preds := map[uint64][3]uint64{citizenOf: {1e6, 1e6, 200}, gender: {1e6, 1e6, 2}}
	for _, tc := range []struct {
		name      string
		heavy     map[[2]uint64]uint64
		wantFirst uint64
	}{
		{"few Latvians", map[[2]uint64]uint64{{gender, female}: 500_000, {citizenOf, latvia}: 100}, citizenOf},
		{"few women", map[[2]uint64]uint64{{gender, female}: 30, {citizenOf, latvia}: 400_000}, gender},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, err := Plan(q, statsFor(tc.heavy, preds))
			if err != nil {
				t.Fatal(err)
			}
			plan := root.Explain(q.Vars, nil)
			if got := firstPattern(root).P.Val.Entity; got != tc.wantFirst {
				t.Fatalf("plan starts with predicate #%d, want #%d:\n%s", got, tc.wantFirst, plan)
			}
			if root.Op != OpLoopJoin || len(root.JoinVars) != 1 {
				t.Fatalf("want a loop join binding ?p into the large side:\n%s", plan)
			}
		})
	}
}

func TestComparisonBecomesRangeLookup(t *testing.T) {
	// ?x <size> ?s . ?s <gt> 60 over many sizes, none of them entities.
	cmp := &Pattern{ID: Absent(), S: Variable(1), Op: parser.OpGt, O: Constant(storage.AInt64(60, 0))}
	st := statsFor(nil, map[uint64][3]uint64{size: {100_000, 100_000, 80}})
	for _, tc := range []struct {
		name string
		id   Term
		want Access
	}{
		{"inferred", Absent(), InferPOCmp},
		{"stored facts only", Variable(2), LookupPOCmp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := fact(Variable(0), entity(size), Variable(1))
			p.ID, p.UserID = tc.id, !tc.id.IsAbsent()
			q := &Query{Vars: []string{"x", "s", "f"}, Patterns: []*Pattern{p, cmp}}
			root, err := Plan(q, st)
			if err != nil {
				t.Fatal(err)
			}
			plan := root.Explain(q.Vars, nil)
			if root.Op != OpLookup || root.Access != tc.want || len(root.Pushed) != 1 || root.Pushed[0] != cmp {
				t.Fatalf("want %s with the comparison pushed down, got:\n%s", tc.want, plan)
			}
			if !strings.Contains(plan, "> 60") {
				t.Fatalf("plan text does not show the range:\n%s", plan)
			}
		})
	}
}

func TestRangePairIsOneScan(t *testing.T) {
	lo := &Pattern{ID: Absent(), S: Variable(1), Op: parser.OpGte, O: Constant(storage.AInt64(40, 0))}
	hi := &Pattern{ID: Absent(), S: Variable(1), Op: parser.OpLt, O: Constant(storage.AInt64(65, 0))}
	p := fact(Variable(0), entity(size), Variable(1))
	p.ID, p.UserID = Variable(2), true
	q := &Query{Vars: []string{"x", "s", "f"}, Patterns: []*Pattern{p, lo, hi}}
	root, err := Plan(q, statsFor(nil, map[uint64][3]uint64{size: {100_000, 100_000, 80}}))
	if err != nil {
		t.Fatal(err)
	}
	if root.Op != OpLookup || len(root.Pushed) != 2 {
		t.Fatalf("want one range scan for both bounds:\n%s", root.Explain(q.Vars, nil))
	}
}

func TestPlansWithoutStatistics(t *testing.T) {
	// <in> drives lookups; an optional pattern comes last as a left join.
	in := &Pattern{ID: Absent(), S: Variable(1), Op: parser.OpIn, Set: []storage.Object{storage.AEntity(latvia)}}
	opt := fact(Variable(0), entity(gender), Variable(2))
	opt.Optional = true
	q := &Query{Vars: []string{"p", "c", "g"}, Patterns: []*Pattern{
		fact(Variable(0), entity(citizenOf), Variable(1)), in, opt,
	}}
	root, err := Plan(q, nil)
	if err != nil {
		t.Fatal(err)
	}
	plan := root.Explain(q.Vars, nil)
	if !root.Outer || root.Left.Op != OpLoopJoin || firstPattern(root) != in {
		t.Fatalf("want Values -> LoopJoin -> optional left join:\n%s", plan)
	}
}

func TestPlanErrorsHavePositions(t *testing.T) {
	pos := parser.Position{Line: 2, Col: 3}
	unreachable := fact(Variable(0), Variable(1), entity(latvia))
	unreachable.Pos = pos
	cmp := &Pattern{Pos: pos, ID: Absent(), S: Variable(2), Op: parser.OpLt, O: Constant(storage.AInt64(1, 0))}
	for name, q := range map[string]*Query{
		"object only":      {Vars: []string{"s", "p"}, Patterns: []*Pattern{unreachable}},
		"unbound variable": {Vars: []string{"s", "p", "x"}, Patterns: []*Pattern{fact(Variable(0), entity(size), Variable(1)), cmp}},
	} {
		_, err := Plan(q, nil)
		if err == nil || !strings.HasPrefix(err.Error(), "line 2, column 3: ") {
			t.Errorf("%s: err = %v, want one at line 2, column 3", name, err)
		}
	}
}

func TestMatchesEstimates(t *testing.T) {
	preds := map[uint64][3]uint64{citizenOf: {1e6, 1e6, 200}, gender: {1e6, 1e6, 2}}
	st := statsFor(map[[2]uint64]uint64{{gender, female}: 500_000, {citizenOf, latvia}: 100}, preds)
	lv, fe := storage.AEntity(latvia), storage.AEntity(female)
	for _, tc := range []struct {
		name  string
		s, p  uint64
		o     *storage.Object
		bound Bound
		want  float64
	}{
		{name: "heavy predicate-object pair", p: gender, o: &fe, want: 500_000},
		{name: "lighter pair", p: citizenOf, o: &lv, want: 100},
		{name: "whole predicate", p: gender, want: 1e6},
		{name: "per bound object", p: citizenOf, bound: Bound{O: true}, want: 1e6 / 200},
		{name: "per bound subject", p: citizenOf, bound: Bound{S: true}, want: 1},
		{name: "both ends bound", p: citizenOf, bound: Bound{S: true, O: true}, want: 1},
		{name: "nothing known is the whole graph", want: 2e6},
		{name: "no predicate, known subject", s: 7, want: defaultS},
	} {
		if got := st.Matches(tc.s, tc.p, tc.o, tc.bound); got != tc.want {
			t.Errorf("%s: Matches = %v, want %v", tc.name, got, tc.want)
		}
	}
	var none *Stats
	if got := none.Matches(0, gender, nil, Bound{}); got != defaultPredicate {
		t.Errorf("without statistics: Matches = %v, want the default %v", got, defaultPredicate)
	}
}
