package viewclient_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// Streamed replies: the view streams streamFacts facts, streamChunk per
// chunk, to Scan and LookupP alike (LookupP's lookup 0 is asked).
const (
	streamFacts = 600
	streamChunk = 5
)

// streamFact is fact number i of a streamed reply: the same from every
// view, so that a fact emitted twice shows.
func streamFact(i int) storage.Fact {
	return storage.Fact{Index: 1, ID: uint64(100000 + i), Subject: uint64(5000 + i), Predicate: 7,
		Object: storage.AInt64(int64(i), 0)}
}

// streamingView streams the streamFacts facts. Until release is closed
// it sends only the first gateAfter facts (0: no gate), then waits, so
// that a client that emits nothing before the whole reply arrived never
// gets the rest. A view with breakAfter > 0 fails its stream (Unavailable)
// once it has sent that many facts (all of them: at the end). delay holds its first chunk back.
type streamingView struct {
	wire.UnimplementedViewServer
	gateAfter  int
	release    chan struct{}
	breakAfter int
	delay      time.Duration

	calls     atomic.Int64
	gated     atomic.Int64 // streams waiting at the gate
	cancelled atomic.Int64 // streams the client closed before the end
}

func (v *streamingView) stream(ctx context.Context, send func(*wire.LookupChunk) error) error {
	v.calls.Add(1)
	if v.delay > 0 {
		select {
		case <-time.After(v.delay):
		case <-ctx.Done():
			v.cancelled.Add(1)
			return ctx.Err()
		}
	}
	for i := 0; i < streamFacts; i += streamChunk {
		if v.gateAfter > 0 && i == v.gateAfter {
			v.gated.Add(1)
			select {
			case <-v.release:
			case <-ctx.Done():
				v.cancelled.Add(1)
				return ctx.Err()
			case <-time.After(10 * time.Second):
				return status.Error(codes.DeadlineExceeded, "the client never emitted the first facts of the reply")
			}
		}
		if v.breakAfter > 0 && i >= v.breakAfter {
			return status.Error(codes.Unavailable, "view going away mid-stream")
		}
		var chunk wire.LookupChunk
		for j := i; j < min(i+streamChunk, streamFacts); j++ {
			chunk.Matches = append(chunk.Matches, &wire.Match{Lookup: 0, Fact: wire.FromFact(streamFact(j))})
		}
		if err := send(&chunk); err != nil {
			v.cancelled.Add(1)
			return err
		}
	}
	if v.breakAfter >= streamFacts {
		return status.Error(codes.Unavailable, "view going away at the end of its reply")
	}
	return nil
}

func (v *streamingView) Scan(_ *wire.ScanRequest, st wire.View_ScanServer) error {
	return v.stream(st.Context(), st.Send)
}

func (v *streamingView) LookupP(_ *wire.LookupPRequest, st wire.View_LookupPServer) error {
	return v.stream(st.Context(), st.Send)
}

// serveStreaming serves v on a loopback port until the test ends and
// returns the gossip members that list it as a replica of r in both
// HashSP and HashPO.
func serveStreaming(t *testing.T, v *streamingView, dc string, r space.Range) []gossip.Member {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	wire.RegisterViewServer(srv, v)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	var out []gossip.Member
	for _, sp := range []space.Space{space.HashSP, space.HashPO} {
		out = append(out, gossip.Member{Name: lis.Addr().String() + string(sp), Meta: gossip.Meta{Role: "view", Space: string(sp), DC: dc,
			RangeStart: r.Start, RangeEnd: r.End, GRPCAddr: lis.Addr().String(), Serving: true, AppliedIndex: 1}})
	}
	return out
}

func streamClient(t *testing.T, members []gossip.Member, opts ...viewclient.Option) *viewclient.Client {
	t.Helper()
	vc, err := viewclient.New(func() []gossip.Member { return members }, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vc.Close)
	return vc
}

// coverLookups are the lookups that stream: Scan and LookupP.
var coverLookups = []struct {
	name string
	sp   space.Space
	run  func(context.Context, *viewclient.Client, viewclient.Emit) error
}{
	{"Scan", space.HashSP, func(ctx context.Context, vc *viewclient.Client, emit viewclient.Emit) error {
		return vc.Scan(ctx, 1, emit)
	}},
	{"LookupP", space.HashPO, func(ctx context.Context, vc *viewclient.Client, emit viewclient.Emit) error {
		return vc.LookupP(ctx, 1, []uint64{7}, emit)
	}},
}

// checkEachOnce fails the test unless got holds every fact of the reply
// exactly once.
func checkEachOnce(t *testing.T, what string, got map[uint64]int) {
	t.Helper()
	for i := range streamFacts {
		if n := got[streamFact(i).ID]; n != 1 {
			t.Fatalf("%s: fact %d emitted %d times, want once (%d distinct facts emitted)", what, i, n, len(got))
		}
	}
	if len(got) != streamFacts {
		t.Fatalf("%s: %d distinct facts emitted, want %d", what, len(got), streamFacts)
	}
}

