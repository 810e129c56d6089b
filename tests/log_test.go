package tests

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/roles/logserver/logtest"
	"github.com/akutan-dev/akutan/tests/harness"
	"github.com/akutan-dev/akutan/wire"
)

// logProcs is a log of `akutan log` processes, one per replica; replica i
// has ID i+1.
type logProcs struct {
	dir        string
	procs      []*harness.Process
	raft, grpc []string
	extra      []string // flags every replica gets
}

// startLogProcs starts n replicas creating a new log, each with extra flags
// (plus per-replica flags from perReplica, if set), and waits until the log
// accepts an append.
func startLogProcs(t *testing.T, n int, perReplica func(i int) []string, extra ...string) *logProcs {
	t.Helper()
	addrs := harness.FreeAddrs(t, 2*n)
	lp := &logProcs{dir: t.TempDir(), raft: addrs[:n], grpc: addrs[n:], extra: extra}
	var members []string
	for i := range n {
		members = append(members, fmt.Sprintf("%d=%s", i+1, lp.raft[i]))
	}
	for i := range n {
		args := lp.args(i, "--initial-members", strings.Join(members, ","))
		if perReplica != nil {
			args = append(args, perReplica(i)...)
		}
		lp.procs = append(lp.procs, harness.Start(t, bin, fmt.Sprintf("log-%d", i+1), args...))
	}
	c := lp.client(t)
	testutil.Eventually(t, 30*time.Second, 100*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := c.LastIndex(ctx)
		return err
	})
	return lp
}

// args are the flags of replica i.
func (lp *logProcs) args(i int, more ...string) []string {
	args := []string{"log", "--id", fmt.Sprint(i + 1), "--dir", lp.replicaDir(i),
		"--raft-addr", lp.raft[i], "--grpc-addr", lp.grpc[i]}
	return append(append(args, lp.extra...), more...)
}

func (lp *logProcs) replicaDir(i int) string {
	return filepath.Join(lp.dir, fmt.Sprintf("log-%d", i+1))
}

// list is the --log flag value naming every replica.
func (lp *logProcs) list() string { return strings.Join(lp.grpc, ",") }

// client returns a logclient for every replica, closed when the test ends.
func (lp *logProcs) client(t *testing.T) *logclient.Client {
	t.Helper()
	c, err := logclient.New(lp.grpc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// rawLog dials one replica's Log service directly.
func rawLog(t *testing.T, addr string) wire.LogClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return wire.NewLogClient(conn)
}

// readReplica waits until the replica at addr has applied last, then reads
// its entries [from, last] with one raw Read stream.
func readReplica(t *testing.T, addr string, from, last uint64) [][]byte {
	t.Helper()
	waitApplied(t, addr, last)
	c := rawLog(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := c.Read(ctx, &wire.ReadRequest{StartIndex: from})
	if err != nil {
		t.Fatalf("reading %s: %v", addr, err)
	}
	var out [][]byte
	for next := from; next <= last; {
		reply, err := stream.Recv()
		if err != nil {
			t.Fatalf("reading %s at %d: %v", addr, next, err)
		}
		for _, e := range reply.Entries {
			if e.Index != next {
				t.Fatalf("replica %s sent index %d, want %d", addr, e.Index, next)
			}
			if next <= last {
				out = append(out, e.Data)
			}
			next++
		}
	}
	return out
}

// appendLoad runs writers that each append unique payloads through their
// own logclient until stopped, recording which were acknowledged.
type appendLoad struct {
	mu     sync.Mutex
	acked  map[string]uint64 // payload -> index it was given
	failed map[string]bool   // outcome unknown: may or may not be in the log
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startAppendLoad(t *testing.T, lp *logProcs, writers int) *appendLoad {
	ctx, cancel := context.WithCancel(context.Background())
	l := &appendLoad{acked: make(map[string]uint64), failed: make(map[string]bool), cancel: cancel}
	for w := range writers {
		c := lp.client(t)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				l.appendOne(ctx, c, fmt.Sprintf("writer-%d-append-%06d", w, i))
			}
		}()
	}
	t.Cleanup(l.stop)
	return l
}

func (l *appendLoad) appendOne(ctx context.Context, c *logclient.Client, payload string) {
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	first, _, err := c.Append(actx, logtest.Entries(payload))
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.failed[payload] = true
	} else {
		l.acked[payload] = first
	}
}

