package tests

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
)

// Gossip keys (base64 of 16 bytes) and the cluster name of the status
// tests' clusters.
const (
	statusKey      = "MDEyMzQ1Njc4OWFiY2RlZg==" // "0123456789abcdef"
	statusWrongKey = "ZmVkY2JhOTg3NjU0MzIxMA==" // "fedcba9876543210"
	statusCluster  = "statustest"
)

// upperHalf is partition 2/2 of a space, as status names it.
const upperHalf = "0x8000000000000000-0xffffffffffffffff"

// statusJSON runs `akutan status --json` and decodes it, checking that the
// documented top-level keys are there.
func statusJSON(t *testing.T, api string) health.Report {
	t.Helper()
	rep, err := tryStatusJSON(t, api)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func tryStatusJSON(t *testing.T, api string) (health.Report, error) {
	var rep health.Report
	out, errOut, err := harness.Run(t, bin, "status", "--api", api, "--json", "--timeout", "10s")
	if err != nil {
		return rep, fmt.Errorf("akutan status: %v: %s", err, errOut)
	}
	return rep, decodeStatus([]byte(out), &rep)
}

func decodeStatus(doc []byte, rep *health.Report) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(doc, &keys); err != nil {
		return fmt.Errorf("status is not JSON: %v: %s", err, doc)
	}
	for _, k := range []string{"healthy", "fully_available", "uncovered", "reasons", "log", "spaces", "views", "apis"} {
		if _, ok := keys[k]; !ok {
			return fmt.Errorf("status has no %q: %s", k, doc)
		}
	}
	return json.Unmarshal(doc, rep)
}

func TestStatusLocal(t *testing.T) {
	harness.SkipIfShort(t)
	_, api, httpAddr := startLocal(t, filepath.Join(t.TempDir(), "data"))
	var rep health.Report
	// Queries work once one replica of each range serves; wait for all 8.
	testutil.Eventually(t, 15*time.Second, 250*time.Millisecond, func() error {
		var err error
		if rep, err = tryStatusJSON(t, api); err != nil {
			return err
		}
		if n := upToDate(rep.Views); n != 8 {
			return fmt.Errorf("%d views up to date, want 8: %+v", n, rep.Views)
		}
		// The log replicas gossip in the same pool, as in production.
		if n := len(rep.Log.Servers); n != 3 {
			return fmt.Errorf("%d log replicas in gossip, want 3: %+v", n, rep.Log.Servers)
		}
		return nil
	})
	// 2 copies of each partition and 1 API server: available, not healthy.
	if rep.Healthy || !rep.FullyAvailable || len(rep.Uncovered) != 0 {
		t.Fatalf("healthy=%v fully_available=%v uncovered=%v; want false, true, none; reasons %q",
			rep.Healthy, rep.FullyAvailable, rep.Uncovered, rep.Reasons)
	}
	if len(rep.Views) != 8 || len(rep.APIs) != 1 || len(rep.Log.Replicas) != 3 || !rep.Log.Available {
		t.Fatalf("views %d, apis %d, log %+v", len(rep.Views), len(rep.APIs), rep.Log)
	}
	for _, s := range rep.Spaces {
		if s.MinUpToDate != 2 {
			t.Errorf("%s: min %d up to date, want 2: %+v", s.Space, s.MinUpToDate, s.Ranges)
		}
	}
	var viaHTTP health.Report
	if err := decodeStatus(httpGet(t, "http://"+httpAddr+"/v1/status"), &viaHTTP); err != nil {
		t.Fatal(err)
	}
	if viaHTTP.Verdict != health.VerdictAvailable || len(viaHTTP.Views) != 8 {
		t.Errorf("GET /v1/status: verdict %q, %d views", viaHTTP.Verdict, len(viaHTTP.Views))
	}
	if out := akutan(t, "status", "--api", api); !strings.Contains(out, "verdict: fully available, not healthy") ||
		strings.Count(out, "  gossip: log-127.0.0.1:") != 3 {
		t.Errorf("text status lacks the verdict or the 3 log replicas in gossip:\n%s", out)
	}
	akutan(t, "status", "--api", api, "--wait", "available", "--timeout", "10s")
	// A local cluster can never be healthy: the wait must fail, and say why.
	_, errOut, err := harness.Run(t, bin, "status", "--api", api, "--wait", "healthy", "--timeout", "2s")
	if err == nil || !strings.Contains(errOut, "timed out waiting for the cluster to be healthy") ||
		!strings.Contains(errOut, "1 API server up; healthy needs 3") {
		t.Errorf("--wait healthy: err %v, stderr %s", err, errOut)
	}
}

