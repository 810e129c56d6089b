package logclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/roles/logserver/logtest"
	"github.com/akutan-dev/akutan/wire"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

// freezable stands in front of a real replica and forwards to it until
// frozen; from then on it answers nothing and fails nothing, keeping its
// connections open, like a replica process stopped with SIGSTOP.
type freezable struct {
	wire.UnimplementedLogServer
	wire.UnimplementedLogAdminServer
	real   wire.LogClient
	admin  wire.LogAdminClient
	frozen atomic.Bool

	appends atomic.Int64 // append requests received, by call or stream
	reads   atomic.Int64 // Read streams opened
}

// startFreezable serves a freezable in front of replica i of lc and
// returns it with its address.
func startFreezable(t *testing.T, lc *logtest.Cluster, i int) (*freezable, string) {
	t.Helper()
	f := &freezable{real: lc.Dial(t, i), admin: lc.DialAdmin(t, i)}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	wire.RegisterLogServer(srv, f)
	wire.RegisterLogAdminServer(srv, f)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return f, lis.Addr().String()
}

func (f *freezable) freeze() { f.frozen.Store(true) }

// thaw makes the replica answer calls made from now on.
func (f *freezable) thaw() { f.frozen.Store(false) }

// hang waits until ctx ends if the replica is frozen, and reports whether
// it was: a frozen replica answers nothing.
func (f *freezable) hang(ctx context.Context) bool {
	if !f.frozen.Load() {
		return false
	}
	<-ctx.Done()
	return true
}

func (f *freezable) Info(ctx context.Context, req *wire.InfoRequest) (*wire.InfoReply, error) {
	if f.hang(ctx) {
		return nil, ctx.Err()
	}
	return f.real.Info(ctx, req)
}

func (f *freezable) Append(ctx context.Context, req *wire.AppendRequest) (*wire.AppendReply, error) {
	f.appends.Add(1)
	if f.hang(ctx) {
		return nil, ctx.Err()
	}
	return f.real.Append(ctx, req)
}

// AppendStream forwards each request as an Append call; frozen, it still
// takes requests off the stream (so that flow control does not stop the
// client) but answers none.
func (f *freezable) AppendStream(stream wire.Log_AppendStreamServer) error {
	ctx := stream.Context()
	var sendMu sync.Mutex
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		req, err := stream.Recv()
		if err != nil {
			return nil
		}
		f.appends.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if f.hang(ctx) {
				return
			}
			reply := &wire.AppendStreamReply{ClientId: req.ClientId, Seq: req.Seq}
			if r, err := f.real.Append(ctx, req); err != nil {
				reply.Code, reply.Message = uint32(codes.Unavailable), err.Error()
			} else {
				reply.FirstIndex, reply.LastIndex = r.FirstIndex, r.LastIndex
			}
			sendMu.Lock()
			defer sendMu.Unlock()
			_ = stream.Send(reply)
		}()
	}
}

// Read forwards the real replica's stream until frozen.
func (f *freezable) Read(req *wire.ReadRequest, stream wire.Log_ReadServer) error {
	f.reads.Add(1)
	ctx := stream.Context()
	if f.hang(ctx) {
		return ctx.Err()
	}
	from, err := f.real.Read(ctx, req)
	if err != nil {
		return err
	}
	for {
		reply, err := from.Recv()
		if err != nil {
			return err
		}
		if f.hang(ctx) {
			return ctx.Err()
		}
		if err := stream.Send(reply); err != nil {
			return err
		}
	}
}

func (f *freezable) Members(ctx context.Context, req *wire.MembersRequest) (*wire.MembersReply, error) {
	if f.hang(ctx) {
		return nil, ctx.Err()
	}
	return f.admin.Members(ctx, req)
}

// clientBehind returns a client for [front, replicas 1 and 2 of lc] that
// starts every call with front, as if it were the leader.
func clientBehind(t *testing.T, lc *logtest.Cluster, front string, opts ...Option) *Client {
	t.Helper()
	c := newClient(t, []string{front, lc.Addrs()[1], lc.Addrs()[2]}, opts...)
	c.cur.Store(c.replicas()[0])
	c.leader.Store(c.replicas()[0])
	c.lastDiscover.Store(time.Now().UnixNano()) // no discovery: it would find the real leader
	return c
}

// TestAppendHedgesPastFrozenReplica checks that an append to a replica
// that never answers is also sent to another, and succeeds there long
// before its attempt would time out (an hour), applied once; that the
// frozen replica is then passed over by the next appends, also once its
// time as a suspect has passed; and that it is taken back once it answers.
func TestAppendHedgesPastFrozenReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out a frozen replica of an in-process Raft cluster (seconds)")
	}
	lc := logtest.Start(t, 3)
	front, addr := startFreezable(t, lc, 0)
	c := clientBehind(t, lc, addr, WithAttemptTimeout(time.Hour))
	if f, l := appendOK(t, c, "before"); f != 1 || l != 1 {
		t.Fatalf("append before the freeze got [%d, %d]", f, l)
	}
	front.freeze()
	// However the first append went, the next starts with the frozen one.
	c.replicas()[0].suspectUntil.Store(0)
	c.leader.Store(c.replicas()[0])
	before := front.appends.Load()
	for i := uint64(2); i <= 6; i++ {
		if f, l := appendOK(t, c, fmt.Sprint(i)); f != i || l != i {
			t.Fatalf("append %d after the freeze got [%d, %d]", i, f, l)
		}
	}
	if got := front.appends.Load() - before; got != 1 {
		t.Fatalf("the frozen replica received %d appends, want 1 (then it is suspect)", got)
	}
	// Past its time as a suspect, it gets no call until it answers a check.
	c.replicas()[0].suspectUntil.Store(1)
	for i := uint64(7); i <= 9; i++ {
		appendOK(t, c, fmt.Sprint(i))
	}
	if got := front.appends.Load() - before; got != 1 {
		t.Fatalf("the frozen replica received %d appends, want still 1", got)
	}
	front.thaw()
	testutil.Eventually(t, 15*time.Second, 10*time.Millisecond, func() error {
		if c.replicas()[0].suspectUntil.Load() == 0 {
			return nil
		}
		appendOK(t, c, "x") // order() notices the suspicion has expired
		return errors.New("the thawed replica is still suspect")
	})
	if last, err := c.LastIndex(timeout(t, 15*time.Second)); err != nil || last < 9 {
		t.Fatalf("LastIndex = %d, %v; want at least 9", last, err)
	}
}