func (l *appendLoad) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// waitAcked waits until n appends in all have been acknowledged.
func (l *appendLoad) waitAcked(t *testing.T, n int) {
	t.Helper()
	testutil.Eventually(t, 60*time.Second, 20*time.Millisecond, func() error {
		if got := l.count(); got < n {
			return fmt.Errorf("%d of %d appends acknowledged", got, n)
		}
		return nil
	})
}

func (l *appendLoad) stop() {
	l.cancel()
	l.wg.Wait()
}

// leaderReplica returns the index (ID-1) of the log's current leader.
func leaderReplica(t *testing.T, c *logclient.Client) int {
	t.Helper()
	var leader uint64
	testutil.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		info, err := c.Info(ctx, true)
		if err == nil && info.LeaderId == 0 {
			err = fmt.Errorf("no leader yet")
		}
		if err == nil {
			leader = info.LeaderId
		}
		return err
	})
	return int(leader - 1)
}

// TestLogKillLeaderKeepsAcknowledgedAppends appends from 8 clients while
// the leader is killed with kill -9 and later restarted, then reads every
// replica separately: all hold the same entries in the same order, every
// acknowledged append exactly once at the index it was given, and no
// payload twice (appends whose outcome the client never learned may be
// there once, or not at all).
func TestLogKillLeaderKeepsAcknowledgedAppends(t *testing.T) {
	harness.SkipIfShort(t)
	lp := startLogProcs(t, 3, nil)
	c := lp.client(t)
	load := startAppendLoad(t, lp, 8)
	load.waitAcked(t, 200)
	leader := leaderReplica(t, c)
	lp.procs[leader].Kill()
	load.waitAcked(t, load.count()+300)
	lp.procs[leader].Restart(t)
	load.waitAcked(t, load.count()+200)
	load.stop()

	last := checkReplicasAgree(t, lp, load)
	t.Logf("killed leader %d; %d acknowledged appends, %d with unknown outcome, log of %d entries identical on all replicas",
		leader+1, len(load.acked), len(load.failed), last)
}

// checkReplicasAgree reads every replica up to the log's last index and
// checks that all hold the same entries, with every acknowledged append
// exactly once at the index it was given; it returns that last index.
func checkReplicasAgree(t *testing.T, lp *logProcs, load *appendLoad) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	last, err := lp.client(t).LastIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var first []string
	for i, addr := range lp.grpc {
		got := checkNoLossNoDup(t, readReplica(t, addr, 1, last), load, i)
		if i == 0 {
			first = got
		} else if strings.Join(got, "\n") != strings.Join(first, "\n") {
			t.Fatalf("replica %d's %d entries differ from replica 1's", i+1, len(got))
		}
	}
	return last
}

// checkNoLossNoDup checks replica i's entries against the load and returns
// them as strings.
func checkNoLossNoDup(t *testing.T, ents [][]byte, load *appendLoad, i int) []string {
	t.Helper()
	at := make(map[string]uint64, len(ents))
	out := make([]string, len(ents))
	for j, e := range ents {
		p := logtest.Payload(e)
		if prev, dup := at[p]; dup {
			t.Fatalf("replica %d holds %q at indexes %d and %d", i+1, p, prev, j+1)
		}
		if _, known := load.acked[p]; !known && !load.failed[p] {
			t.Fatalf("replica %d holds %q at %d, which nobody appended", i+1, p, j+1)
		}
		at[p], out[j] = uint64(j+1), p
	}
	for p, index := range load.acked {
		if at[p] != index {
			t.Fatalf("replica %d lost acknowledged append %q (given index %d, found at %d)", i+1, p, index, at[p])
		}
	}
	return out
}