// TestCoverStreamsLargeReply: two views split the space, and each streams
// its whole reply (every fact, both halves) but sends the rest only once
// the client has emitted some: the client emits before the replies end,
// and keeps only each view's half, so every fact comes out once.
func TestCoverStreamsLargeReply(t *testing.T) {
	for _, l := range coverLookups {
		t.Run(l.name, func(t *testing.T) {
			release := make(chan struct{})
			lo := &streamingView{gateAfter: 100, release: release}
			hi := &streamingView{gateAfter: 100, release: release}
			full := space.Full()
			mid := full.End / 2
			members := append(serveStreaming(t, lo, "here", space.Range{Start: 0, End: mid}),
				serveStreaming(t, hi, "here", space.Range{Start: mid + 1, End: full.End})...)
			vc := streamClient(t, members, viewclient.WithStreamAfter(20))
			got := map[uint64]int{}
			var once sync.Once
			err := l.run(timeout(t, 20*time.Second), vc, func(i int, f storage.Fact) {
				if i != 0 {
					t.Errorf("emitted lookup %d", i)
				}
				got[f.ID]++
				once.Do(func() { close(release) })
			})
			if err != nil {
				t.Fatalf("%s: %v", l.name, err)
			}
			checkEachOnce(t, l.name, got)
			if lo.calls.Load() != 1 || hi.calls.Load() != 1 {
				t.Fatalf("calls: %d and %d, want one each", lo.calls.Load(), hi.calls.Load())
			}
		})
	}
}

// TestCoverReplyAtThreshold: a reply of exactly the threshold is held
// whole, as before streaming existed: a view that fails at its end is
// discarded and its lookups asked again of the other replica, each fact
// emitted once.
func TestCoverReplyAtThreshold(t *testing.T) {
	checkRetriedOnOtherReplica(t, streamFacts, streamFacts)
}

// TestStreamBreakFailsLookup: a view whose stream breaks after the client
// started streaming it fails the lookup (with what failed), and its
// lookups are not asked again of the other replica: the facts emitted
// already would be emitted twice.
func TestStreamBreakFailsLookup(t *testing.T) {
	for _, l := range coverLookups {
		t.Run(l.name, func(t *testing.T) {
			breaking := &streamingView{breakAfter: 200}
			good := &streamingView{}
			members := append(serveStreaming(t, breaking, "here", space.Full()), serveStreaming(t, good, "there", space.Full())...)
			vc := streamClient(t, members, viewclient.WithLocalDC("here"), viewclient.WithHedging(false), viewclient.WithStreamAfter(20))
			got := map[uint64]int{}
			err := l.run(timeout(t, 20*time.Second), vc, func(_ int, f storage.Fact) { got[f.ID]++ })
			if err == nil {
				t.Fatalf("%s: a broken stream answered %d facts and no error", l.name, len(got))
			}
			if !strings.Contains(err.Error(), "going away") {
				t.Errorf("%s: error %v does not carry the view's", l.name, err)
			}
			if !strings.Contains(err.Error(), "failed after 200 facts of a streamed reply") {
				t.Errorf("%s: error %q does not say what failed", l.name, err)
			}
			if good.calls.Load() != 0 {
				t.Errorf("%s: the other replica was asked %d times after the stream broke", l.name, good.calls.Load())
			}
			for id, n := range got {
				if n != 1 {
					t.Errorf("%s: fact %d emitted %d times", l.name, id, n)
				}
			}
		})
	}
}

// TestStreamBreakBeforeThresholdRetried: a stream that breaks before the
// client holds the threshold's worth is discarded and asked again of the
// other replica, transparently: every fact once.
func TestStreamBreakBeforeThresholdRetried(t *testing.T) {
	checkRetriedOnOtherReplica(t, 200, 300)
}

// checkRetriedOnOtherReplica runs every cover lookup against a preferred
// view whose stream breaks after breakAfter facts and another that answers
// whole, with the client streaming only replies longer than streamAfter:
// the broken reply must be discarded and asked again of the other view,
// each fact emitted once, each view asked once.
func checkRetriedOnOtherReplica(t *testing.T, breakAfter, streamAfter int) {
	t.Helper()
	for _, l := range coverLookups {
		t.Run(l.name, func(t *testing.T) {
			breaking := &streamingView{breakAfter: breakAfter}
			good := &streamingView{}
			members := append(serveStreaming(t, breaking, "here", space.Full()), serveStreaming(t, good, "there", space.Full())...)
			vc := streamClient(t, members, viewclient.WithLocalDC("here"), viewclient.WithHedging(false), viewclient.WithStreamAfter(streamAfter))
			got := map[uint64]int{}
			if err := l.run(timeout(t, 20*time.Second), vc, func(_ int, f storage.Fact) { got[f.ID]++ }); err != nil {
				t.Fatalf("%s: %v", l.name, err)
			}
			checkEachOnce(t, l.name, got)
			if breaking.calls.Load() != 1 || good.calls.Load() != 1 {
				t.Fatalf("calls: breaking %d, good %d; want one each", breaking.calls.Load(), good.calls.Load())
			}
		})
	}
}