// TestShortDeadlineFailsOver checks that a call whose deadline is shorter
// than the attempt timeout (5 s) still leaves itself time to try another
// replica when the first never answers: hedged calls (Append, Info) hedge
// within the deadline even with an hour's hedge delay, and unhedged ones
// (the management calls) give each attempt half the time left.
func TestShortDeadlineFailsOver(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out a frozen replica of an in-process Raft cluster (seconds)")
	}
	lc := logtest.Start(t, 3)
	front, addr := startFreezable(t, lc, 0)
	front.freeze()
	const deadline = 2 * time.Second
	calls := map[string]func(c *Client, ctx context.Context) error{
		"Append": func(c *Client, ctx context.Context) error {
			_, _, err := c.Append(ctx, logtest.Entries("x"))
			return err
		},
		"Info": func(c *Client, ctx context.Context) error {
			_, err := c.Info(ctx, true)
			return err
		},
		"Members": func(c *Client, ctx context.Context) error {
			_, err := c.Members(ctx)
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			c := clientBehind(t, lc, addr, WithHedgeDelay(time.Hour))
			if err := call(c, timeout(t, deadline)); err != nil {
				t.Fatalf("%s with a %v deadline and the first replica frozen: %v", name, deadline, err)
			}
		})
	}
}

// TestReadResumesAfterReplicaFreezes checks that a Read tailing a replica
// that freezes mid-stream resumes on another, delivering every entry once
// and in order.
func TestReadResumesAfterReplicaFreezes(t *testing.T) {
	lc := logtest.Start(t, 3)
	front, addr := startFreezable(t, lc, 0)
	c := clientBehind(t, lc, addr, WithReadSilence(200*time.Millisecond))
	w := newClient(t, lc.Addrs())
	r := startReader(t, c, 1)
	for i := 0; i < 5; i++ {
		appendOK(t, w, fmt.Sprint(i))
	}
	r.waitFor(t, 5)
	front.freeze()
	for i := 5; i < 10; i++ {
		appendOK(t, w, fmt.Sprint(i))
	}
	got := r.waitFor(t, 10)
	for i := uint64(1); i <= 10; i++ {
		if got[i] != fmt.Sprint(i-1) {
			t.Fatalf("entry %d = %q after the freeze; all: %v", i, got[i], got)
		}
	}
	if n := front.reads.Load(); n != 1 {
		t.Fatalf("%d Read streams opened on the frozen replica, want 1", n)
	}
}

// quietReplica is an older replica tailing an idle log: its Read stream
// sends nothing (no heartbeats) and it answers Info.
type quietReplica struct {
	wire.UnimplementedLogServer
	infos, reads atomic.Int64
}

func (q *quietReplica) Info(context.Context, *wire.InfoRequest) (*wire.InfoReply, error) {
	q.infos.Add(1)
	return &wire.InfoReply{ReplicaId: 1}, nil
}

func (q *quietReplica) Read(_ *wire.ReadRequest, stream wire.Log_ReadServer) error {
	q.reads.Add(1)
	<-stream.Context().Done()
	return nil
}

// TestSilentLiveReplicaKeepsItsStream checks that a Read stream that is
// silent because its replica (without heartbeats) has nothing to send is
// kept while the replica answers the checks.
func TestSilentLiveReplicaKeepsItsStream(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	q := &quietReplica{}
	srv := grpc.NewServer()
	wire.RegisterLogServer(srv, q)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)

	c := newClient(t, []string{lis.Addr().String()}, WithReadSilence(20*time.Millisecond))
	r := startReader(t, c, 1)
	deadline := time.Now().Add(15 * time.Second)
	for q.infos.Load() < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("the silent stream was checked %d times in 15 s, want 5", q.infos.Load())
		}
		select {
		case <-r.ended:
			t.Fatalf("read ended: %v", r.err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if n := q.reads.Load(); n != 1 {
		t.Fatalf("%d Read streams opened on a live replica with nothing to send, want 1", n)
	}
}

// TestHedgedAppendsExactlyOnce hedges nearly every append (after 1 ms) to
// a second and third replica: each must still be applied exactly once.
func TestHedgedAppendsExactlyOnce(t *testing.T) {
	lc := logtest.Start(t, 3)
	concurrentAppendsExactlyOnce(t, lc, newClient(t, lc.Addrs(), WithHedgeDelay(time.Millisecond)))
}