// duKB is the disk usage of dirs, as du reports it.
func duKB(t *testing.T, dirs ...string) int {
	t.Helper()
	out, err := exec.Command("du", append([]string{"-sk", "-c"}, dirs...)...).Output()
	if err != nil {
		t.Fatalf("du %v: %v", dirs, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	kb, err := strconv.Atoi(strings.Fields(lines[len(lines)-1])[0])
	if err != nil {
		t.Fatalf("du output %q: %v", out, err)
	}
	return kb
}

// readErr returns the error of reading from index at addr (nil if an entry
// arrives).
func readErr(addr string, t *testing.T, index uint64) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stream, err := rawLog(t, addr).Read(ctx, &wire.ReadRequest{StartIndex: index})
	for err == nil {
		var reply *wire.ReadReply
		if reply, err = stream.Recv(); err == nil && len(reply.Entries) > 0 {
			return nil
		} // else an empty reply is a heartbeat: wait for more
	}
	return err
}

// TestLogTruncateReclaimsDiskAndNewReplicaJoins writes about 20 MB, then
// truncates below index 81 of 100 with `akutan ctl log truncate`: reads
// below fail with the truncated error on every replica, the replicas' disk
// usage drops, and a replica added afterwards (`ctl log add`, then `akutan
// log --join`) catches up from a snapshot and serves entries from 81 on.
// Its ID, once removed, cannot be added again.
func TestLogTruncateReclaimsDiskAndNewReplicaJoins(t *testing.T) {
	harness.SkipIfShort(t)
	snap := []string{"--snapshot-entries", "10", "--compaction-overhead", "2"}
	lp := startLogProcs(t, 3, nil, snap...)
	data := appendRandom(t, lp.client(t), 100, 200<<10)
	for i := range lp.grpc {
		readReplica(t, lp.grpc[i], 100, 100) // every replica has applied everything
	}
	dirs := []string{lp.replicaDir(0), lp.replicaDir(1), lp.replicaDir(2)}
	before := duKB(t, dirs...)

	out := akutan(t, "ctl", "log", "truncate", "--log", lp.list(), "--before", "81")
	if !strings.Contains(out, "retains entries 81 to 100") {
		t.Fatalf("truncate printed %q", out)
	}
	for _, addr := range lp.grpc {
		testutil.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
			if err := readErr(addr, t, 80); status.Code(err) != codes.OutOfRange || !strings.Contains(err.Error(), "truncated") {
				return fmt.Errorf("reading index 80 from %s: %v, want the truncated error", addr, err)
			}
			return nil
		})
	}
	// The 80 discarded entries take 16 MB on each replica's state machine;
	// most of it must come back. (The Raft log store's size does not depend
	// on the log's: it is compacted after snapshots and recycles its files.)
	discardedKB := 3 * 80 * 200
	testutil.Eventually(t, 30*time.Second, 200*time.Millisecond, func() error {
		if after := duKB(t, dirs...); before-after < discardedKB*3/4 {
			return fmt.Errorf("disk usage of the replicas is %d KB, was %d KB before discarding %d KB", after, before, discardedKB)
		}
		return nil
	})
	t.Logf("disk usage of the 3 replicas: %d KB before truncation, %d KB after", before, duKB(t, dirs...))

	joined, proc := joinReplica(t, lp, 4, snap)
	got := readReplica(t, joined, 81, 100)
	if !strings.Contains(proc.Output(), "recovered log state machine from snapshot") {
		t.Fatalf("the joined replica did not catch up from a snapshot; its output:\n%s", proc.Output())
	}
	for j, e := range got {
		if string(e) != string(data[uint64(81+j)]) {
			t.Fatalf("joined replica's entry %d differs from what was appended", 81+j)
		}
	}
	if err := readErr(joined, t, 1); status.Code(err) != codes.OutOfRange {
		t.Fatalf("reading index 1 from the joined replica: %v, want the truncated error", err)
	}
	checkLogInfoJSON(t, lp.list()+","+joined, 81, 100, 4)
	checkRemovedIDRefused(t, lp.list(), 4)
}

// appendRandom appends n entries of about size random bytes from 4
// writers and returns them by index.
func appendRandom(t *testing.T, c *logclient.Client, n, size int) map[uint64][]byte {
	t.Helper()
	var mu sync.Mutex
	data := make(map[uint64][]byte, n)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				random := make([]byte, size/2)
				rand.Read(random)
				e := logtest.Entry(hex.EncodeToString(random))
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				first, _, err := c.Append(ctx, [][]byte{e})
				cancel()
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				data[first] = e
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	return data
}

// joinReplica adds replica id with `ctl log add`, starts it with --join and
// returns its gRPC address and process.
func joinReplica(t *testing.T, lp *logProcs, id int, extra []string) (string, *harness.Process) {
	t.Helper()
	addrs := harness.FreeAddrs(t, 2)
	out := akutan(t, "ctl", "log", "add", "--log", lp.list(), "--id", fmt.Sprint(id), "--raft-addr", addrs[0])
	if !strings.Contains(out, fmt.Sprintf("added replica %d", id)) {
		t.Fatalf("ctl log add printed %q", out)
	}
	args := append([]string{"log", "--id", fmt.Sprint(id), "--dir", filepath.Join(lp.dir, fmt.Sprintf("log-%d", id)),
		"--raft-addr", addrs[0], "--grpc-addr", addrs[1], "--join"}, extra...)
	return addrs[1], harness.Start(t, bin, fmt.Sprintf("log-%d", id), args...)
}

