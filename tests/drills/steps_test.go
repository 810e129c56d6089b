package drills

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
)

// The steps drills are built from: the commands of docs/operations.md
// (`akutan status --wait`, `akutan ctl drain`, ...) run against one
// datacenter's cluster, and the checks every drill ends with.

// spaces are the spaces of a deployment, in the order of deployment.views.
var spaces = []string{"hashsp", "hashpo"}

// startLoaded starts a deployment, waits until every cluster is fully
// available with every log replica up, starts the load and waits for its
// first 50 acknowledged writes.
func startLoaded(t *testing.T) (*deployment, *load) {
	t.Helper()
	dp := startDeployment(t)
	waitAllUp(t, dp, 60*time.Second)
	l := startLoad(t, dp)
	l.waitMore(t, 50)
	return dp, l
}

// waitAllUp waits until every cluster is fully available (in the status
// from its own API server) and shows all 3 log replicas up: what the
// drills call healthy, since one view per range and one API server per
// cluster are never "healthy" by control_plane.md's count of three.
func waitAllUp(t *testing.T, dp *deployment, timeout time.Duration) {
	t.Helper()
	waitEveryCluster(t, dp, timeout, "fully available with 3 log replicas up", func(rep health.Report) error {
		if n := upReplicas(rep); n != datacenters {
			return fmt.Errorf("%d log replicas up", n)
		}
		return nil
	})
}

// finish stops the load, checks that every acknowledged write is readable
// through every cluster, reports the drill's figures and checks that
// `ctl verify` agrees within and across the clusters.
func finish(t *testing.T, dp *deployment, l *load, name string, healthy time.Duration) {
	t.Helper()
	l.stop()
	lost := l.lost(t, dp)
	l.report(t, name, lost, healthy)
	if slices.ContainsFunc(lost, func(n int) bool { return n > 0 }) {
		t.Errorf("acknowledged writes lost, per cluster: %v", lost)
	}
	verifyAcrossClusters(t, dp)
}

// all returns every process of the deployment's initial layout.
func (dp *deployment) all() []*harness.Process {
	ps := append([]*harness.Process(nil), dp.logs...)
	ps = append(ps, dp.apiProcs...)
	for _, vs := range dp.views {
		ps = append(ps, vs...)
	}
	return ps
}

// killAll kills (kill -9) the processes at once and waits for them to exit.
func killAll(ps []*harness.Process) {
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() { defer wg.Done(); p.Kill() }()
	}
	wg.Wait()
}

// seeds returns the gossip seeds of datacenter d's cluster: the gossip
// addresses of its first API server and views.
func (dp *deployment) seeds(d int) string {
	return strings.Join(append([]string{dp.apiGossip[d]}, dp.viewGoss[d]...), ",")
}

// startView starts a new view in datacenter d's cluster, with an empty
// directory under the deployment's, joining the cluster's gossip through
// its seeds. It returns the process and its gRPC address.
func (dp *deployment) startView(t *testing.T, d int, name, space, partition string, extra ...string) (*harness.Process, string) {
	t.Helper()
	return dp.startViewWith(t, bin, d, name, space, partition, extra...)
}

// startViewWith is startView running binary.
func (dp *deployment) startViewWith(t *testing.T, binary string, d int, name, space, partition string, extra ...string) (*harness.Process, string) {
	t.Helper()
	dc := dcName(d)
	a := harness.FreeAddrs(t, 2)
	args := append([]string{"view", "--dc", dc, "--cluster", dc, "--space", space, "--partition", partition,
		"--dir", filepath.Join(dp.dir, dc+"-"+name), "--grpc-addr", a[0], "--log", dp.logList,
		"--gossip-addr", a[1], "--gossip-join", dp.seeds(d)}, extra...)
	return harness.Start(t, binary, "view-"+dc+"-"+name, args...), a[0]
}

