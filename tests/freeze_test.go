package tests

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
	"github.com/akutan-dev/akutan/wire"
)

// A frozen log replica (SIGSTOP: its connections stay open, it answers
// nothing) must not stop writes: a frozen follower costs a short blip, a
// frozen leader an election. The bounds asserted are loose, for a loaded
// machine; the test logs the gaps it measured.
const (
	freezeFor         = 20 * time.Second
	maxFollowerGap    = 3 * time.Second
	maxLeaderGap      = 8 * time.Second
	freezeWriters     = 8
	freezeWriteTimout = 30 * time.Second
)

// insertLoad runs writers that each insert one fact per request through
// the API server until stopped, recording when each insert was
// acknowledged.
type insertLoad struct {
	mu     sync.Mutex
	acked  map[int]bool // the value inserted
	times  []time.Time  // when inserts were acknowledged, in order
	failed []error
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startInsertLoad(t *testing.T, api wire.APIClient, writers int) *insertLoad {
	ctx, cancel := context.WithCancel(context.Background())
	l := &insertLoad{acked: make(map[int]bool), cancel: cancel}
	for w := range writers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				l.insertOne(ctx, api, w, w*1_000_000+i)
			}
		}()
	}
	t.Cleanup(l.stop)
	return l
}

func (l *insertLoad) insertOne(ctx context.Context, api wire.APIClient, w, value int) {
	ctx, cancel := context.WithTimeout(ctx, freezeWriteTimout)
	defer cancel()
	_, err := api.Insert(ctx, &wire.InsertRequest{Format: "tsv", Data: fmt.Sprintf("<freeze-writer-%d> <freezeWrote> %d\n", w, value)})
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			l.failed = append(l.failed, err)
		}
		return
	}
	l.acked[value] = true
	l.times = append(l.times, now)
}

func (l *insertLoad) stop() {
	l.cancel()
	l.wg.Wait()
}

func (l *insertLoad) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// waitMore waits until n more inserts than now have been acknowledged.
func (l *insertLoad) waitMore(t *testing.T, n int) {
	t.Helper()
	want := l.count() + n
	testutil.Eventually(t, 60*time.Second, 20*time.Millisecond, func() error {
		if got := l.count(); got < want {
			return fmt.Errorf("%d of %d inserts acknowledged", got, want)
		}
		return nil
	})
}

// longestGap is the longest time within [from, to] without an
// acknowledged insert.
func (l *insertLoad) longestGap(from, to time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	longest, prev := time.Duration(0), from
	for _, at := range l.times {
		if at.Before(from) {
			continue
		}
		if at.After(to) {
			at = to
		}
		longest, prev = max(longest, at.Sub(prev)), at
		if !prev.Before(to) {
			break
		}
	}
	return max(longest, to.Sub(prev))
}

// freeze stops process p with SIGSTOP for d, running during meanwhile,
// makes sure it is continued even if the test fails, and returns when it
// was stopped and continued.
func freeze(t *testing.T, p *harness.Process, d time.Duration, during func()) (stopped, continued time.Time) {
	t.Helper()
	pid := p.Pid()
	cont := sync.OnceValue(func() error { return syscall.Kill(pid, syscall.SIGCONT) })
	t.Cleanup(func() { _ = cont() })
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("stopping %d: %v", pid, err)
	}
	stopped = time.Now()
	during()
	time.Sleep(time.Until(stopped.Add(d))) // the freeze itself: writers keep going meanwhile
	if err := cont(); err != nil {
		t.Fatalf("continuing %d: %v", pid, err)
	}
	return stopped, time.Now()
}

// leaderIndex returns the index in c.logs of the log's current leader.
func leaderIndex(t *testing.T, lc *logclient.Client) int {
	t.Helper()
	var leader uint64
	testutil.Eventually(t, 30*time.Second, 100*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		info, err := lc.Info(ctx, true)
		if err == nil && info.LeaderId == 0 {
			err = fmt.Errorf("no leader")
		}
		if err == nil {
			leader = info.LeaderId
		}
		return err
	})
	return int(leader) - 1 // replica c.logs[i] has ID i+1
}

