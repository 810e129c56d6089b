package engine

import (
	"fmt"
	"sync"

	"github.com/akutan-dev/akutan/query/planner"
)

// planCacheSize bounds how many plans an Engine keeps. A plan is a few
// hundred bytes per operator; applications repeat a small set of query
// shapes, so a few hundred cover them.
const planCacheSize = 512

// planCache remembers the plans chosen for compiled queries, so a query
// asked again skips the planner's search (a third of a millisecond for a
// six-pattern join, on the critical path of every request). A plan is
// reused only for the same compiled query (the same patterns with the
// same KIDs, which names resolved to at the query's index) and the same
// statistics: new statistics give new plans. Plans are read-only once
// built, so one plan may run in several executions at once.
type planCache struct {
	mu    sync.Mutex
	plans map[string]cachedPlan
}

type cachedPlan struct {
	stats *planner.Stats
	root  *planner.Node
}

func newPlanCache() *planCache { return &planCache{plans: map[string]cachedPlan{}} }

// plan returns the plan for q under st, planning it on a miss.
func (pc *planCache) plan(q *planner.Query, st *planner.Stats) (*planner.Node, error) {
	key := planKey(q)
	pc.mu.Lock()
	c, ok := pc.plans[key]
	pc.mu.Unlock()
	if ok && c.stats == st {
		return c.root, nil
	}
	root, err := planner.Plan(q, st)
	if err != nil {
		return nil, err
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if len(pc.plans) >= planCacheSize {
		for k := range pc.plans { // evict an arbitrary plan
			delete(pc.plans, k)
			break
		}
	}
	pc.plans[key] = cachedPlan{stats: st, root: root}
	return root, nil
}

// planKey spells out everything of q the planner reads, unambiguously
// (Go syntax quotes strings), so equal keys mean equal queries.
func planKey(q *planner.Query) string {
	b := fmt.Appendf(nil, "%q|%#v", q.Vars, q.Hidden)
	for _, p := range q.Patterns {
		b = fmt.Appendf(b, "|%#v", *p)
	}
	return string(b)
}
