package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
)

// lowerHalf is partition 1/2 of a space, as status names it.
const lowerHalf = "0x0000000000000000-0x7fffffffffffffff"

// lostOf returns the lost view of space and rng, if status lists it.
func lostOf(rep health.Report, space, rng string) (health.Lost, bool) {
	for _, x := range rep.Lost {
		if x.Role == "view" && x.Space == space && x.Range == rng {
			return x, true
		}
	}
	return health.Lost{}, false
}

// TestStatusListsLostViews kills -9 two views and stops a third with
// SIGINT: status lists the killed ones as lost (top level and in their
// cluster) once gossip gives up on them, and still after gossip has
// forgotten them (past 45 s); the stopped one never. Restarting a killed
// view takes it off the list, and `ctl forget-lost` drops the other.
func TestStatusListsLostViews(t *testing.T) {
	harness.SkipIfShort(t)
	c := startStatusCluster(t)
	waitViewsUpToDate(t, c.apiAddr, 6)
	killed := time.Now()
	c.views["hashpo-2-r1"].Kill()
	c.views["hashpo-1-r2"].Kill()
	if err := c.views["hashsp-1-r1"].Stop(); err != nil { // SIGINT: a graceful stop
		t.Fatalf("stopping a view: %v", err)
	}
	check := func(rep health.Report) error {
		if len(rep.Views) != 3 {
			return fmt.Errorf("%d views in gossip, want 3", len(rep.Views))
		}
		if len(rep.Lost) != 2 || len(rep.Clusters) != 1 || len(rep.Clusters[0].Lost) != 2 {
			return fmt.Errorf("lost %+v, clusters %d; want the 2 killed views", rep.Lost, len(rep.Clusters))
		}
		for _, rng := range []string{upperHalf, lowerHalf} {
			x, ok := lostOf(rep, "hashpo", rng)
			if !ok {
				return fmt.Errorf("hashpo %s not listed as lost: %+v", rng, rep.Lost)
			}
			if x.Cluster != statusCluster || x.Addr == "" || !strings.Contains(x.Name, x.Addr) ||
				x.Since.Before(killed.Add(-time.Second)) {
				return fmt.Errorf("lost view recorded as %+v", x)
			}
		}
		return nil
	}
	var rep health.Report
	testutil.Eventually(t, 15*time.Second, 250*time.Millisecond, func() error {
		var err error
		if rep, err = tryStatusJSON(t, c.apiAddr); err != nil {
			return err
		}
		return check(rep)
	})
	t.Logf("the killed views were listed as lost %v after kill -9", time.Since(killed))
	// Past the time gossip keeps dead members, they are still listed.
	time.Sleep(time.Until(killed.Add(46 * time.Second)))
	if err := check(statusJSON(t, c.apiAddr)); err != nil {
		t.Fatalf("46 s after kill -9: %v", err)
	}
	text := akutan(t, "status", "--api", c.apiAddr)
	x, _ := lostOf(rep, "hashpo", upperHalf)
	if !strings.Contains(text, "lost (left without a graceful stop") || !strings.Contains(text, x.Name) {
		t.Errorf("text status does not list the lost views:\n%s", text)
	}

	// Restarting the killed view (same address, so the same name) takes
	// it off the list.
	c.views["hashpo-2-r1"].Restart(t)
	testutil.Eventually(t, 30*time.Second, 250*time.Millisecond, func() error {
		rep, err := tryStatusJSON(t, c.apiAddr)
		if err != nil {
			return err
		}
		if _, ok := lostOf(rep, "hashpo", upperHalf); ok || len(rep.Lost) != 1 {
			return fmt.Errorf("after restarting hashpo-2-r1, lost %+v", rep.Lost)
		}
		return nil
	})

	// The operator forgets the other.
	y, _ := lostOf(rep, "hashpo", lowerHalf)
	if _, errOut, err := harness.Run(t, bin, "ctl", "forget-lost", "--api", c.apiAddr, "view-nowhere:1"); err == nil ||
		!strings.Contains(errOut, "not listed as lost") {
		t.Errorf("forget-lost of an unknown name: err %v, stderr %s", err, errOut)
	}
	akutan(t, "ctl", "forget-lost", "--api", c.apiAddr, y.Name)
	if rep := statusJSON(t, c.apiAddr); len(rep.Lost) != 0 || len(rep.Clusters[0].Lost) != 0 {
		t.Errorf("after forget-lost, lost %+v", rep.Lost)
	}
}
