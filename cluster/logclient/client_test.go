package logclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/roles/logserver/logtest"
	"github.com/akutan-dev/akutan/wire"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func newClient(t *testing.T, addrs []string, opts ...Option) *Client {
	t.Helper()
	c, err := New(addrs, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func appendOK(t *testing.T, c *Client, entries ...string) (uint64, uint64) {
	t.Helper()
	first, last, err := c.Append(timeout(t, 15*time.Second), logtest.Entries(entries...))
	if err != nil {
		t.Fatal(err)
	}
	if last-first+1 != uint64(len(entries)) {
		t.Fatalf("append of %d entries got [%d, %d]", len(entries), first, last)
	}
	return first, last
}

// reader runs Read in the background and collects what it delivers.
type reader struct {
	mu      sync.Mutex
	entries map[uint64]string
	order   []uint64
	changed chan struct{}
	cancel  context.CancelFunc
	ended   chan struct{} // closed when Read returns
	err     error         // Read's error, set before ended closes
}

func startReader(t *testing.T, c *Client, start uint64) *reader {
	ctx, cancel := context.WithCancel(context.Background())
	r := &reader{entries: make(map[uint64]string), changed: make(chan struct{}, 1), ended: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(r.ended)
		r.err = c.Read(ctx, start, func(i uint64, data []byte) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			if _, dup := r.entries[i]; dup {
				return fmt.Errorf("index %d delivered twice", i)
			}
			r.entries[i] = logtest.Payload(data)
			r.order = append(r.order, i)
			select {
			case r.changed <- struct{}{}:
			default:
			}
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-r.ended
	})
	return r
}

// waitFor waits until n entries have been delivered, checking they are
// dense and in order from the first.
func (r *reader) waitFor(t *testing.T, n int) map[uint64]string {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		r.mu.Lock()
		got := len(r.order)
		r.mu.Unlock()
		if got >= n {
			break
		}
		select {
		case <-r.changed:
		case <-r.ended:
			t.Fatalf("read ended after %d entries: %v", got, r.err)
		case <-deadline:
			t.Fatalf("read delivered %d entries, want %d", got, n)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, idx := range r.order {
		if idx != r.order[0]+uint64(i) {
			t.Fatalf("delivery %d was index %d after %d", i, idx, r.order[0])
		}
	}
	return r.entries
}

func TestAppendReadTail(t *testing.T) {
	lc := logtest.Start(t, 3)
	c := newClient(t, lc.Addrs())
	if f, l := appendOK(t, c, "a", "b"); f != 1 || l != 2 {
		t.Fatalf("first append got [%d, %d]", f, l)
	}
	r := startReader(t, c, 1)
	r.waitFor(t, 2)
	appendOK(t, c, "c")
	if got := r.waitFor(t, 3); got[3] != "c" {
		t.Fatalf("tail read %v", got)
	}
	if last, err := c.LastIndex(timeout(t, 5*time.Second)); err != nil || last != 3 {
		t.Fatalf("LastIndex = %d, %v", last, err)
	}
	r.cancel()
	<-r.ended
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("read ended with %v, want context.Canceled", r.err)
	}
}

func TestConcurrentAppendsExactlyOnce(t *testing.T) {
	lc := logtest.Start(t, 3)
	concurrentAppendsExactlyOnce(t, lc, newClient(t, lc.Addrs()))
}

// concurrentAppendsExactlyOnce appends from 8 goroutines through c and
// checks that the log holds each append once, where it was acknowledged.
func concurrentAppendsExactlyOnce(t *testing.T, lc *logtest.Cluster, c *Client) {
	const writers, perWriter = 8, 30
	var mu sync.Mutex
	assigned := make(map[uint64]string)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				e := fmt.Sprintf("w%d-%d", w, i)
				first, _, err := c.Append(context.Background(), logtest.Entries(e))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				assigned[first] = e
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	got := startReader(t, c, 1).waitFor(t, writers*perWriter)
	for i := uint64(1); i <= writers*perWriter; i++ {
		if got[i] != assigned[i] {
			t.Fatalf("entry %d = %q, assigned %q", i, got[i], assigned[i])
		}
	}
	if last, err := c.LastIndex(timeout(t, 5*time.Second)); err != nil || last != writers*perWriter {
		t.Fatalf("LastIndex = %d, %v", last, err)
	}
}

// lossyLog forwards to a real replica but loses the first reply to each
// Append, so the client has to retry with the same key.
type lossyLog struct {
	wire.UnimplementedLogServer
	real wire.LogClient
	mu   sync.Mutex
	seen map[[2]uint64]bool
}

func (l *lossyLog) Append(ctx context.Context, req *wire.AppendRequest) (*wire.AppendReply, error) {
	reply, err := l.real.Append(ctx, req)
	l.mu.Lock()
	defer l.mu.Unlock()
	key := [2]uint64{req.ClientId, req.Seq}
	if err == nil && !l.seen[key] {
		l.seen[key] = true
		return nil, status.Error(codes.Unavailable, "reply lost")
	}
	return reply, err
}

func (l *lossyLog) Info(ctx context.Context, req *wire.InfoRequest) (*wire.InfoReply, error) {
	return l.real.Info(ctx, req)
}

func TestRetryIsAppliedOnce(t *testing.T) {
	lc := logtest.Start(t, 3)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	wire.RegisterLogServer(srv, &lossyLog{real: lc.Dial(t, 0), seen: make(map[[2]uint64]bool)})
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)

	c := newClient(t, []string{lis.Addr().String()})
	for i := uint64(1); i <= 5; i++ {
		if f, l := appendOK(t, c, "x", "y"); f != 2*i-1 || l != 2*i {
			t.Fatalf("append %d got [%d, %d]", i, f, l)
		}
	}
	if last, err := c.LastIndex(timeout(t, 5*time.Second)); err != nil || last != 10 {
		t.Fatalf("LastIndex = %d, %v; want 10", last, err)
	}
}

func TestFailoverWhenLeaderStops(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a new Raft leader (seconds)")
	}
	lc := logtest.Start(t, 3)
	c := newClient(t, lc.Addrs())
	appendOK(t, c, "before")
	r := startReader(t, c, 1)
	r.waitFor(t, 1)
	lc.StopReplica(lc.WaitLeader(t))
	for i := 0; i < 5; i++ {
		appendOK(t, c, fmt.Sprint(i))
	}
	if got := r.waitFor(t, 6); got[6] != "4" {
		t.Fatalf("read after failover %v", got)
	}
}

