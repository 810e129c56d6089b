package drills

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
	"github.com/akutan-dev/akutan/wire"
)

// bin is the akutan binary, built once for the drills.
var bin string

func TestMain(m *testing.M) { os.Exit(harness.RunWithBinary(m, &bin)) }

// datacenters is the number of datacenters (and Akutan clusters) of a
// deployment.
const datacenters = 3

// deployment is 3 log replicas, one per datacenter, and per datacenter an
// Akutan cluster of one API server and one view per space.
type deployment struct {
	dir      string
	logs     []*harness.Process
	logGRPC  []string
	apiAddrs []string // gRPC, by datacenter
	apis     []wire.APIClient

	logList   string               // --log for views and API servers
	apiProcs  []*harness.Process   // by datacenter
	apiGossip []string             // the API server's gossip address (its cluster's seed), by datacenter
	views     [][]*harness.Process // by datacenter, then space (hashsp, hashpo)
	viewGRPC  [][]string           // by datacenter, then space
	viewGoss  [][]string           // gossip addresses, by datacenter, then space
}

// roleArgs adds flags to every server of a role ("log", "api", "view").
type roleArgs map[string][]string

func dcName(d int) string { return fmt.Sprintf("dc%d", d+1) }

// startDeployment starts the log replicas and every datacenter's servers
// at once (control_plane.md: any start order), and waits until every
// cluster answers a query. extra adds flags by role.
func startDeployment(t *testing.T, extra ...roleArgs) *deployment {
	t.Helper()
	return startDeploymentInOrder(t, nil, extra...)
}

// startDeploymentInOrder is startDeployment; with order set, it hands
// order the processes' names and start functions instead of starting
// them, for order to start them in an order of its own (see shuffled).
func startDeploymentInOrder(t *testing.T, order func(t *testing.T, names []string, start []func()), extra ...roleArgs) *deployment {
	t.Helper()
	dp := &deployment{dir: t.TempDir()}
	var names []string
	var starts []func()
	startLater := func(p **harness.Process, name string, args ...string) {
		if order == nil {
			*p = harness.Start(t, bin, name, args...)
			return
		}
		names = append(names, name)
		starts = append(starts, func() { *p = harness.Start(t, bin, name, args...) })
	}
	args := func(role string, base ...string) []string {
		for _, e := range extra {
			base = append(base, e[role]...)
		}
		return append([]string{role}, base...)
	}
	addrs := harness.FreeAddrs(t, 2*datacenters)
	raft := addrs[:datacenters]
	dp.logGRPC = addrs[datacenters:]
	var members []string
	for i, a := range raft {
		members = append(members, fmt.Sprintf("%d=%s", i+1, a))
	}
	dp.logs = make([]*harness.Process, datacenters)
	for i := range datacenters {
		startLater(&dp.logs[i], fmt.Sprintf("log-%d", i+1), args("log",
			"--id", fmt.Sprint(i+1), "--dc", dcName(i), "--dir", filepath.Join(dp.dir, fmt.Sprintf("log-%d", i+1)),
			"--raft-addr", raft[i], "--grpc-addr", dp.logGRPC[i], "--initial-members", strings.Join(members, ","))...)
	}
	logList := strings.Join(dp.logGRPC, ",")
	dp.logList = logList
	dp.apiProcs = make([]*harness.Process, datacenters)
	for d := range datacenters {
		dc := dcName(d)
		a := harness.FreeAddrs(t, 6)
		dp.apiAddrs = append(dp.apiAddrs, a[0])
		dp.apiGossip = append(dp.apiGossip, a[1])
		// Every server of the cluster lists all of them as gossip seeds, so
		// that any one restarted finds the others (a seed restarted with no
		// --gossip-join would stay alone).
		seeds := strings.Join([]string{a[1], a[3], a[5]}, ",")
		startLater(&dp.apiProcs[d], "api-"+dc, args("api", "--dc", dc, "--cluster", dc, "--grpc-addr", a[0],
			"--log", logList, "--gossip-addr", a[1], "--gossip-join", seeds)...)
		dp.views = append(dp.views, make([]*harness.Process, 2))
		dp.viewGRPC = append(dp.viewGRPC, []string{a[2], a[4]})
		dp.viewGoss = append(dp.viewGoss, []string{a[3], a[5]})
		for i, sp := range []string{"hashsp", "hashpo"} {
			startLater(&dp.views[d][i], "view-"+dc+"-"+sp, args("view", "--dc", dc, "--cluster", dc, "--space", sp,
				"--partition", "1/1", "--dir", filepath.Join(dp.dir, dc+"-"+sp), "--grpc-addr", a[2+2*i],
				"--log", logList, "--gossip-addr", a[3+2*i], "--gossip-join", seeds)...)
		}
		conn, err := grpc.NewClient(a[0], grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		dp.apis = append(dp.apis, wire.NewAPIClient(conn))
	}
	if order != nil {
		order(t, names, starts)
	}
	for d := range datacenters {
		testutil.Eventually(t, 90*time.Second, 250*time.Millisecond, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := rows(ctx, dp.apis[d], "SELECT ?o WHERE { ?s <drillNothing> ?o }")
			return err
		})
	}
	return dp
}