func upToDate(views []health.View) int {
	n := 0
	for _, v := range views {
		if v.Status == health.ViewUpToDate {
			n++
		}
	}
	return n
}

// waitViewsUpToDate waits until status through api counts n views up to
// date.
func waitViewsUpToDate(t *testing.T, api string, n int) {
	t.Helper()
	testutil.Eventually(t, 60*time.Second, 250*time.Millisecond, func() error {
		rep, err := tryStatusJSON(t, api)
		if err != nil {
			return err
		}
		if got := upToDate(rep.Views); got != n {
			return fmt.Errorf("%d views up to date, want %d", got, n)
		}
		return nil
	})
}

func httpGet(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, %v: %s", url, resp.Status, err, body)
	}
	return body
}

// statusClusterProcs is a multi-process cluster whose every server gossips
// in one encrypted, labelled pool.
type statusClusterProcs struct {
	logs    []*harness.Process
	views   map[string]*harness.Process // by name, e.g. hashpo-2-r1
	api     *harness.Process
	apiAddr string
	apiHTTP string // the API's HTTP address
	seed    string // the API's gossip address, which everyone joins
	logList string
}

// gossipArgs are the flags of a server in the pool.
func gossipArgs(addr, join, key string) []string {
	return []string{"--cluster", statusCluster, "--gossip-key", key, "--gossip-addr", addr, "--gossip-join", join}
}

// startStatusCluster starts 3 log replicas, hashsp in 2 partitions x 1
// replica, hashpo in 2 partitions x 2 replicas, and one API server.
func startStatusCluster(t *testing.T) *statusClusterProcs {
	t.Helper()
	dir := t.TempDir()
	addrs := harness.FreeAddrs(t, 9+12+3)
	c := &statusClusterProcs{views: map[string]*harness.Process{}, apiAddr: addrs[21], apiHTTP: addrs[22], seed: addrs[23]}
	c.logList = strings.Join(addrs[3:6], ",")
	members := fmt.Sprintf("1=%s,2=%s,3=%s", addrs[0], addrs[1], addrs[2])
	for i := range 3 {
		args := append([]string{"log", "--id", fmt.Sprint(i + 1), "--dir", filepath.Join(dir, fmt.Sprintf("log-%d", i+1)),
			"--raft-addr", addrs[i], "--grpc-addr", addrs[3+i], "--initial-members", members},
			gossipArgs(addrs[6+i], c.seed, statusKey)...)
		c.logs = append(c.logs, harness.Start(t, bin, fmt.Sprintf("log-%d", i+1), args...))
	}
	next := 9
	for _, v := range []struct{ space, partition, replica string }{
		{"hashsp", "1", "1"}, {"hashsp", "2", "1"},
		{"hashpo", "1", "1"}, {"hashpo", "1", "2"}, {"hashpo", "2", "1"}, {"hashpo", "2", "2"},
	} {
		name := fmt.Sprintf("%s-%s-r%s", v.space, v.partition, v.replica)
		args := append([]string{"view", "--space", v.space, "--partition", v.partition + "/2",
			"--dir", filepath.Join(dir, name), "--grpc-addr", addrs[next], "--log", c.logList},
			gossipArgs(addrs[next+1], c.seed, statusKey)...)
		c.views[name] = harness.Start(t, bin, name, args...)
		next += 2
	}
	c.api = harness.Start(t, bin, "api", append([]string{"api", "--grpc-addr", c.apiAddr, "--http-addr", c.apiHTTP,
		"--log", c.logList}, gossipArgs(c.seed, addrs[6], statusKey)...)...)
	return c
}

// startExtraAPI starts another API server joining the pool with key.
func (c *statusClusterProcs) startExtraAPI(t *testing.T, name, key string, extra ...string) *harness.Process {
	addrs := harness.FreeAddrs(t, 2)
	args := append([]string{"api", "--grpc-addr", addrs[0], "--log", c.logList}, gossipArgs(addrs[1], c.seed, key)...)
	return harness.Start(t, bin, name, append(args, extra...)...)
}