func TestReadResumesOnAnotherReplica(t *testing.T) {
	lc := logtest.Start(t, 3)
	c := newClient(t, lc.Addrs())
	for i := 0; i < 10; i++ {
		appendOK(t, c, fmt.Sprint(i))
	}
	c.cur.Store(c.replicas()[1]) // read from replica index 1, then stop it
	r := startReader(t, c, 3)
	r.waitFor(t, 8)
	lc.StopReplica(1)
	for i := 10; i < 20; i++ {
		appendOK(t, c, fmt.Sprint(i))
	}
	got := r.waitFor(t, 18)
	if len(got) != 18 || got[3] != "2" || got[20] != "19" {
		t.Fatalf("resumed read got %d entries: %v", len(got), got)
	}
}

func TestReadTruncated(t *testing.T) {
	lc := logtest.Start(t, 3)
	c := newClient(t, lc.Addrs())
	appendOK(t, c, "a", "b", "c")
	if _, err := lc.Servers[0].Truncate(timeout(t, 5*time.Second), wire.TruncateMode_TRUNCATE_BEFORE, 3); err != nil {
		t.Fatal(err)
	}
	// Replicas apply the truncation at their own pace: retry until the one
	// read from has.
	errEntry := errors.New("entry delivered")
	var err error
	testutil.Eventually(t, 5*time.Second, 10*time.Millisecond, func() error {
		err = c.Read(timeout(t, 5*time.Second), 1, func(uint64, []byte) error { return errEntry })
		if errors.Is(err, errEntry) {
			return errors.New("the replica read from has not applied the truncation")
		}
		return nil
	})
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("read of a truncated index: %v", err)
	}
}

func TestReadCallbackError(t *testing.T) {
	lc := logtest.Start(t, 3)
	c := newClient(t, lc.Addrs())
	appendOK(t, c, "a", "b")
	stop := errors.New("stop")
	var n int
	err := c.Read(timeout(t, 5*time.Second), 0, func(i uint64, _ []byte) error {
		if n++; i == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Fatalf("read returned %v after %d entries", err, n)
	}
}

func TestInfoReportsLeader(t *testing.T) {
	lc := logtest.Start(t, 3)
	c := newClient(t, lc.Addrs())
	leader := lc.WaitLeader(t)
	info, err := c.Info(timeout(t, 5*time.Second), true) // true: the replica knows the leader
	if err != nil || info.LeaderId != uint64(leader+1) || len(info.Members) != 3 {
		t.Fatalf("info %v, %v; leader %d", info, err, leader+1)
	}
}

func TestAppendGivesUpWithContext(t *testing.T) {
	c := newClient(t, []string{logtest.FreeAddr(t)}) // nothing listens there
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, _, err := c.Append(ctx, [][]byte{[]byte("x")})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("append to nowhere: %v", err)
	}
}

// readsServed returns how many Read streams each replica has served.
func readsServed(t *testing.T, lc *logtest.Cluster) []float64 {
	t.Helper()
	var out []float64
	for i, cfg := range lc.Configs {
		mfs, err := cfg.Registry.Gather()
		if err != nil {
			t.Fatalf("replica %d metrics: %v", i+1, err)
		}
		n := 0.0
		for _, mf := range mfs {
			if mf.GetName() == "akutan_log_reads_total" {
				n = mf.GetMetric()[0].GetCounter().GetValue()
			}
		}
		out = append(out, n)
	}
	return out
}

