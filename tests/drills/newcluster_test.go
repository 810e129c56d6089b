package drills

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
	"github.com/akutan-dev/akutan/wire"
)

// TestDrillNewClusterForExistingDatabase drills "provision new clusters
// for an existing Akutan database": under load, every cluster registers
// as its floor what its views hold, and the log is truncated (ctl log
// truncate --auto), so that it no longer starts at index 1. A new cluster
// dc4 (an API server and one view per space, empty directories, in a
// fourth datacenter with no log replica) is then started with its views
// told to boot from cluster dc1 (--boot-from-cluster dc1, --boot-seed: a
// dc1 API server that is down, then one that is up). Its views must load
// from dc1's views, say so in their logs, and serve; every acknowledged
// write, and the facts written before the truncation, must be readable
// through dc4; the same queries must answer identically through dc1 and
// dc4; and `ctl verify` must agree within and across all four clusters.
func TestDrillNewClusterForExistingDatabase(t *testing.T) {
	harness.SkipIfShort(t)
	dp := startDeployment(t)
	waitEveryCluster(t, dp, 60*time.Second, "fully available", func(health.Report) error { return nil })
	l := startLoad(t, dp)
	l.waitMore(t, 50)

	first := truncateToFloors(t, dp)
	t.Logf("the log now starts at index %d", first)
	l.waitMore(t, 20)

	started := time.Now()
	views := startNewCluster(t, dp, "dc1", dp.apiAddrs[0])
	d := len(dp.apis) - 1
	testutil.Eventually(t, 60*time.Second, 250*time.Millisecond, func() error {
		rep, err := dp.status(t, d)
		if err != nil {
			return err
		}
		if len(rep.Clusters) != 1 || rep.Clusters[0].Name != dcName(d) || !rep.Clusters[0].FullyAvailable {
			return fmt.Errorf("the new cluster is not fully available yet: %+v", rep.Clusters)
		}
		return nil
	})
	booted := time.Since(started)
	t.Logf("new cluster %s fully available %v after its start", dcName(d), booted.Round(100*time.Millisecond))
	for _, v := range views {
		out := v.Output()
		i := strings.Index(out, "loaded from peers of cluster dc1")
		if i < 0 {
			t.Errorf("%s did not load from cluster dc1's views; its output:\n%s", v.LogPath(), out)
			continue
		}
		line, _, _ := strings.Cut(out[strings.LastIndexByte(out[:i], '\n')+1:], "\n")
		t.Logf("%s: %s", filepath.Base(v.LogPath()), line)
	}
	l.waitMore(t, 20)
	l.stop()

	lost := l.lost(t, dp)
	l.report(t, "new-cluster", lost, booted)
	if slices.ContainsFunc(lost, func(n int) bool { return n > 0 }) {
		t.Errorf("acknowledged writes lost, per cluster: %v", lost)
	}
	sameAnswers(t, dp, 0, d)
	verifyAcrossClusters(t, dp)
}

// truncateToFloors registers, for every cluster, the lowest index its
// views have applied as its floor (`ctl log floor`), once that is past the
// log's last index as of the call, then discards the log up to the lowest
// floor (`ctl log truncate --auto`), and returns the log's new first
// index, which must be past 1.
func truncateToFloors(t *testing.T, dp *deployment) uint64 {
	t.Helper()
	rep, err := dp.status(t, 0)
	if err != nil {
		t.Fatal(err)
	}
	target := rep.Log.LastIndex
	logList := strings.Join(dp.logGRPC, ",")
	for d := range datacenters {
		var floor uint64
		// Gossip shows applied indexes up to 500 ms late.
		testutil.Eventually(t, 30*time.Second, 250*time.Millisecond, func() error {
			rep, err := dp.status(t, d)
			if err != nil {
				return err
			}
			if len(rep.Clusters) != 1 || len(rep.Clusters[0].Views) == 0 {
				return fmt.Errorf("cluster %s: no views: %+v", dcName(d), rep.Clusters)
			}
			floor = rep.Clusters[0].Views[0].AppliedIndex
			for _, v := range rep.Clusters[0].Views {
				floor = min(floor, v.AppliedIndex)
			}
			if floor < target {
				return fmt.Errorf("cluster %s: its views hold the log up to %d, not yet %d", dcName(d), floor, target)
			}
			return nil
		})
		run(t, "ctl", "log", "floor", "--log", logList, "--cluster", dcName(d), "--index", fmt.Sprint(floor))
	}
	out := run(t, "ctl", "log", "truncate", "--log", logList, "--auto")
	m := regexp.MustCompile(`retains entries (\d+) to`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("ctl log truncate --auto: %s", out)
	}
	first, _ := strconv.ParseUint(m[1], 10, 64)
	if first <= 1 {
		t.Fatalf("the log still starts at index %d after ctl log truncate --auto", first)
	}
	return first
}