func TestStatusMultiProcess(t *testing.T) {
	harness.SkipIfShort(t)
	c := startStatusCluster(t)
	// Waiting tolerates an API server that is not up yet.
	akutan(t, "status", "--api", c.apiAddr, "--wait", "available", "--timeout", "60s")
	var rep health.Report
	// Available needs only one view per range and no log server in gossip:
	// the others may still be joining or booting.
	testutil.Eventually(t, 15*time.Second, 250*time.Millisecond, func() error {
		var err error
		if rep, err = tryStatusJSON(t, c.apiAddr); err != nil {
			return err
		}
		if rep.Healthy || !rep.FullyAvailable || upToDate(rep.Views) != 6 || len(rep.Log.Servers) != 3 {
			return fmt.Errorf("healthy=%v fully_available=%v, %d views up to date, %d log servers in gossip; reasons %q",
				rep.Healthy, rep.FullyAvailable, upToDate(rep.Views), len(rep.Log.Servers), rep.Reasons)
		}
		return nil
	})
	if rep.Spaces[0].MinUpToDate != 1 || rep.Spaces[1].MinUpToDate != 2 {
		t.Fatalf("spaces %+v: want hashsp covered once, hashpo twice", rep.Spaces)
	}
	t.Run("WaitCovered", func(t *testing.T) { testWaitCovered(t, c) })
	t.Run("LogAdvertisesAppliedIndex", func(t *testing.T) { testLogAdvertises(t, c) })
	t.Run("GossipPools", func(t *testing.T) { testGossipPools(t, c) })
	t.Run("KilledPartition", func(t *testing.T) { testKilledPartition(t, c) })
}

// testWaitCovered waits for the partitionings the cluster has (hashsp
// 2 x 1, hashpo 2 x 2) and for one it lacks (hashsp 2 x 3), which must time
// out naming both partitions.
func testWaitCovered(t *testing.T, c *statusClusterProcs) {
	for _, want := range [][]string{
		{"--space", "hashsp", "--partitions", "2", "--replicas", "1"},
		{"--cluster", statusCluster, "--space", "hashpo", "--partitions", "2", "--replicas", "2"},
	} {
		args := append([]string{"status", "--api", c.apiAddr, "--wait", "covered", "--timeout", "20s"}, want...)
		if out := akutan(t, args...); !strings.Contains(out, "verdict:") {
			t.Errorf("akutan %s printed no status:\n%s", strings.Join(args, " "), out)
		}
	}
	began := time.Now()
	_, errOut, err := harness.Run(t, bin, "status", "--api", c.apiAddr, "--wait", "covered",
		"--space", "hashsp", "--partitions", "2", "--replicas", "3", "--timeout", "2s")
	if err == nil || !strings.Contains(errOut, "timed out waiting for the cluster to be covered by hashsp in 2 partitions x 3 replicas") ||
		!strings.Contains(errOut, "hashsp partition 1/2 (0x0000000000000000-0x7fffffffffffffff): 1 of 3 up-to-date views") ||
		!strings.Contains(errOut, "hashsp partition 2/2 ("+upperHalf+"): 1 of 3 up-to-date views") {
		t.Errorf("--wait covered --replicas 3: err %v\nstderr: %s", err, errOut)
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("--timeout 2s took %v", took)
	}
	// A 4-way partitioning is not covered by 2-way views.
	_, errOut, err = harness.Run(t, bin, "status", "--api", c.apiAddr, "--wait", "covered",
		"--space", "hashsp", "--partitions", "4", "--timeout", "1s")
	if err == nil || !strings.Contains(errOut, "hashsp partition 4/4") {
		t.Errorf("--wait covered --partitions 4: err %v\nstderr: %s", err, errOut)
	}
	_, errOut, err = harness.Run(t, bin, "status", "--api", c.apiAddr, "--wait", "covered", "--partitions", "2")
	if err == nil || !strings.Contains(errOut, "--wait covered needs --space and --partitions") {
		t.Errorf("--wait covered without --space: err %v\nstderr: %s", err, errOut)
	}
}

// testLogAdvertises inserts, then expects every log server's advertised
// applied index, and every view's, to reach the insert's index.
func testLogAdvertises(t *testing.T, c *statusClusterProcs) {
	akutan(t, "insert", "--api", c.apiAddr, testdata("example_data.tsv"))
	index := statusJSON(t, c.apiAddr).Log.LastIndex
	if index == 0 {
		t.Fatal("the log is still empty after an insert")
	}
	testutil.Eventually(t, 10*time.Second, 250*time.Millisecond, func() error {
		rep, err := tryStatusJSON(t, c.apiAddr)
		if err != nil {
			return err
		}
		for _, s := range append(rep.Log.Servers, nodes(rep.Views)...) {
			if s.AppliedIndex < index {
				return fmt.Errorf("%s advertises applied index %d, want >= %d", s.Name, s.AppliedIndex, index)
			}
		}
		if rep.ReferenceIndex < index {
			return fmt.Errorf("reference index %d < %d", rep.ReferenceIndex, index)
		}
		return nil
	})
}

