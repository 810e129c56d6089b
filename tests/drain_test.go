package tests

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/tests/harness"
)

// fanoutCounters reads the API server's fanout counters from /metrics.
func fanoutCounters(t *testing.T, httpAddr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 || !strings.HasPrefix(fields[0], "akutan_fanout_") || !strings.HasSuffix(fields[0], "_total") {
			continue
		}
		if v, err := strconv.ParseFloat(fields[1], 64); err == nil {
			out[fields[0]] = v
		}
	}
	if _, ok := out["akutan_fanout_retries_total"]; !ok {
		t.Fatalf("%s/metrics has no akutan_fanout_retries_total", httpAddr)
	}
	return out
}

// TestDrainedViewsStopWithoutRetry (issue 13 item 7): `ctl drain` one
// replica of two partitions, then kill -9 them while queries run from 4
// clients: no query fails, and the API server starts no retry and sees no
// failed view call; killing an undrained one does (the control). Then the
// draining mark shows in status, and --undo clears it.
func TestDrainedViewsStopWithoutRetry(t *testing.T) {
	harness.SkipIfShort(t)
	// views: 0,1 hashsp 1/2; 2,3 hashsp 2/2; 4,5 hashpo 1/2; 6,7 hashpo 2/2.
	c := startFanoutCluster(t, [][]string{nil}, twoReplicasOfEveryRange()...)
	tsv, _ := fanoutData()
	c.insert(tsv)
	api := c.apis[0]
	victims := []int{0, 6}
	for _, i := range victims {
		out := akutan(t, "ctl", "drain", "--api", api.grpc, "--view", c.views[i].grpc)
		if !strings.Contains(out, "is draining") || !strings.Contains(out, "all 1 API servers see it draining") {
			t.Fatalf("ctl drain printed:\n%s", out)
		}
		t.Logf("ctl drain: %s", strings.TrimSpace(out))
	}
	// A draining view is no copy for --wait covered, and is named.
	_, errOut, err := harness.Run(t, bin, "status", "--api", api.grpc, "--wait", "covered",
		"--space", "hashsp", "--partitions", "2", "--replicas", "2", "--timeout", "1s")
	if err == nil || !strings.Contains(errOut, "hashsp partition 1/2") || !strings.Contains(errOut, "draining)") ||
		strings.Contains(errOut, "partition 2/2") {
		t.Fatalf("--wait covered with a draining view: err %v\nstderr: %s", err, errOut)
	}
	before := fanoutCounters(t, api.http)
	const n = 600
	var killers sync.WaitGroup
	start := time.Now()
	failures := runQueries(api.http, fanoutQueries(), n, 4, func(done int64) {
		if done == n/5 {
			for _, i := range victims {
				killers.Add(1)
				go func() { defer killers.Done(); c.views[i].proc.Kill() }()
			}
		}
	})
	killers.Wait()
	after := fanoutCounters(t, api.http)
	t.Logf("%d queries in %v; fanout counters before %v, after %v", n, time.Since(start), before, after)
	checkNoFailures(t, failures, n)
	for _, name := range []string{"akutan_fanout_retries_total", "akutan_fanout_rpc_failures_total"} {
		if d := after[name] - before[name]; d != 0 {
			t.Errorf("%s rose by %v while the drained views were killed", name, d)
		}
	}
	if after["akutan_fanout_rpcs_total"]-before["akutan_fanout_rpcs_total"] < n {
		t.Errorf("fewer view calls than queries: the load did not run")
	}
	for _, i := range victims {
		if c.views[i].proc.Running() {
			t.Fatalf("view %d still runs", i)
		}
	}
	// The control: killing a replica that was not drained does show in
	// the counters checked above (gossip takes seconds to notice a kill
	// -9): calls to it fail, and are retried unless a hedge to the other
	// replica was already running (the failed call may be the hedge).
	before = after
	failures = runQueries(api.http, fanoutQueries(), n, 4, func(done int64) {
		if done == n/5 {
			killers.Add(1)
			go func() { defer killers.Done(); c.views[3].proc.Kill() }()
		}
	})
	killers.Wait()
	after = fanoutCounters(t, api.http)
	t.Logf("control, an undrained view killed: %d queries, retries %v, failed view calls %v", n,
		after["akutan_fanout_retries_total"]-before["akutan_fanout_retries_total"],
		after["akutan_fanout_rpc_failures_total"]-before["akutan_fanout_rpc_failures_total"])
	checkNoFailures(t, failures, n)
	if after["akutan_fanout_retries_total"] == before["akutan_fanout_retries_total"] &&
		after["akutan_fanout_rpc_failures_total"] == before["akutan_fanout_rpc_failures_total"] {
		t.Errorf("killing an undrained view under load cost no retry and no failed view call: the check above proves nothing")
	}
	// Undo: the mark goes away everywhere.
	out := akutan(t, "ctl", "drain", "--api", api.grpc, "--view", c.views[2].grpc)
	if !strings.Contains(out, "all 1 API servers see it draining") {
		t.Fatalf("ctl drain printed:\n%s", out)
	}
	if out := akutan(t, "status", "--api", api.grpc); !strings.Contains(out, "(1 draining)") {
		t.Errorf("status does not show the draining view:\n%s", out)
	}
	out = akutan(t, "ctl", "drain", "--undo", "--api", api.grpc, "--view", c.views[2].grpc)
	if !strings.Contains(out, "is no longer draining") || !strings.Contains(out, "all 1 API servers see it no longer draining") {
		t.Fatalf("ctl drain --undo printed:\n%s", out)
	}
	if out := akutan(t, "status", "--api", api.grpc); strings.Contains(out, "draining") {
		t.Errorf("status still shows a draining view after --undo:\n%s", out)
	}
}