// TestFrozenLogReplicaDoesNotStopWrites freezes a follower, then the
// leader, each for 20 s, under 8 concurrent writers inserting through an
// API server, and measures the longest time without an acknowledged
// insert during each freeze; `akutan status` must name the frozen
// follower. Afterwards every acknowledged insert must be in the graph.
func TestFrozenLogReplicaDoesNotStopWrites(t *testing.T) {
	harness.SkipIfShort(t)
	c := startCluster(t)
	api := apiClient(t, c.apiAddr)
	lc, err := logclient.New(c.logAddrs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lc.Close)
	// Create the names first, so that the writers' inserts only add facts.
	var names strings.Builder
	for w := range freezeWriters {
		fmt.Fprintf(&names, "<freeze-writer-%d> <freezeWrote> -1\n", w)
	}
	if _, err := api.Insert(context.Background(), &wire.InsertRequest{Format: "tsv", Data: names.String()}); err != nil {
		t.Fatal(err)
	}
	load := startInsertLoad(t, api, freezeWriters)
	load.waitMore(t, 100)

	leader := leaderIndex(t, lc)
	follower := (leader + 1) % len(c.logs)
	from, to := freeze(t, c.logs[follower], freezeFor, func() {
		checkStatusNamesSilent(t, c.apiAddr, c.logAddrs[follower])
	})
	load.waitMore(t, 100)
	followerGap := load.longestGap(from, to)
	t.Logf("follower (replica %d) frozen for %v: longest gap between acknowledged inserts %v", follower+1, to.Sub(from), followerGap)

	leader = leaderIndex(t, lc)
	from, to = freeze(t, c.logs[leader], freezeFor, func() {})
	load.waitMore(t, 100)
	leaderGap := load.longestGap(from, to)
	t.Logf("leader (replica %d) frozen for %v: longest gap between acknowledged inserts %v", leader+1, to.Sub(from), leaderGap)

	load.stop()
	checkInsertsPresent(t, api, load)
	if followerGap > maxFollowerGap {
		t.Errorf("a frozen follower stopped writes for %v, want at most %v", followerGap, maxFollowerGap)
	}
	if leaderGap > maxLeaderGap {
		t.Errorf("a frozen leader stopped writes for %v, want at most %v", leaderGap, maxLeaderGap)
	}
}

// checkStatusNamesSilent checks that `akutan status` names the frozen log
// replica at grpcAddr as not answering, and still finds the cluster fully
// available (a majority answers).
func checkStatusNamesSilent(t *testing.T, api, grpcAddr string) {
	t.Helper()
	reason := "(" + grpcAddr + ") is down: it does not answer: "
	testutil.Eventually(t, 15*time.Second, 100*time.Millisecond, func() error {
		rep, err := tryStatusJSON(t, api)
		switch {
		case err != nil:
			return err
		case !slices.ContainsFunc(rep.Reasons, func(r string) bool { return strings.HasPrefix(r, "log replica ") && strings.Contains(r, reason) }):
			return fmt.Errorf("status does not name the frozen replica: %q", rep.Reasons)
		case rep.Healthy || !rep.FullyAvailable:
			return fmt.Errorf("status with one log replica frozen: healthy %v, fully available %v (%q)", rep.Healthy, rep.FullyAvailable, rep.Reasons)
		}
		return nil
	})
}

// checkInsertsPresent checks that every acknowledged insert of load is in
// the graph.
func checkInsertsPresent(t *testing.T, api wire.APIClient, load *insertLoad) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got, err := rows(ctx, api, "SELECT ?n WHERE { ?w <freezeWrote> ?n }")
	if err != nil {
		t.Fatal(err)
	}
	present := make(map[string]bool, len(got))
	for _, r := range got {
		present[r[0]] = true
	}
	var missing []int
	for v := range load.acked {
		if !present[fmt.Sprint(v)] {
			missing = append(missing, v)
		}
	}
	slices.Sort(missing)
	t.Logf("%d inserts acknowledged, %d failed; the graph has %d values", len(load.acked), len(load.failed), len(present))
	if len(missing) > 0 {
		t.Fatalf("%d acknowledged inserts are missing, e.g. %v", len(missing), missing[:min(len(missing), 10)])
	}
}
