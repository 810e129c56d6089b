package drills

import (
	"testing"
	"time"

	"github.com/akutan-dev/akutan/tests/harness"
)

// TestDrillSplitMerge drills "split/merge partitions" in dc1's cluster,
// under load, as docs/operations.md's procedures do it. Split: hashsp,
// served by one view of the full range, gets views of partitions 1/2 and
// 2/2 (empty directories) beside it; `status --wait covered --partitions
// 2` waits for them; the old view is drained (`ctl drain`) and stopped.
// Merge: a new view of the full range is started beside the two halves;
// `--wait covered --partitions 1`; both halves are drained and stopped.
// Time to healthy is the longer of the two waits for coverage.
func TestDrillSplitMerge(t *testing.T) {
	harness.SkipIfShort(t)
	dp, l := startLoaded(t)
	const d = 0
	var healthy longest
	before := l.failedQueryCount()

	// Split 1 -> 2.
	half1, addr1 := dp.startView(t, d, "hashsp-1of2", "hashsp", "1/2")
	half2, addr2 := dp.startView(t, d, "hashsp-2of2", "hashsp", "2/2")
	healthy.add(dp.waitCovered(t, d, "hashsp", 2, 1))
	dp.drain(t, d, dp.viewGRPC[d][0])
	stop(t, dp.views[d][0])
	dp.waitAvailable(t, d)
	dp.waitCovered(t, d, "hashsp", 2, 1)
	l.waitMore(t, 50)
	t.Logf("split: hashsp of %s in 2 partitions (the halves %s, %s), the old view stopped; %d queries failed",
		dcName(d), howBooted(half1), howBooted(half2), l.failedQueryCount()-before)

	// Merge 2 -> 1.
	whole, _ := dp.startView(t, d, "hashsp-merged", "hashsp", "1/1")
	healthy.add(dp.waitCovered(t, d, "hashsp", 1, 1))
	for _, v := range []struct {
		p    *harness.Process
		addr string
	}{{half1, addr1}, {half2, addr2}} {
		dp.drain(t, d, v.addr)
		stop(t, v.p)
	}
	dp.waitAvailable(t, d)
	dp.waitCovered(t, d, "hashsp", 1, 1)
	if !whole.Running() {
		t.Fatal("the merged view exited")
	}
	t.Logf("merge: hashsp of %s in 1 partition again (the new view %s), the halves stopped; %d queries failed",
		dcName(d), howBooted(whole), l.failedQueryCount()-before)

	waitAllUp(t, dp, 60*time.Second)
	l.waitMore(t, 50)
	finish(t, dp, l, "split-merge", time.Duration(healthy))
}
