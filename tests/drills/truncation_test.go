package drills

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/viewstore"
	"github.com/akutan-dev/akutan/tests/harness"
)

// TestDrillAutoTruncation drills the automatic truncation with
// per-cluster floors. Every API server registers its cluster's floor each
// second (one view per range in these clusters: --floor-views 1) and the
// log leader truncates each second, 2 s behind the floors. Under load the
// log must get truncated by itself. Then dc3's views are stopped: dc3's
// floor must stay where it was, at most what the stopped views hold on
// disk, and the log, truncated up to it, never past it while the other
// clusters' floors move on. The views then restart on their disks and
// must catch up from the log without booting from peers, after which dc3
// registers higher floors again. Every acknowledged write must be
// readable in every cluster and `ctl verify` agree. (dc3's writes and
// queries fail while it has no views: they are counted, not errors.)
func TestDrillAutoTruncation(t *testing.T) {
	harness.SkipIfShort(t)
	started := time.Now()
	dp := startDeployment(t, roleArgs{
		"log": {"--auto-truncate-every", "1s", "--auto-truncate-lag", "2s"},
		"api": {"--floor-every", "1s", "--floor-views", "1"},
	})
	lc, err := logclient.New(dp.logGRPC)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	waitEveryCluster(t, dp, 60*time.Second, "fully available", func(health.Report) error { return nil })
	t.Logf("deployment fully available in every cluster after %v", time.Since(started).Round(100*time.Millisecond))
	l := startLoad(t, dp)
	l.waitMore(t, 50)

	// Every cluster registers a floor, and the log truncates by itself.
	waitFloors(t, lc, "every cluster registered and the log truncated", func(floors map[string]uint64, first uint64) error {
		if len(floors) != datacenters || first <= 1 {
			return fmt.Errorf("floors %v, log starts at %d", floors, first)
		}
		return nil
	})

	// dc3's views stop: its floor stays, at most what they hold.
	dc3 := datacenters - 1
	for _, v := range dp.views[dc3] {
		if err := v.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	stopped := time.Now()
	time.Sleep(3 * time.Second) // a registration under way when they stopped lands
	floors, _ := readFloors(t, lc)
	floor3 := floors[dcName(dc3)]
	for _, sp := range []byte{storage.KeyPrefixSP, storage.KeyPrefixPO} {
		dir := filepath.Join(dp.dir, dcName(dc3)+"-"+map[byte]string{storage.KeyPrefixSP: "hashsp", storage.KeyPrefixPO: "hashpo"}[sp])
		st, err := viewstore.Open(dir, viewstore.Config{Space: sp, RangeEnd: math.MaxUint64})
		if err != nil {
			t.Fatal(err)
		}
		held := st.Applied()
		st.Close()
		if floor3 > held {
			t.Fatalf("cluster %s's floor %d exceeds what its stopped view %s holds (%d)", dcName(dc3), floor3, dir, held)
		}
		t.Logf("cluster %s: floor %d, view %s holds %d", dcName(dc3), floor3, filepath.Base(dir), held)
	}
	// The log is truncated up to dc3's floor and stays there while the
	// others' floors move on.
	waitFloors(t, lc, "truncated up to dc3's floor", func(floors map[string]uint64, first uint64) error {
		if first != floor3+1 {
			return fmt.Errorf("log starts at %d, want %d (dc3's floor + 1); floors %v", first, floor3+1, floors)
		}
		return nil
	})
	others := floors
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		floors, first := readFloors(t, lc)
		if floors[dcName(dc3)] != floor3 || first > floor3+1 {
			t.Fatalf("with dc3's views stopped: floors %v, log starts at %d; want dc3's floor to stay %d and the log to keep %d",
				floors, first, floor3, floor3+1)
		}
		others = floors
	}
	for d := range dc3 {
		if others[dcName(d)] <= floor3 {
			t.Errorf("cluster %s's floor %d did not move past dc3's %d under load", dcName(d), others[dcName(d)], floor3)
		}
	}
	t.Logf("with dc3's views stopped for %v the log kept index %d (floors %v)", time.Since(stopped).Round(100*time.Millisecond), floor3+1, others)

	// They come back, catch up from the log, and dc3's floor moves again.
	for _, v := range dp.views[dc3] {
		v.Restart(t)
	}
	restarted := time.Now()
	waitEveryCluster(t, dp, 60*time.Second, "with dc3's views back", func(health.Report) error { return nil })
	recovered := time.Since(restarted)
	for _, v := range dp.views[dc3] {
		runs := strings.Split(v.Output(), "=== harness:")
		if last := runs[len(runs)-1]; strings.Contains(last, "booting from peers") || strings.Contains(last, "loading from peers") {
			t.Errorf("%s booted from peers after its restart instead of catching up from the log:\n%s", v.LogPath(), last)
		}
	}
	waitFloors(t, lc, "dc3 registering again", func(floors map[string]uint64, first uint64) error {
		if floors[dcName(dc3)] <= floor3 {
			return fmt.Errorf("dc3's floor is %d", floors[dcName(dc3)])
		}
		return nil
	})
	l.waitMore(t, 50)
	l.stop()

	lost := l.lost(t, dp)
	l.report(t, "auto-truncation", lost, recovered)
	for d, n := range lost {
		if n > 0 {
			t.Errorf("cluster %s lost %d acknowledged writes", dcName(d), n)
		}
	}
	verifyAcrossClusters(t, dp)
}

// readFloors returns the registered floors by cluster and the log's first
// index.
func readFloors(t *testing.T, lc *logclient.Client) (map[string]uint64, uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := lc.Floors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	floors := make(map[string]uint64, len(reply.Floors))
	for _, f := range reply.Floors {
		floors[f.Cluster] = f.Index
	}
	return floors, reply.FirstIndex
}

// waitFloors waits until check accepts the floors and the log's first
// index.
func waitFloors(t *testing.T, lc *logclient.Client, what string, check func(floors map[string]uint64, first uint64) error) {
	t.Helper()
	testutil.Eventually(t, 30*time.Second, 250*time.Millisecond, func() error {
		floors, first := readFloors(t, lc)
		if err := check(floors, first); err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		return nil
	})
}