// run runs akutan with args and returns its output, failing the test if
// it fails.
func run(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := harness.Run(t, bin, args...)
	if err != nil {
		t.Fatalf("akutan %s: %v: %s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// startNewCluster starts the next datacenter's cluster, an API server and
// one view per space with empty directories, its views told to boot from
// cluster from through the API server at seed (after a seed that is
// down), and adds it to dp. It returns the views.
func startNewCluster(t *testing.T, dp *deployment, from, seed string) []*harness.Process {
	t.Helper()
	dc := dcName(len(dp.apis))
	logList := strings.Join(dp.logGRPC, ",")
	a := harness.FreeAddrs(t, 7)
	down := a[6] // nothing listens there
	harness.Start(t, bin, "api-"+dc, "api", "--dc", dc, "--cluster", dc, "--grpc-addr", a[0],
		"--log", logList, "--gossip-addr", a[1])
	var views []*harness.Process
	for i, sp := range []string{"hashsp", "hashpo"} {
		views = append(views, harness.Start(t, bin, "view-"+dc+"-"+sp, "view", "--dc", dc, "--cluster", dc, "--space", sp,
			"--partition", "1/1", "--dir", filepath.Join(dp.dir, dc+"-"+sp), "--grpc-addr", a[2+2*i],
			"--log", logList, "--gossip-addr", a[3+2*i], "--gossip-join", a[1],
			"--boot-from-cluster", from, "--boot-seed", down+","+seed))
	}
	conn, err := grpc.NewClient(a[0], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	dp.apiAddrs = append(dp.apiAddrs, a[0])
	dp.apis = append(dp.apis, wire.NewAPIClient(conn))
	return views
}

// sameAnswers runs the same queries through the API servers of clusters
// a and b (once the load has stopped and both have caught up) and
// requires identical answers, including the facts written before the
// log was truncated (the writers' -1).
func sameAnswers(t *testing.T, dp *deployment, a, b int) {
	t.Helper()
	queries := []string{
		"SELECT ?w ?n WHERE { ?w <drillWrote> ?n }",            // by predicate: hashpo
		"SELECT ?p ?n WHERE { <drill-writer-1> ?p ?n }",        // by subject: hashsp
		"SELECT ?n WHERE { <drill-writer-2> <drillWrote> ?n }", // both
	}
	for _, q := range queries {
		var n int
		testutil.Eventually(t, 30*time.Second, 250*time.Millisecond, func() error {
			var answers [2][]string
			for i, d := range []int{a, b} {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				got, err := rows(ctx, dp.apis[d], q)
				cancel()
				if err != nil {
					return fmt.Errorf("%s through %s: %w", q, dcName(d), err)
				}
				for _, r := range got {
					answers[i] = append(answers[i], strings.Join(r, " "))
				}
				slices.Sort(answers[i])
			}
			if !slices.Equal(answers[0], answers[1]) {
				return fmt.Errorf("%s: %d rows through %s, %d through %s", q, len(answers[0]), dcName(a), len(answers[1]), dcName(b))
			}
			if !slices.ContainsFunc(answers[1], func(r string) bool { return strings.HasSuffix(r, " -1") || r == "-1" }) {
				return fmt.Errorf("%s through %s: no fact written before the truncation", q, dcName(b))
			}
			n = len(answers[0])
			return nil
		})
		t.Logf("%s: the same %d rows through %s and %s", q, n, dcName(a), dcName(b))
	}
}