// checkLogInfoJSON checks `ctl log info --json` against the expected
// extent and member count, every member having reported its applied index.
func checkLogInfoJSON(t *testing.T, logList string, first, last uint64, members int) {
	t.Helper()
	var doc struct {
		Leader     uint64 `json:"leader"`
		FirstIndex uint64 `json:"first_index"`
		LastIndex  uint64 `json:"last_index"`
		Members    []struct {
			ID           uint64  `json:"id"`
			RaftAddr     string  `json:"raft_addr"`
			GRPCAddr     string  `json:"grpc_addr"`
			AppliedIndex *uint64 `json:"applied_index"`
		} `json:"members"`
	}
	out := akutan(t, "ctl", "log", "info", "--log", logList, "--json")
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("ctl log info --json printed %q: %v", out, err)
	}
	if doc.Leader == 0 || doc.FirstIndex != first || doc.LastIndex != last || len(doc.Members) != members {
		t.Fatalf("ctl log info --json: %s", out)
	}
	for _, m := range doc.Members {
		if m.AppliedIndex == nil || *m.AppliedIndex != last || m.GRPCAddr == "" || m.RaftAddr == "" {
			t.Fatalf("ctl log info --json: member %d incomplete or behind: %s", m.ID, out)
		}
	}
}

// checkRemovedIDRefused removes replica id and checks that adding it back
// is refused with a clear error.
func checkRemovedIDRefused(t *testing.T, logList string, id int) {
	t.Helper()
	out := akutan(t, "ctl", "log", "remove", "--log", logList, "--id", fmt.Sprint(id))
	if !strings.Contains(out, fmt.Sprintf("removed for good (never reuse): %d", id)) {
		t.Fatalf("ctl log remove printed %q", out)
	}
	_, errOut, err := harness.Run(t, bin, "ctl", "log", "add", "--log", logList, "--id", fmt.Sprint(id),
		"--raft-addr", harness.FreeAddr(t))
	if err == nil || !strings.Contains(errOut, "was removed from the log and can never be used again") {
		t.Fatalf("re-adding removed replica %d: %v, %q", id, err, errOut)
	}
}

