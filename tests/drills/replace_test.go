package drills

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
)

// TestDrillReplaceFailedServers drills "recover a failed server" for the
// servers of a cluster, under load. A view: dc1's hashsp range gets a
// second view so that it has a copy to lose; one
// is killed with kill -9 and replaced by a new view with an empty
// directory, which boots from the surviving peer; `status --wait covered`
// waits for 2 copies again, then the killed view, listed as lost, is
// forgotten (`ctl forget-lost`). An API server: dc2's is killed with
// kill -9 and a new one is started in its place (same gRPC address, new
// gossip address); its cluster must be fully available again. Time to
// healthy is the longer of kill -9 to recovered.
//
// The replacement view, started right after the kill, plans its load over
// both copies, the killed one included (gossip still lists it), and
// retries that plan every second until gossip gives up on the killed view
// (about 6 s); then it loads from the survivor alone. Most of the view's
// time to healthy is that wait.
func TestDrillReplaceFailedServers(t *testing.T) {
	harness.SkipIfShort(t)
	dp, l := startLoaded(t)
	var healthy longest

	// A view.
	dp.startView(t, 0, "hashsp-b", "hashsp", "1/1") // it may replay the log, which still starts at 1
	dp.waitCovered(t, 0, "hashsp", 1, 2)
	before := l.failedQueryCount()
	victim := dp.viewGRPC[0][0]
	dp.views[0][0].Kill()
	killed := time.Now()
	replacement, _ := dp.startView(t, 0, "hashsp-c", "hashsp", "1/1")
	bootedFromPeers(t, replacement)
	dp.waitCovered(t, 0, "hashsp", 1, 2)
	healthy.add(time.Since(killed))
	t.Logf("view %s killed; its replacement booted from its peer, 2 copies again after %v; %d queries failed meanwhile",
		victim, time.Since(killed).Round(100*time.Millisecond), l.failedQueryCount()-before)
	name := forgetLost(t, dp, 0, victim)
	t.Logf("the killed view was listed as lost (%s) and forgotten", name)

	// An API server.
	d := 1
	dp.apiProcs[d].Kill()
	killed = time.Now()
	dc := dcName(d)
	dp.apiProcs[d] = harness.Start(t, bin, "api-"+dc+"-new", "api", "--dc", dc, "--cluster", dc,
		"--grpc-addr", dp.apiAddrs[d], "--log", dp.logList, "--gossip-addr", harness.FreeAddr(t), "--gossip-join", dp.seeds(d))
	dp.waitAvailable(t, d)
	waitAllUp(t, dp, 60*time.Second)
	healthy.add(time.Since(killed))
	t.Logf("API server of %s killed and replaced; its cluster fully available after %v", dc, time.Since(killed).Round(100*time.Millisecond))

	l.waitMore(t, 50)
	finish(t, dp, l, "replace-failed-servers", time.Duration(healthy))
}

// forgetLost waits until datacenter d's status lists the server at addr as
// lost, forgets it with `ctl forget-lost`, checks that it is no longer
// listed, and returns its name.
func forgetLost(t *testing.T, dp *deployment, d int, addr string) string {
	t.Helper()
	var name string
	testutil.Eventually(t, 30*time.Second, 250*time.Millisecond, func() error {
		rep, err := dp.status(t, d)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(rep.Lost, func(x health.Lost) bool { return x.Addr == addr })
		if i < 0 {
			return fmt.Errorf("%s not listed as lost: %+v", addr, rep.Lost)
		}
		name = rep.Lost[i].Name
		return nil
	})
	out, errOut, err := harness.Run(t, bin, "ctl", "forget-lost", "--api", dp.apiAddrs[d], name)
	if err != nil {
		t.Fatalf("ctl forget-lost %s: %v\n%s%s", name, err, out, errOut)
	}
	rep, err := dp.status(t, d)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(rep.Lost, func(x health.Lost) bool { return x.Name == name }) {
		t.Errorf("%s still listed as lost after ctl forget-lost: %s", name, strings.TrimSpace(out))
	}
	return name
}