// TestStreamHedgedOnce: the preferred view is slow to start, so the call
// is hedged to the other; both replies stream. Every fact is emitted
// once, and the losing stream is closed.
func TestStreamHedgedOnce(t *testing.T) {
	for _, l := range coverLookups {
		t.Run(l.name, func(t *testing.T) {
			slow := &streamingView{delay: 300 * time.Millisecond}
			fast := &streamingView{}
			members := append(serveStreaming(t, slow, "here", space.Full()), serveStreaming(t, fast, "there", space.Full())...)
			cfg := fanout.Config{HedgeInitial: 20 * time.Millisecond, HedgeFloor: time.Millisecond, HedgeCap: 20 * time.Millisecond}
			vc := streamClient(t, members, viewclient.WithFanoutConfig(cfg), viewclient.WithLocalDC("here"), viewclient.WithStreamAfter(20))
			got := map[uint64]int{}
			// The emit is slow enough that the slow view's reply fills its
			// buffer while the fast one is still being emitted.
			err := l.run(timeout(t, 20*time.Second), vc, func(_ int, f storage.Fact) {
				got[f.ID]++
				if len(got) == 30 {
					time.Sleep(600 * time.Millisecond)
				}
			})
			if err != nil {
				t.Fatalf("%s: %v", l.name, err)
			}
			checkEachOnce(t, l.name, got)
			if slow.calls.Load() != 1 || fast.calls.Load() != 1 {
				t.Fatalf("calls: slow %d, fast %d; want one each (a hedge)", slow.calls.Load(), fast.calls.Load())
			}
			if vc.Stats().HedgesWon == 0 {
				t.Errorf("the hedge did not win: %+v", vc.Stats())
			}
		})
	}
}

// TestStreamAbandonedClosed: a lookup whose context ends while it streams
// fails with the context's error, and closes the view's stream.
func TestStreamAbandonedClosed(t *testing.T) {
	v := &streamingView{gateAfter: 100, release: make(chan struct{})}
	vc := streamClient(t, serveStreaming(t, v, "here", space.Full()), viewclient.WithStreamAfter(20))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	err := vc.Scan(ctx, 1, func(int, storage.Fact) {
		if n++; n == 50 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Scan cancelled mid-stream: %v, want context.Canceled", err)
	}
	if n > 100 {
		t.Fatalf("emitted %d facts, more than the view sent", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for v.cancelled.Load() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the view's stream was not closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLosingStreamClosed: two replicas of one half both stream (one is a
// hedge) and return while the fanout delivers the other half; the one
// delivered first wins, and the other's stream is closed as soon as the
// winner is delivered, not when the lookup ends. Every fact comes out
// once.
func TestLosingStreamClosed(t *testing.T) {
	release := make(chan struct{})
	full := space.Full()
	mid := full.End / 2
	lo := &streamingView{delay: 100 * time.Millisecond}
	a := &streamingView{delay: 300 * time.Millisecond, gateAfter: 100, release: release}
	b := &streamingView{delay: 300 * time.Millisecond, gateAfter: 100, release: release}
	members := serveStreaming(t, lo, "here", space.Range{Start: 0, End: mid})
	members = append(members, serveStreaming(t, a, "here", space.Range{Start: mid + 1, End: full.End})...)
	members = append(members, serveStreaming(t, b, "there", space.Range{Start: mid + 1, End: full.End})...)
	cfg := fanout.Config{HedgeInitial: 10 * time.Millisecond, HedgeFloor: time.Millisecond, HedgeCap: 10 * time.Millisecond}
	vc := streamClient(t, members, viewclient.WithFanoutConfig(cfg), viewclient.WithLocalDC("here"), viewclient.WithStreamAfter(20))
	waitFor := func(what string, cond func() bool) {
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Errorf("timed out waiting until %s", what)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	got := map[uint64]int{}
	var upper bool
	err := vc.Scan(timeout(t, 20*time.Second), 1, func(_ int, f storage.Fact) {
		got[f.ID]++
		if len(got) == 1 {
			// The lower half is being delivered: let both replicas of the
			// upper half return their streaming calls meanwhile.
			waitFor("both upper replicas stream", func() bool { return a.gated.Load() == 1 && b.gated.Load() == 1 })
			time.Sleep(200 * time.Millisecond)
		}
		if !upper && space.HashSP.Hash(f) > mid {
			upper = true
			waitFor("the losing stream is closed", func() bool { return a.cancelled.Load()+b.cancelled.Load() == 1 })
			close(release)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	checkEachOnce(t, "Scan", got)
	if a.calls.Load() != 1 || b.calls.Load() != 1 || lo.calls.Load() != 1 {
		t.Fatalf("calls: %d, %d and %d, want one each", lo.calls.Load(), a.calls.Load(), b.calls.Load())
	}
}