// TestLogVersionUpgrade plays a rolling upgrade of the log format: while an
// API server claims to read only version 1 (an old binary, played with
// --max-log-version 1), `ctl log upgrade --to 2` refuses and names it; with
// every server at version 2 it appends the version change; and a view
// claiming version 1 started afterwards exits with an error naming the
// entry and the versions.
func TestLogVersionUpgrade(t *testing.T) {
	harness.SkipIfShort(t)
	gossipAddrs := harness.FreeAddrs(t, 5)
	seed := gossipAddrs[0]
	lp := startLogProcs(t, 3, func(i int) []string {
		return []string{"--gossip-addr", gossipAddrs[i], "--gossip-join", seed}
	})
	viewAddrs := harness.FreeAddrs(t, 2)
	view := harness.Start(t, bin, "view-v2", "view", "--space", "hashsp", "--partition", "1/1",
		"--dir", filepath.Join(t.TempDir(), "view"), "--grpc-addr", viewAddrs[0], "--log", lp.list(),
		"--gossip-addr", gossipAddrs[3], "--gossip-join", seed)
	api := harness.Start(t, bin, "api-v1", "api", "--grpc-addr", viewAddrs[1], "--log", lp.list(),
		"--gossip-addr", gossipAddrs[4], "--gossip-join", seed, "--max-log-version", "1")
	harness.WaitTCP(t, viewAddrs[1], 30*time.Second)

	// Joining through the old API server's own gossip address makes sure
	// the check sees it.
	upgrade := []string{"ctl", "log", "upgrade", "--to", "2", "--log", lp.list(), "--gossip-wait", "2s"}
	_, errOut, err := harness.Run(t, bin, append(upgrade, "--gossip-join", gossipAddrs[4]+","+seed)...)
	if err == nil || !strings.Contains(errOut, "refusing to switch the log to version 2") ||
		!strings.Contains(errOut, viewAddrs[1]) || !strings.Contains(errOut, "supports up to version 1") {
		t.Fatalf("upgrade with an old API server: %v, stderr %q", err, errOut)
	}

	if err := api.Stop(); err != nil { // it leaves gossip
		t.Fatal(err)
	}
	// Stopped, it is still recorded in the log: refused, naming it,
	// without any gossip at all.
	_, errOut, err = harness.Run(t, bin, upgrade...)
	name := "api/" + viewAddrs[1]
	if err == nil || !strings.Contains(errOut, name) || !strings.Contains(errOut, "supports up to version 1") {
		t.Fatalf("upgrade with the old API server stopped: %v, stderr %q; want it refused naming %s", err, errOut, name)
	}
	if out := akutan(t, "ctl", "log", "servers", "--log", lp.list()); !strings.Contains(out, name) {
		t.Fatalf("ctl log servers printed %q; want %s listed", out, name)
	}
	akutan(t, "ctl", "log", "forget-server", "--log", lp.list(), name)
	out := akutan(t, append(upgrade, "--gossip-join", seed)...)
	if !strings.Contains(out, "all 4 servers recorded in the log and 4 seen in gossip support log version 2") {
		t.Fatalf("upgrade printed %q; want the 3 log replicas and the view counted", out)
	}
	m := regexp.MustCompile(`switches to it at index (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("upgrade printed %q; want the index of the version change", out)
	}
	index := m[1]

	old := harness.Start(t, bin, "view-v1", "view", "--space", "hashpo", "--partition", "1/1",
		"--dir", filepath.Join(t.TempDir(), "old-view"), "--grpc-addr", harness.FreeAddr(t), "--log", lp.list(),
		"--max-log-version", "1")
	if err := old.Wait(60 * time.Second); err == nil || strings.Contains(err.Error(), "still running") {
		t.Fatalf("a view claiming version 1 did not exit with an error after the version change: %v", err)
	}
	want := fmt.Sprintf("log entry %s switches to log format version 2, but this server supports versions 1 to 1", index)
	if !strings.Contains(old.Output(), want) {
		t.Fatalf("the old view's output does not say %q:\n%s", want, old.Output())
	}
	t.Logf("the old view exited: %s", lastLine(old.Output(), "switches to log format"))

	// A view that boots from peers does not read the version change
	// itself: the peers report the version with the load, and it refuses.
	// Both join through the peer view itself: its own meta is always
	// current, where another member's copy of it may lag (see gossip's
	// pushPullInterval).
	peer := gossipAddrs[3]
	waitAdvertisedApplied(t, peer, "view", index)
	booted := harness.Start(t, bin, "view-v1-booted", "view", "--space", "hashsp", "--partition", "1/1",
		"--dir", filepath.Join(t.TempDir(), "booted-view"), "--grpc-addr", harness.FreeAddr(t), "--log", lp.list(),
		"--gossip-addr", harness.FreeAddr(t), "--gossip-join", peer, "--max-log-version", "1")
	if err := booted.Wait(60 * time.Second); err == nil || strings.Contains(err.Error(), "still running") {
		t.Fatalf("a view claiming version 1 booted from version-2 peers without an error: %v", err)
	}
	want = fmt.Sprintf("the peers' log is in format version 2 (since index %s), but this server supports versions 1 to 1", index)
	if !strings.Contains(booted.Output(), want) {
		t.Fatalf("the booted view's output does not say %q:\n%s", want, booted.Output())
	}
	if !view.Running() {
		t.Fatalf("the view supporting version 2 stopped:\n%s", view.Output())
	}
}

// waitAdvertisedApplied joins gossip through seed and waits until a
// serving member of role advertises an applied index of at least index.
func waitAdvertisedApplied(t *testing.T, seed, role, index string) {
	t.Helper()
	want, err := strconv.ParseUint(index, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	node := watchGossip(t, "log-test-watcher", seed)
	testutil.Eventually(t, 30*time.Second, 100*time.Millisecond, func() error {
		for _, m := range node.Members() {
			if m.Meta.Role == role && m.Meta.Serving && m.Meta.AppliedIndex >= want {
				return nil
			}
		}
		return fmt.Errorf("no serving %s advertises index %d yet", role, want)
	})
}

// lastLine returns the last line of out containing substr.
func lastLine(out, substr string) string {
	lines := strings.Split(out, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], substr) {
			return lines[i]
		}
	}
	return ""
}
