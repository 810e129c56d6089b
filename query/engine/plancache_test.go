package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/akutan-dev/akutan/query/engine/enginetest"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/query/planner"
	"github.com/akutan-dev/akutan/storage"
)

// twoPatterns is ?x <p> ?y . ?y <q> <o> with the given KIDs, built afresh
// on every call as compile builds it for every request.
func twoPatterns(p, q, o uint64) *planner.Query {
	return &planner.Query{
		Vars: []string{"x", "y"},
		Patterns: []*planner.Pattern{
			{ID: planner.Absent(), S: planner.Variable(0), P: planner.Constant(storage.AEntity(p)), O: planner.Variable(1)},
			{ID: planner.Absent(), S: planner.Variable(1), P: planner.Constant(storage.AEntity(q)), O: planner.Constant(storage.AEntity(o))},
		},
	}
}

func TestPlanCacheReusesPlansOfEqualQueries(t *testing.T) {
	pc := newPlanCache()
	st := &planner.Stats{Facts: 100, Ranges: 1}
	first, err := pc.plan(twoPatterns(1, 2, 3), st)
	if err != nil {
		t.Fatal(err)
	}
	again, err := pc.plan(twoPatterns(1, 2, 3), st)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Errorf("the same query under the same statistics was planned again")
	}
	other, err := pc.plan(twoPatterns(1, 2, 4), st)
	if err != nil {
		t.Fatal(err)
	}
	if other == first {
		t.Errorf("a query with another constant got the first query's plan")
	}
	newer, err := pc.plan(twoPatterns(1, 2, 3), &planner.Stats{Facts: 100, Ranges: 1})
	if err != nil {
		t.Fatal(err)
	}
	if newer == first {
		t.Errorf("new statistics did not give a new plan")
	}
}

func TestPlanCacheStaysBounded(t *testing.T) {
	pc := newPlanCache()
	for i := range planCacheSize + 10 {
		if _, err := pc.plan(twoPatterns(1, 2, uint64(i+10)), nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(pc.plans); n > planCacheSize {
		t.Errorf("cache holds %d plans, want at most %d", n, planCacheSize)
	}
}

func TestPlanKeyTellsTermsApart(t *testing.T) {
	str := func(s string) *planner.Query {
		q := twoPatterns(1, 2, 3)
		q.Patterns[1].O = planner.Constant(storage.AString(s, ""))
		return q
	}
	if planKey(str(`a|b`)) == planKey(str(`a`)) {
		t.Errorf("different strings gave the same key")
	}
	if planKey(str(`a`)) != planKey(str(`a`)) {
		t.Errorf("equal queries gave different keys")
	}
}

// TestCachedPlanRunsConcurrently runs one query from several goroutines
// through one Engine, so that they share its cached plan; run with -race,
// it shows the executor never writes to a plan.
func TestCachedPlanRunsConcurrently(t *testing.T) {
	v := enginetest.New()
	if err := v.Insert(`
<a> <knows> <b>
<b> <knows> <c>
<c> <livesIn> <Paris>
<b> <livesIn> <Rome>
`); err != nil {
		t.Fatal(err)
	}
	q, err := parser.ParseQuery("SELECT ?x ?z WHERE { ?x <knows> ?y . ?y <livesIn> ?z }")
	if err != nil {
		t.Fatal(err)
	}
	en := New(v)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				res, err := en.Run(context.Background(), q, v.Index())
				if err == nil && len(res.Rows) != 3 {
					err = fmt.Errorf("%d rows, want 3", len(res.Rows))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(en.plans.plans); n != 1 {
		t.Errorf("%d cached plans, want 1", n)
	}
}