func nodes(views []health.View) []health.Node {
	out := make([]health.Node, len(views))
	for i, v := range views {
		out[i] = v.Node
	}
	return out
}

// testGossipPools checks end to end that servers with a wrong key or label
// are refused, with log lines saying so, and that a server that stops
// gracefully leaves at once.
func testGossipPools(t *testing.T, c *statusClusterProcs) {
	wrongKey := c.startExtraAPI(t, "api-wrong-key", statusWrongKey)
	wrongLabel := c.startExtraAPI(t, "api-wrong-label", statusKey, "--cluster", "other")
	good := c.startExtraAPI(t, "api-good", statusKey)
	testutil.Eventually(t, 15*time.Second, 250*time.Millisecond, func() error {
		for _, p := range []*harness.Process{wrongKey, wrongLabel} {
			if !strings.Contains(p.Output(), "--cluster label or --gossip-key") {
				return fmt.Errorf("%s did not say why it cannot join", p.LogPath())
			}
		}
		if !strings.Contains(c.api.Output(), "refusing to talk to a node of another pool") {
			return fmt.Errorf("the cluster's API did not log the refusal")
		}
		return apiCount(t, c.apiAddr, 2)
	})
	wrongKey.Kill()
	wrongLabel.Kill()
	began := time.Now()
	if err := good.Stop(); err != nil { // SIGINT: it leaves gossip as it stops
		t.Fatalf("stopping an API server: %v", err)
	}
	// Well under failure detection: the departure is announced.
	testutil.Eventually(t, 3*time.Second, 100*time.Millisecond, func() error { return apiCount(t, c.apiAddr, 1) })
	t.Logf("a stopped API server was gone from the pool %v after SIGINT", time.Since(began))
}

func apiCount(t *testing.T, api string, want int) error {
	rep, err := tryStatusJSON(t, api)
	if err != nil {
		return err
	}
	if len(rep.APIs) != want {
		return fmt.Errorf("%d API servers in the pool, want %d: %+v", len(rep.APIs), want, rep.APIs)
	}
	return nil
}

// testKilledPartition kills -9 both replicas of hashpo's upper half: the
// status must name that range as uncovered within 10 s, gossip must drop
// them, and waiting for availability must fail.
func testKilledPartition(t *testing.T, c *statusClusterProcs) {
	began := time.Now()
	c.views["hashpo-2-r1"].Kill()
	c.views["hashpo-2-r2"].Kill()
	want := health.RangeRef{Space: "hashpo", Range: upperHalf}
	testutil.Eventually(t, 10*time.Second, 250*time.Millisecond, func() error {
		rep, err := tryStatusJSON(t, c.apiAddr)
		if err != nil {
			return err
		}
		if rep.FullyAvailable || !slices.Equal(rep.Uncovered, []health.RangeRef{want}) {
			return fmt.Errorf("fully_available=%v uncovered=%v", rep.FullyAvailable, rep.Uncovered)
		}
		return nil
	})
	t.Logf("the uncovered range was reported %v after kill -9", time.Since(began))
	// Gossip, too, notices the crashes within seconds (see gossip/config.go).
	testutil.Eventually(t, 12*time.Second, 250*time.Millisecond, func() error {
		rep, err := tryStatusJSON(t, c.apiAddr)
		if err != nil {
			return err
		}
		if len(rep.Views) != 4 {
			return fmt.Errorf("%d views in gossip, want 4: %+v", len(rep.Views), rep.Views)
		}
		return nil
	})
	t.Logf("gossip dropped the killed views %v after kill -9", time.Since(began))
	out, errOut, err := harness.Run(t, bin, "status", "--api", c.apiAddr, "--wait", "available", "--timeout", "2s")
	if err == nil || !strings.Contains(errOut, "timed out waiting for the cluster to be available") ||
		!strings.Contains(errOut, "hashpo "+upperHalf+" has no up-to-date view") {
		t.Fatalf("--wait available on an unavailable cluster: err %v\nstderr: %s", err, errOut)
	}
	if !strings.Contains(out, "verdict: UNAVAILABLE") || !strings.Contains(out, upperHalf+"  0 up to date of 0 views  UNCOVERED") {
		t.Errorf("the last status printed lacks the verdict or the range:\n%s", out)
	}
}