func TestPreferredDC(t *testing.T) {
	lc := logtest.Start(t, 3, logtest.WithDCs("east", "west", "north"), logtest.WithRegistries())
	c := newClient(t, lc.Addrs(), WithPreferredDC("west"))
	appendOK(t, c, "a")
	// A replica that was slow once (a loaded machine) is passed over until
	// it answers again, at least suspectFor (10 s), so the preference shows
	// once west has answered: allow three times that.
	testutil.Eventually(t, 3*suspectFor, 50*time.Millisecond, func() error {
		info, err := c.Info(timeout(t, 5*time.Second), false)
		if err == nil && (info.ReplicaId != 2 || info.Dc != "west") {
			err = fmt.Errorf("Info answered by replica %d in %q; want replica 2 in west", info.GetReplicaId(), info.GetDc())
		}
		return err
	})
	for attempt := 0; attempt < 5; attempt++ { // and keeps being used
		info, err := c.Info(timeout(t, 5*time.Second), false)
		if err != nil || info.ReplicaId != 2 || info.Dc != "west" {
			t.Fatalf("Info answered by replica %d in %q (%v); want replica 2 in west", info.GetReplicaId(), info.GetDc(), err)
		}
	}
	r := startReader(t, c, 1)
	r.waitFor(t, 1)
	if got := readsServed(t, lc); got[0] != 0 || got[1] != 1 || got[2] != 0 {
		t.Fatalf("read streams served per replica %v; want only west's (replica 2)", got)
	}
	// With west down, reading falls back to another datacenter.
	lc.StopReplica(1)
	appendOK(t, c, "b")
	if got := r.waitFor(t, 2); got[2] != "b" {
		t.Fatalf("read after west stopped: %v", got)
	}
}

// stuckLog accepts append streams and never reads them, like a replica
// that hangs with its connection still open.
type stuckLog struct {
	wire.UnimplementedLogServer
}

func (stuckLog) AppendStream(stream wire.Log_AppendStreamServer) error {
	<-stream.Context().Done()
	return nil
}

// TestAppendToStuckReplicaEndsWithContext checks that an append blocked
// by flow control on a stream nobody reads still ends with its context,
// and that the next append gets a new stream rather than the stuck one's
// queue.
func TestAppendToStuckReplicaEndsWithContext(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a stuck replica's deadline (seconds)")
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	wire.RegisterLogServer(srv, stuckLog{})
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)

	c := newClient(t, []string{lis.Addr().String()}, WithAttemptTimeout(200*time.Millisecond))
	big := [][]byte{make([]byte, 8<<20)} // more than any flow-control window
	for round := range 2 {
		done := make(chan error, 1)
		go func() {
			_, _, err := c.Append(timeout(t, time.Second), big)
			done <- err
		}()
		select {
		case err := <-done:
			if status.Code(errors.Unwrap(err)) != codes.DeadlineExceeded && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("round %d: append to a stuck replica: %v", round, err)
			}
		case <-time.After(20 * time.Second): // keepalive would take 40 s
			t.Fatalf("round %d: append to a stuck replica did not end with its context", round)
		}
	}
}

// TestCloseWhileConnecting checks that Close does not wait for a stream
// still being opened to a replica that accepts connections and never
// answers (its gRPC handshake would take 20 s to give up).
func TestCloseWhileConnecting(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lis.Close() })
	go func() {
		for {
			conn, err := lis.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()
	c, err := New([]string{lis.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Append(timeout(t, 200*time.Millisecond), [][]byte{[]byte("x")}); err == nil {
		t.Fatal("append to a silent replica succeeded")
	}
	closed := make(chan struct{})
	go func() {
		c.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for the stream being opened")
	}
}

// TestClientFollowsMembership checks that a client given one replica's
// address finds the others from the log's directory, and that after the
// replicas it started with are removed and replaced it still appends and
// reads, with no new client.
func TestClientFollowsMembership(t *testing.T) {
	if testing.Short() {
		t.Skip("changes the membership of an in-process Raft cluster (seconds)")
	}
	lc := logtest.Start(t, 3)
	lc.WaitLeader(t)
	c := newClient(t, lc.Addrs()[:1])
	appendOK(t, c, "a")
	testutil.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		c.lastDiscover.Store(0)
		c.discover(context.Background(), true)
		if got := len(c.Addrs()); got != 3 {
			return fmt.Errorf("the client uses %v, want the 3 replicas", c.Addrs())
		}
		return nil
	})
	r := startReader(t, c, 1)
	added := lc.Join(t)
	ctx := timeout(t, 20*time.Second)
	for _, id := range []uint64{1, 2} {
		if _, err := c.RemoveReplica(ctx, id); err != nil {
			t.Fatalf("removing replica %d: %v", id, err)
		}
		lc.StopReplica(int(id - 1))
	}
	want := lc.Addrs()[added]
	testutil.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		c.lastDiscover.Store(0)
		c.discover(context.Background(), true)
		addrs := fmt.Sprint(c.Addrs())
		if strings.Contains(addrs, want) && !strings.Contains(addrs, lc.Addrs()[0]) {
			return nil
		}
		return fmt.Errorf("the client uses %s, want %s in and replica 1 out", addrs, want)
	})
	for i := 0; i < 5; i++ {
		appendOK(t, c, fmt.Sprint("after", i))
	}
	r.waitFor(t, 6)
}
