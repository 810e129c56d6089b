package tests

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/roles/logserver/logtest"
	"github.com/akutan-dev/akutan/tests/harness"
	"github.com/akutan-dev/akutan/wire"
)

// crashCycles is how many kill -9 cycles each crash-loop test runs:
// AKUTAN_CRASH_CYCLES, or a few when unset so the suite stays quick.
// docs/robustness.md records runs of 50 and more.
func crashCycles(t *testing.T) int {
	t.Helper()
	v := os.Getenv("AKUTAN_CRASH_CYCLES")
	if v == "" {
		return 6
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("AKUTAN_CRASH_CYCLES=%q: want a positive number", v)
	}
	return n
}

// crashDelay is a random moment shortly after a restart: goleveldb writes
// a new manifest while a replica opens, and the corruption this loop
// was written for struck a replica killed within seconds of that.
func crashDelay(rng *rand.Rand) time.Duration {
	return time.Duration(300+rng.IntN(4700)) * time.Millisecond
}

// waitReopened waits until every replica in which is running and the log
// takes an append again, failing with the output of a replica that exited
// (a store that no longer opens panics at start).
// Its probe appends are recorded in load as appends of unknown outcome.
func (lp *logProcs) waitReopened(t *testing.T, cycle int, which []int, load *appendLoad) {
	t.Helper()
	c := lp.client(t)
	testutil.Eventually(t, 60*time.Second, 100*time.Millisecond, func() error {
		for _, i := range which {
			if !lp.procs[i].Running() {
				t.Fatalf("cycle %d: log replica %d exited after restart:\n%s", cycle, i+1, tailLines(lp.procs[i].Output(), 15))
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		probe := fmt.Sprintf("probe-%d-%d", cycle, time.Now().UnixNano())
		load.mu.Lock()
		load.failed[probe] = true
		load.mu.Unlock()
		_, _, err := c.Append(ctx, logtest.Entries(probe))
		return err
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	last, err := c.LastIndex(ctx)
	if err != nil {
		t.Fatalf("cycle %d: reading the last index: %v", cycle, err)
	}
	for _, i := range which {
		waitApplied(t, lp.grpc[i], last)
	}
}

// waitApplied waits until the replica at addr reports having applied index
// last, which proves its state machine reopened and follows the log.
func waitApplied(t *testing.T, addr string, last uint64) {
	t.Helper()
	c := rawLog(t, addr)
	testutil.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		info, err := c.Info(ctx, &wire.InfoRequest{})
		if err == nil && info.AppliedIndex < last {
			err = fmt.Errorf("replica %s has applied %d of %d", addr, info.AppliedIndex, last)
		}
		return err
	})
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// checkLogAfterCrashes stops the load and checks that every replica holds
// the same entries, with every acknowledged append exactly once at the
// index it was given.
func checkLogAfterCrashes(t *testing.T, lp *logProcs, load *appendLoad) {
	t.Helper()
	load.stop()
	last := checkReplicasAgree(t, lp, load)
	t.Logf("%d acknowledged appends, %d with unknown outcome (probes included); the log of %d entries is identical on all replicas",
		len(load.acked), len(load.failed), last)
}

// TestCrashLoopAllReplicas kills all three log replicas with kill -9 at a
// random moment shortly after each restart, under 8 writers, cycle after
// cycle: every replica must reopen every time, and no acknowledged append
// may be lost. Before the manifest fix, a replica failed to open with
// "manifest corrupted (field 'comparer'): missing" within a few cycles.
func TestCrashLoopAllReplicas(t *testing.T) {
	harness.SkipIfShort(t)
	cycles := crashCycles(t)
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	lp := startLogProcs(t, 3, nil)
	load := startAppendLoad(t, lp, 8)
	all := []int{0, 1, 2}
	for cycle := 1; cycle <= cycles; cycle++ {
		time.Sleep(crashDelay(rng))
		for _, p := range lp.procs {
			p.Kill()
		}
		for _, p := range lp.procs {
			p.Restart(t)
		}
		lp.waitReopened(t, cycle, all, load)
	}
	checkLogAfterCrashes(t, lp, load)
	t.Logf("seed %d: %d cycles of kill -9 of all replicas; every replica reopened every time", seed, cycles)
}

// TestCrashLoopFollower kills one follower with kill -9 at a random moment
// shortly after each of its restarts, under 8 writers.
func TestCrashLoopFollower(t *testing.T) {
	harness.SkipIfShort(t)
	cycles := crashCycles(t)
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	lp := startLogProcs(t, 3, nil)
	load := startAppendLoad(t, lp, 8)
	c := lp.client(t)
	for cycle := 1; cycle <= cycles; cycle++ {
		follower := (leaderReplica(t, c) + 1 + rng.IntN(2)) % 3
		time.Sleep(crashDelay(rng))
		lp.procs[follower].Kill()
		lp.procs[follower].Restart(t)
		lp.waitReopened(t, cycle, []int{follower}, load)
	}
	checkLogAfterCrashes(t, lp, load)
	t.Logf("seed %d: %d cycles of kill -9 of a follower; it reopened every time", seed, cycles)
}
