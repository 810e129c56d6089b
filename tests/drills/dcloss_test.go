package drills

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
)

// TestDrillDatacenterLoss drills losing one whole datacenter: under load,
// every process of the datacenter whose log replica leads the log (its
// log replica, API server and views) is killed with kill -9 at once, so
// the log also elects a new leader. The other two clusters must stay
// fully available with 2 log replicas up, and their writers and readers
// go on: each writer gets 100 more writes acknowledged during the outage,
// and no query through them fails in the whole drill (the lost
// datacenter's clients fail while it is gone, counted in the figures).
// The datacenter is then started again on its disks; time to healthy is
// from that restart until every cluster is fully available with 3 log
// replicas up.
func TestDrillDatacenterLoss(t *testing.T) {
	harness.SkipIfShort(t)
	dp, l := startLoaded(t)
	lost := leaderDC(t, dp)
	gone := append([]*harness.Process{dp.logs[lost], dp.apiProcs[lost]}, dp.views[lost]...)
	killAll(gone)
	killed := time.Now()
	for d := range datacenters {
		if d == lost {
			continue
		}
		waitCluster(t, dp, d, 30*time.Second, "fully available with 2 log replicas up", func(rep health.Report) error {
			if n := upReplicas(rep); n != datacenters-1 {
				return fmt.Errorf("%d log replicas up", n)
			}
			return nil
		})
	}
	t.Logf("%s killed (its log replica %d led the log); the other clusters fully available with 2 log replicas up after %v",
		dcName(lost), lost+1,
		time.Since(killed).Round(100*time.Millisecond))
	var want [datacenters]int
	for d := range datacenters {
		want[d] = l.ackedBy(d) + 100
	}
	testutil.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
		for d := range datacenters {
			if got := l.ackedBy(d); d != lost && got < want[d] {
				return fmt.Errorf("the %s writer has %d writes acknowledged, waiting for %d", dcName(d), got, want[d])
			}
		}
		return nil
	})
	t.Logf("the other clusters took 100 more writes each while %s was gone", dcName(lost))

	restarted := time.Now()
	outage := restarted.Sub(killed)
	for _, p := range gone {
		p.Restart(t)
	}
	waitAllUp(t, dp, 60*time.Second)
	healthy := time.Since(restarted)
	t.Logf("%s down for %v; every cluster fully available with 3 log replicas up %v after its restart",
		dcName(lost), outage.Round(100*time.Millisecond), healthy.Round(100*time.Millisecond))
	l.waitMore(t, 50)
	if errs := l.failuresOutside(lost); len(errs) > 0 {
		t.Errorf("%d queries through the other clusters failed, first: %v", len(errs), errs[0])
	}
	finish(t, dp, l, "datacenter-loss", healthy)
}

// leaderDC returns the datacenter whose log replica leads the log (log
// replica i+1 is in datacenter i).
func leaderDC(t *testing.T, dp *deployment) int {
	t.Helper()
	var info struct {
		Leader int `json:"leader"`
	}
	testutil.Eventually(t, 30*time.Second, 250*time.Millisecond, func() error {
		out, errOut, err := harness.Run(t, bin, "ctl", "log", "info", "--log", dp.logList, "--json")
		if err != nil {
			return fmt.Errorf("ctl log info: %v: %s", err, errOut)
		}
		if err := json.Unmarshal([]byte(out), &info); err != nil {
			return fmt.Errorf("ctl log info --json: %v: %s", err, out)
		}
		if info.Leader < 1 || info.Leader > datacenters {
			return fmt.Errorf("log leader %d", info.Leader)
		}
		return nil
	})
	return info.Leader - 1
}
