package drills

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/tests/harness"
)

// TestDrillUpgradeRollback drills "upgrade/rollback" of stateful views side
// by side, in dc2's cluster under load. Upgrade: for each space, a view of
// "the new release" (a copy of the binary: the drill shows the procedure,
// not a change of code) starts beside the old one with an empty
// directory; `status --wait covered --replicas 2` waits for it; the old
// view is drained and stopped, keeping its disk. Rollback: each old view
// is started again on its old disk with the old binary (it catches up from
// the log, no boot from peers); `--wait covered --replicas 2`; the new view
// is drained and stopped. Time to healthy is the longest wait for
// coverage.
func TestDrillUpgradeRollback(t *testing.T) {
	harness.SkipIfShort(t)
	dp, l := startLoaded(t)
	const d = 1
	newBin := filepath.Join(t.TempDir(), "akutan-new")
	copyFile(t, bin, newBin)
	var healthy longest
	before := l.failedQueryCount()

	newViews := make([]*harness.Process, len(spaces))
	newAddrs := make([]string, len(spaces))
	for i, sp := range spaces {
		newViews[i], newAddrs[i] = dp.startViewWith(t, newBin, d, sp+"-new", sp, "1/1")
		healthy.add(dp.waitCovered(t, d, sp, 1, 2))
		dp.drain(t, d, dp.viewGRPC[d][i])
		stop(t, dp.views[d][i])
		dp.waitCovered(t, d, sp, 1, 1)
	}
	l.waitMore(t, 50)
	t.Logf("upgrade: %s runs only new views (%s, %s); %d queries failed",
		dcName(d), howBooted(newViews[0]), howBooted(newViews[1]), l.failedQueryCount()-before)

	for i, sp := range spaces {
		dp.views[d][i].Restart(t)
		healthy.add(dp.waitCovered(t, d, sp, 1, 2))
		dp.drain(t, d, newAddrs[i])
		stop(t, newViews[i])
		dp.waitCovered(t, d, sp, 1, 1)
		out := dp.views[d][i].Output()
		if again := out[strings.LastIndex(out, "=== harness: start #"):]; strings.Contains(again, "from peers") {
			t.Errorf("the old %s view booted from peers on its old disk:\n%s", sp, again)
		}
	}
	waitAllUp(t, dp, 60*time.Second)
	l.waitMore(t, 50)
	t.Logf("rollback: %s runs the old views on their old disks again; %d queries failed", dcName(d), l.failedQueryCount()-before)
	finish(t, dp, l, "upgrade-rollback", time.Duration(healthy))
}

// copyFile copies the executable from to the new file to.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
