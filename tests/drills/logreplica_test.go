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

// TestDrillLogReplicaLoss drills "recover a failed server" for the log,
// the only component every cluster shares: under load, log replica 3
// (dc3) is killed with kill -9. Every cluster's `akutan status` must show
// it down (log.replicas: up false) and every cluster not healthy naming
// it, while the clusters stay fully available and writes go on. The
// replica is then restarted on its old disk; the drill waits until every
// cluster's status shows all 3 replicas up and no reason about the log.
// Every acknowledged write must then be readable through every cluster,
// and `ctl verify` must agree within and across the clusters.
func TestDrillLogReplicaLoss(t *testing.T) {
	harness.SkipIfShort(t)
	started := time.Now()
	dp := startDeployment(t)
	waitEveryCluster(t, dp, 60*time.Second, "fully available with 3 log replicas up", func(rep health.Report) error {
		if n := upReplicas(rep); n != 3 {
			return fmt.Errorf("%d log replicas up", n)
		}
		return nil
	})
	t.Logf("deployment fully available in every cluster after %v", time.Since(started).Round(100*time.Millisecond))
	l := startLoad(t, dp)
	l.waitMore(t, 50)

	dp.logs[2].Kill()
	killed := time.Now()
	reason := "log replica 3 in dc dc3 (" + dp.logGRPC[2] + ") is down"
	waitEveryCluster(t, dp, 30*time.Second, "showing log replica 3 down", func(rep health.Report) error {
		i := slices.IndexFunc(rep.Log.Replicas, func(r health.LogReplica) bool { return r.ID == 3 })
		if i < 0 || rep.Log.Replicas[i].Up {
			return fmt.Errorf("log replica 3 not down: %+v", rep.Log.Replicas)
		}
		for _, c := range rep.Clusters {
			if c.Healthy || !slices.ContainsFunc(c.Reasons, func(r string) bool { return strings.HasPrefix(r, reason) }) {
				return fmt.Errorf("cluster %s: healthy %v, reasons %q", c.Name, c.Healthy, c.Reasons)
			}
		}
		return nil
	})
	t.Logf("log replica 3 reported down in every cluster %v after kill -9", time.Since(killed).Round(100*time.Millisecond))
	l.waitMore(t, 50)

	dp.logs[2].Restart(t)
	restarted := time.Now()
	waitEveryCluster(t, dp, 60*time.Second, "with log replica 3 back", func(rep health.Report) error {
		if n := upReplicas(rep); n != 3 {
			return fmt.Errorf("%d log replicas up", n)
		}
		for _, c := range rep.Clusters {
			if slices.ContainsFunc(c.Reasons, func(r string) bool { return strings.HasPrefix(r, "log replica") }) {
				return fmt.Errorf("cluster %s still names a log replica: %q", c.Name, c.Reasons)
			}
		}
		return nil
	})
	recovered := time.Since(restarted)
	l.waitMore(t, 50)
	l.stop()

	lost := l.lost(t, dp)
	l.report(t, "log-replica-loss", lost, recovered)
	if slices.ContainsFunc(lost, func(n int) bool { return n > 0 }) {
		t.Errorf("acknowledged writes lost, per cluster: %v", lost)
	}
	verifyAcrossClusters(t, dp)
}

// waitEveryCluster waits until the status from every datacenter's API
// server shows its cluster fully available and check accepts it.
func waitEveryCluster(t *testing.T, dp *deployment, timeout time.Duration, what string, check func(health.Report) error) {
	t.Helper()
	for d := range datacenters {
		waitCluster(t, dp, d, timeout, what, check)
	}
}

// waitCluster waits until the status from datacenter d's API server shows
// its cluster fully available and check accepts it.
func waitCluster(t *testing.T, dp *deployment, d int, timeout time.Duration, what string, check func(health.Report) error) {
	t.Helper()
	testutil.Eventually(t, timeout, 250*time.Millisecond, func() error {
		rep, err := dp.status(t, d)
		if err != nil {
			return err
		}
		if len(rep.Clusters) != 1 || rep.Clusters[0].Name != dcName(d) || !rep.Clusters[0].FullyAvailable {
			return fmt.Errorf("the %s API server, waiting for its cluster %s: clusters %+v", dcName(d), what, rep.Clusters)
		}
		if err := check(rep); err != nil {
			return fmt.Errorf("the %s API server, waiting for its cluster %s: %w", dcName(d), what, err)
		}
		return nil
	})
}

func upReplicas(rep health.Report) int {
	n := 0
	for _, r := range rep.Log.Replicas {
		if r.Up {
			n++
		}
	}
	return n
}

// verifyAcrossClusters runs `akutan ctl verify` through every cluster's
// API server (each must agree within its cluster) and compares the
// digests of each range across the clusters: once the views of every
// cluster have applied the same index, their digests must be equal.
func verifyAcrossClusters(t *testing.T, dp *deployment) {
	t.Helper()
	var seen map[string]string // space range -> index digest
	testutil.Eventually(t, 30*time.Second, 500*time.Millisecond, func() error {
		seen = map[string]string{}
		for d := range dp.apiAddrs { // with any cluster a drill added
			out, errOut, err := harness.Run(t, bin, "ctl", "verify", "--api", dp.apiAddrs[d], "--timeout", "20s")
			if err != nil {
				return fmt.Errorf("ctl verify through %s: %v: %s%s", dcName(d), err, out, errOut)
			}
			for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
				f := strings.Fields(line)
				if len(f) < 5 || (f[0] != "hashsp" && f[0] != "hashpo") {
					continue // the summary
				}
				key, got := f[0]+" "+f[1], f[2]+" "+f[4]
				if want, ok := seen[key]; ok && want != got {
					if strings.Fields(want)[0] == f[2] {
						t.Fatalf("%s: cluster %s has digest %s at index %s, another cluster %s", key, dcName(d), f[4], f[2], want)
					}
					return fmt.Errorf("%s: clusters at different indexes: %s and %s", key, want, got)
				}
				seen[key] = got
			}
		}
		if len(seen) == 0 {
			return fmt.Errorf("ctl verify listed no ranges")
		}
		return nil
	})
	for key, at := range seen {
		t.Logf("ctl verify: %s agrees in all %d clusters (index and digest %s)", key, len(dp.apiAddrs), at)
	}
}
