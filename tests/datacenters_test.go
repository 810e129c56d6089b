package tests

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
)

// TestStatusPerDatacenter runs a database over three datacenters as
// control_plane.md draws it: 3 log replicas, one per --dc, and per
// datacenter its own Akutan cluster (--cluster dcN, its own gossip pool)
// of one API server and one view per space. Every API server judges its
// own cluster (not healthy: one view per range, one API server) with
// reasons; after kill -9 of log replica 3 its status shows that replica
// down (up: false, dc3) within 30 s and names it in the cluster's reasons.
func TestStatusPerDatacenter(t *testing.T) {
	harness.SkipIfShort(t)
	lp := startLogProcs(t, 3, func(i int) []string { return []string{"--dc", fmt.Sprintf("dc%d", i+1)} })
	dir := t.TempDir()
	apis := make([]string, 3)
	for d := range 3 {
		dc := fmt.Sprintf("dc%d", d+1)
		addrs := harness.FreeAddrs(t, 6)
		apis[d] = addrs[0]
		seed := addrs[1]
		harness.Start(t, bin, "api-"+dc, "api", "--dc", dc, "--cluster", dc, "--grpc-addr", apis[d],
			"--log", lp.list(), "--gossip-addr", seed)
		for i, sp := range []string{"hashsp", "hashpo"} {
			harness.Start(t, bin, "view-"+dc+"-"+sp, "view", "--dc", dc, "--cluster", dc, "--space", sp, "--partition", "1/1",
				"--dir", filepath.Join(dir, dc+"-"+sp), "--grpc-addr", addrs[2+2*i], "--log", lp.list(),
				"--gossip-addr", addrs[3+2*i], "--gossip-join", seed)
		}
	}
	for _, api := range apis {
		waitForQuery(t, api)
	}

	for d, api := range apis {
		dc := fmt.Sprintf("dc%d", d+1)
		var rep health.Report
		testutil.Eventually(t, 20*time.Second, 250*time.Millisecond, func() error {
			var err error
			if rep, err = tryStatusJSON(t, api); err != nil {
				return err
			}
			if len(rep.Clusters) != 1 || len(rep.Clusters[0].Views) != 2 || upToDate(rep.Clusters[0].Views) != 2 {
				return fmt.Errorf("the %s API judges clusters %+v, want only %s with 2 up-to-date views", dc, rep.Clusters, dc)
			}
			if n := upReplicas(rep.Log.Replicas); n != 3 {
				return fmt.Errorf("%d log replicas up, want 3: %+v", n, rep.Log.Replicas)
			}
			return nil
		})
		c := rep.Clusters[0]
		if c.Name != dc || c.DC != dc || c.Healthy || !c.FullyAvailable || len(c.APIs) != 1 ||
			!slices.Contains(c.Reasons, "1 API server up; healthy needs 3") {
			t.Errorf("the %s API: cluster %s dc %s healthy %v fully available %v, %d APIs, reasons %q",
				dc, c.Name, c.DC, c.Healthy, c.FullyAvailable, len(c.APIs), c.Reasons)
		}
		if rep.Healthy || !rep.FullyAvailable {
			t.Errorf("the %s API: the database healthy %v fully available %v", dc, rep.Healthy, rep.FullyAvailable)
		}
		for _, r := range rep.Log.Replicas {
			if want := fmt.Sprintf("dc%d", r.ID); r.DC != want {
				t.Errorf("log replica %d in %q, want %q", r.ID, r.DC, want)
			}
		}
	}

	// Text: the log, then one block for the cluster; --cluster narrows it,
	// and names the clusters this API server can judge when asked for another.
	out := akutan(t, "status", "--api", apis[0], "--cluster", "dc1")
	for _, want := range []string{"replica 3  raft ", "  dc dc3", "== cluster dc1 ==", "verdict: fully available, not healthy"} {
		if !strings.Contains(out, want) {
			t.Errorf("status --cluster dc1 lacks %q:\n%s", want, out)
		}
	}
	if _, errOut, err := harness.Run(t, bin, "status", "--api", apis[0], "--cluster", "dc2"); err == nil ||
		!strings.Contains(errOut, `sees no server of cluster "dc2" (it judges: dc1)`) {
		t.Errorf("status --cluster dc2 from the dc1 API: %v: %s", err, errOut)
	}
	akutan(t, "status", "--api", apis[0], "--cluster", "dc1", "--wait", "available", "--timeout", "10s")
	if _, errOut, err := harness.Run(t, bin, "status", "--api", apis[0], "--cluster", "dc1", "--wait", "healthy", "--timeout", "2s"); err == nil ||
		!strings.Contains(errOut, "timed out waiting for the cluster to be healthy (cluster dc1)") {
		t.Errorf("--wait healthy --cluster dc1: %v: %s", err, errOut)
	}

	lp.procs[2].Kill()
	killed := time.Now()
	testutil.Eventually(t, 30*time.Second, 500*time.Millisecond, func() error {
		rep, err := tryStatusJSON(t, apis[0])
		if err != nil {
			return err
		}
		i := slices.IndexFunc(rep.Log.Replicas, func(r health.LogReplica) bool { return r.ID == 3 })
		if i < 0 || rep.Log.Replicas[i].Up || rep.Log.Replicas[i].DC != "dc3" {
			return fmt.Errorf("log replica 3 not reported down in dc3: %+v", rep.Log.Replicas)
		}
		reason := "log replica 3 in dc dc3 (" + lp.grpc[2] + ") is down"
		if len(rep.Clusters) != 1 || !slices.ContainsFunc(rep.Clusters[0].Reasons, func(r string) bool { return strings.HasPrefix(r, reason) }) {
			return fmt.Errorf("cluster reasons do not name log replica 3: %+v", rep.Clusters)
		}
		return nil
	})
	t.Logf("log replica 3 reported down %v after kill -9", time.Since(killed).Round(100*time.Millisecond))
}

func upReplicas(replicas []health.LogReplica) int {
	n := 0
	for _, r := range replicas {
		if r.Up {
			n++
		}
	}
	return n
}
