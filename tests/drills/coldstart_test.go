package drills

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/tests/harness"
)

// startGap spaces the starts of a shuffled start order, so that each
// process really starts before the next (not all in the same instant).
const startGap = 200 * time.Millisecond

// shuffled returns a start order (for startDeploymentInOrder) that starts
// the processes in a random order, logged with its seed.
func shuffled(seed uint64) func(t *testing.T, names []string, starts []func()) {
	return func(t *testing.T, names []string, starts []func()) {
		rng := rand.New(rand.NewPCG(seed, seed))
		idx := rng.Perm(len(names))
		var order []string
		for _, i := range idx {
			order = append(order, names[i])
		}
		t.Logf("start order (seed %d): %s", seed, strings.Join(order, ", "))
		for n, i := range idx {
			if n > 0 {
				time.Sleep(startGap)
			}
			starts[i]()
		}
	}
}

// TestDrillProvisionAnyOrder drills "provision new clusters for a new
// Akutan database": the log replicas, API servers and views of the three
// datacenters, all with empty directories, start one by one in a random
// order. Every cluster must become fully available with every log replica
// up, then serve the load without losing an acknowledged write.
func TestDrillProvisionAnyOrder(t *testing.T) {
	harness.SkipIfShort(t)
	started := time.Now()
	dp := startDeploymentInOrder(t, shuffled(uint64(time.Now().UnixNano())))
	waitAllUp(t, dp, 90*time.Second)
	healthy := time.Since(started)
	t.Logf("every cluster fully available, every log replica up %v after the first start", healthy.Round(100*time.Millisecond))
	l := startLoad(t, dp)
	l.waitMore(t, 100)
	finish(t, dp, l, "provision-any-order", healthy)
}

// TestDrillColdStart drills "cold start": under load, every process of
// the deployment (3 log replicas, 3 API servers, 6 views) is killed with
// kill -9 at once, then each is started again on its old disk, one by one
// in a random order. Every cluster must become fully available with every
// log replica up, and every write acknowledged before or after the
// outage must be readable through every cluster.
func TestDrillColdStart(t *testing.T) {
	harness.SkipIfShort(t)
	dp, l := startLoaded(t)
	ps := dp.all()
	killAll(ps)
	t.Logf("killed all %d processes with kill -9 after %d acknowledged writes", len(ps), l.ackedCount())
	restarted := time.Now()
	names := make([]string, len(ps))
	starts := make([]func(), len(ps))
	for i, p := range ps {
		names[i] = strings.TrimSuffix(filepath.Base(p.LogPath()), ".log")
		starts[i] = func() { p.Restart(t) }
	}
	shuffled(uint64(time.Now().UnixNano()))(t, names, starts)
	waitAllUp(t, dp, 90*time.Second)
	healthy := time.Since(restarted)
	t.Logf("every cluster fully available, every log replica up %v after the first restart", healthy.Round(100*time.Millisecond))
	l.waitMore(t, 50)
	finish(t, dp, l, "cold-start", healthy)
}