// waitCovered runs `akutan status --wait covered` for datacenter d's
// cluster: space served in partitions partitions, each by replicas
// up-to-date views of exactly that range. It returns how long that took.
func (dp *deployment) waitCovered(t *testing.T, d int, space string, partitions, replicas int) time.Duration {
	t.Helper()
	start := time.Now()
	_, errOut, err := harness.Run(t, bin, "status", "--api", dp.apiAddrs[d], "--cluster", dcName(d), "--wait", "covered",
		"--space", space, "--partitions", fmt.Sprint(partitions), "--replicas", fmt.Sprint(replicas), "--timeout", "50s")
	if err != nil {
		t.Fatalf("cluster %s: %s in %d partitions x %d: %v\n%s", dcName(d), space, partitions, replicas, err, errOut)
	}
	took := time.Since(start)
	t.Logf("cluster %s: %s covered in %d partitions x %d replicas after %v", dcName(d), space, partitions, replicas,
		took.Round(100*time.Millisecond))
	return took
}

// waitAvailable runs `akutan status --wait available` for datacenter d's
// cluster and returns how long that took.
func (dp *deployment) waitAvailable(t *testing.T, d int) time.Duration {
	t.Helper()
	start := time.Now()
	var err error
	var errOut string
	// The API server may itself be starting: retry until it answers.
	testutil.Eventually(t, 60*time.Second, 250*time.Millisecond, func() error {
		_, errOut, err = harness.Run(t, bin, "status", "--api", dp.apiAddrs[d], "--cluster", dcName(d),
			"--wait", "available", "--timeout", "30s")
		if err != nil {
			return fmt.Errorf("cluster %s not fully available: %v\n%s", dcName(d), err, errOut)
		}
		return nil
	})
	return time.Since(start)
}

// drain runs `akutan ctl drain` for the view at addr through datacenter
// d's API server.
func (dp *deployment) drain(t *testing.T, d int, addr string) {
	t.Helper()
	out, errOut, err := harness.Run(t, bin, "ctl", "drain", "--api", dp.apiAddrs[d], "--view", addr)
	if err != nil || !strings.Contains(out, "is draining") {
		t.Fatalf("ctl drain --view %s: %v\n%s%s", addr, err, out, errOut)
	}
}

// stop stops p gracefully (SIGINT), failing the test if it does not exit
// cleanly.
func stop(t *testing.T, p *harness.Process) {
	t.Helper()
	if err := p.Stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}
}

// bootedFromPeers fails the test unless the view's output shows that it
// loaded its store from peers.
func bootedFromPeers(t *testing.T, p *harness.Process) {
	t.Helper()
	testutil.Eventually(t, 30*time.Second, 250*time.Millisecond, func() error {
		if !strings.Contains(p.Output(), "loaded from peers") {
			return fmt.Errorf("the new view did not boot from peers; its output:\n%s", p.Output())
		}
		return nil
	})
}

// longest keeps the longest of the times a drill's steps took to heal.
type longest time.Duration

func (m *longest) add(d time.Duration) {
	if d > time.Duration(*m) {
		*m = longest(d)
	}
}

// failuresOutside returns the failed queries not made through datacenter
// d's API server.
func (l *load) failuresOutside(d int) []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []error
	for _, err := range l.failedQueries {
		if !strings.HasPrefix(err.Error(), dcName(d)+":") {
			out = append(out, err)
		}
	}
	return out
}

// ackedBy counts the acknowledged writes of datacenter d's writer.
func (l *load) ackedBy(d int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for v := range l.acked {
		if v/1_000_000 == d {
			n++
		}
	}
	return n
}

// failedQueryCount returns how many queries have failed so far.
func (l *load) failedQueryCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.failedQueries)
}

// howBooted says how a view filled its empty store, from its output.
func howBooted(p *harness.Process) string {
	out := p.Output()
	switch {
	case strings.Contains(out, "loaded from peers"):
		return "loaded from peers"
	case strings.Contains(out, "replaying the log"):
		return "replayed the log"
	}
	return "not booted yet"
}