// status runs `akutan status --json` against datacenter d's API server.
func (dp *deployment) status(t *testing.T, d int) (health.Report, error) {
	var rep health.Report
	out, errOut, err := harness.Run(t, bin, "status", "--api", dp.apiAddrs[d], "--json", "--timeout", "10s")
	if err != nil {
		return rep, fmt.Errorf("akutan status: %v: %s", err, errOut)
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		return rep, fmt.Errorf("status is not JSON: %v: %s", err, out)
	}
	return rep, nil
}

// rows runs a query through gRPC and returns its rows as text.
func rows(ctx context.Context, api wire.APIClient, query string) ([][]string, error) {
	return harness.QueryRows(ctx, api, query)
}

// load is a constant write and query load: one writer and one reader per
// datacenter, each through its own cluster's API server.
type load struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu            sync.Mutex
	acked         map[int]bool
	failedWrites  int
	queries       int
	failedQueries []error
}

const (
	loadWriteTimeout = 20 * time.Second
	loadQueryTimeout = 20 * time.Second
)

func startLoad(t *testing.T, dp *deployment) *load {
	t.Helper()
	// The writers' subjects exist first, so that their inserts only add facts.
	var names strings.Builder
	for d := range datacenters {
		fmt.Fprintf(&names, "<drill-writer-%d> <drillWrote> -1\n", d)
	}
	if _, err := dp.apis[0].Insert(context.Background(), &wire.InsertRequest{Format: "tsv", Data: names.String()}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{acked: make(map[int]bool), cancel: cancel}
	for d := range datacenters {
		l.wg.Add(2)
		go func() {
			defer l.wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				if !l.write(ctx, dp.apis[d], d, d*1_000_000+i) {
					time.Sleep(50 * time.Millisecond) // not a busy loop while its cluster is down
				}
			}
		}()
		go func() {
			defer l.wg.Done()
			for ctx.Err() == nil {
				l.query(ctx, dp.apis[d], d)
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	t.Cleanup(l.stop)
	return l
}

// write inserts value and reports whether it was acknowledged.
func (l *load) write(ctx context.Context, api wire.APIClient, d, value int) bool {
	wctx, cancel := context.WithTimeout(ctx, loadWriteTimeout)
	defer cancel()
	_, err := api.Insert(wctx, &wire.InsertRequest{Format: "tsv", Data: fmt.Sprintf("<drill-writer-%d> <drillWrote> %d\n", d, value)})
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err == nil:
		l.acked[value] = true
	case ctx.Err() == nil:
		l.failedWrites++
	}
	return err == nil
}

func (l *load) query(ctx context.Context, api wire.APIClient, d int) {
	qctx, cancel := context.WithTimeout(ctx, loadQueryTimeout)
	defer cancel()
	_, err := rows(qctx, api, fmt.Sprintf("SELECT ?n WHERE { <drill-writer-%d> <drillWrote> ?n } LIMIT 5", d))
	l.mu.Lock()
	defer l.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	l.queries++
	if err != nil {
		l.failedQueries = append(l.failedQueries, fmt.Errorf("dc%d: %w", d+1, err))
	}
}

func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

func (l *load) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// waitMore waits until n more writes than now have been acknowledged.
func (l *load) waitMore(t *testing.T, n int) {
	t.Helper()
	want := l.ackedCount() + n
	testutil.Eventually(t, 60*time.Second, 20*time.Millisecond, func() error {
		if got := l.ackedCount(); got < want {
			return fmt.Errorf("%d of %d writes acknowledged", got, want)
		}
		return nil
	})
}

// lost returns, per cluster, how many acknowledged writes a
// query through its API server does not find (after giving the views
// time to catch up).
func (l *load) lost(t *testing.T, dp *deployment) []int {
	t.Helper()
	l.mu.Lock()
	acked := make(map[int]bool, len(l.acked))
	for v := range l.acked {
		acked[v] = true
	}
	l.mu.Unlock()
	out := make([]int, len(dp.apis)) // with any cluster a drill added
	for d := range dp.apis {
		var missing int
		testutil.Eventually(t, 60*time.Second, 500*time.Millisecond, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			got, err := rows(ctx, dp.apis[d], "SELECT ?n WHERE { ?w <drillWrote> ?n }")
			if err != nil {
				return err
			}
			present := make(map[string]bool, len(got))
			for _, r := range got {
				present[r[0]] = true
			}
			missing = 0
			for v := range acked {
				if !present[fmt.Sprint(v)] {
					missing++
				}
			}
			if missing > 0 {
				return fmt.Errorf("cluster %s misses %d of %d acknowledged writes", dcName(d), missing, len(acked))
			}
			return nil
		})
		out[d] = missing
	}
	return out
}

// report logs the drill's figures, and prints them on stdout too, at the
// start of a line, so that `go test -v ./tests/drills | grep ^drill` (and
// go test in the package's directory) shows them for passing drills.
// healthy is the time the drill's disruption took to heal: until every
// cluster was fully available again with every log replica up.
func (l *load) report(t *testing.T, name string, lost []int, healthy time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	total := 0
	for _, n := range lost {
		total += n
	}
	line := fmt.Sprintf("drill %s: %d writes acknowledged, %d lost, %d failed (not acknowledged); %d queries, %d failed; time to healthy %v",
		name, len(l.acked), total, l.failedWrites, l.queries, len(l.failedQueries), healthy.Round(100*time.Millisecond))
	t.Log(line)
	fmt.Println(line)
	for i, err := range l.failedQueries {
		if i == 5 {
			t.Logf("  ... and %d more", len(l.failedQueries)-5)
			break
		}
		t.Logf("  failed query: %v", err)
	}
}
