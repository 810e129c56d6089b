package drills

import (
	"testing"
	"time"

	"github.com/akutan-dev/akutan/tests/harness"
)

// TestDrillRollingRestart drills "rolling restart": under load, every
// server is restarted (SIGINT, then started again with the same flags and
// disk), one at a time, waiting on `akutan status --wait` between steps:
// each log replica, waiting until every cluster shows all 3 replicas up;
// each view, drained first (`ctl drain`), waiting for
// `status --wait covered` of its space in its cluster; each API server,
// waiting for `status --wait available` of its cluster. Time to healthy
// is the longest of those waits. With one API server per cluster, its
// clients' calls fail while it restarts (counted); a view restarted
// costs no failed query here (logged).
func TestDrillRollingRestart(t *testing.T) {
	harness.SkipIfShort(t)
	dp, l := startLoaded(t)
	var healthy longest
	began := time.Now()
	for i, p := range dp.logs {
		p.Restart(t)
		start := time.Now()
		waitAllUp(t, dp, 60*time.Second)
		healthy.add(time.Since(start))
		t.Logf("log replica %d restarted; every cluster shows 3 replicas up after %v", i+1, time.Since(start).Round(100*time.Millisecond))
	}
	before := l.failedQueryCount()
	for d := range datacenters {
		for i, sp := range spaces {
			dp.drain(t, d, dp.viewGRPC[d][i])
			dp.views[d][i].Restart(t)
			healthy.add(dp.waitCovered(t, d, sp, 1, 1))
		}
	}
	t.Logf("%d queries failed while the views restarted", l.failedQueryCount()-before)
	before = l.failedQueryCount()
	for d := range datacenters {
		dp.apiProcs[d].Restart(t)
		took := dp.waitAvailable(t, d)
		healthy.add(took)
		t.Logf("API server of %s restarted; its cluster fully available after %v", dcName(d), took.Round(100*time.Millisecond))
	}
	t.Logf("%d queries failed while the API servers restarted (one per cluster: its clients wait for it)", l.failedQueryCount()-before)
	waitAllUp(t, dp, 60*time.Second)
	t.Logf("restarted all %d servers in %v", len(dp.all()), time.Since(began).Round(100*time.Millisecond))
	l.waitMore(t, 50)
	finish(t, dp, l, "rolling-restart", time.Duration(healthy))
}
