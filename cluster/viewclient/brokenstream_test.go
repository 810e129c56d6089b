package viewclient_test

import (
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// scriptedView answers LookupSP with one fact per lookup, its ID the
// view's id. A breaking view streams the first lookup's fact, then fails
// the stream as a view dying mid-request would.
type scriptedView struct {
	wire.UnimplementedViewServer
	id       uint64
	breaking bool
	calls    atomic.Int64
}

func (v *scriptedView) LookupSP(req *wire.LookupSPRequest, st wire.View_LookupSPServer) error {
	v.calls.Add(1)
	for i, l := range req.Lookups {
		fact := storage.Fact{Index: 1, ID: v.id, Subject: l.Subject, Predicate: l.Predicate, Object: storage.AInt64(int64(i), 0)}
		if err := st.Send(&wire.LookupChunk{Matches: []*wire.Match{{Lookup: uint32(i), Fact: wire.FromFact(fact)}}}); err != nil {
			return err
		}
		if v.breaking {
			return status.Error(codes.Unavailable, "view going away")
		}
	}
	return nil
}

// Scan answers with three facts in three chunks, the view's id their IDs'
// high bits; a breaking view fails after the first.
func (v *scriptedView) Scan(req *wire.ScanRequest, st wire.View_ScanServer) error {
	v.calls.Add(1)
	for i := range uint64(3) {
		fact := storage.Fact{Index: 1, ID: v.id<<8 | i, Subject: 10 + i, Predicate: 2, Object: storage.AInt64(int64(i), 0)}
		if err := st.Send(&wire.LookupChunk{Matches: []*wire.Match{{Lookup: 0, Fact: wire.FromFact(fact)}}}); err != nil {
			return err
		}
		if v.breaking {
			return status.Error(codes.Unavailable, "view going away")
		}
	}
	return nil
}

// serveScripted serves v on a loopback port until the test ends and
// returns the gossip member that lists it as a replica of all of HashSP.
func serveScripted(t *testing.T, v *scriptedView, dc string) gossip.Member {
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
	full := space.Full()
	return gossip.Member{Name: lis.Addr().String(), Meta: gossip.Meta{Role: "view", Space: string(space.HashSP), DC: dc,
		RangeStart: full.Start, RangeEnd: full.End, GRPCAddr: lis.Addr().String(), Serving: true, AppliedIndex: 1}}
}

// TestBrokenStreamIsDiscarded: the preferred replica streams part of its
// answer and then fails. The lookups are answered again by the other
// replica, and only its facts are emitted, each once: nothing of the
// broken stream gets through.
func TestBrokenStreamIsDiscarded(t *testing.T) {
	breaking := &scriptedView{id: 666, breaking: true}
	good := &scriptedView{id: 7}
	members := []gossip.Member{serveScripted(t, breaking, "here"), serveScripted(t, good, "there")}
	vc, err := viewclient.New(func() []gossip.Member { return members },
		viewclient.WithLocalDC("here"), viewclient.WithHedging(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vc.Close)
	lookups := []viewclient.SP{{Subject: 1, Predicate: 2}, {Subject: 3, Predicate: 4}, {Subject: 5, Predicate: 6}}
	var got []int
	err = vc.LookupSP(timeout(t, 20*time.Second), 1, lookups, func(i int, f storage.Fact) {
		if f.ID != good.id {
			t.Errorf("lookup %d: emitted fact %d from the broken stream", i, f.ID)
		}
		got = append(got, i)
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("emitted lookups %v, want each of 0, 1, 2 once", got)
	}
	if breaking.calls.Load() != 1 || good.calls.Load() != 1 {
		t.Fatalf("calls: breaking view %d, good view %d; want one each", breaking.calls.Load(), good.calls.Load())
	}
}

// TestBrokenScanIsDiscarded: a scan whose stream breaks after a chunk is
// asked again of the other replica, and only that replica's facts are
// emitted, each once.
func TestBrokenScanIsDiscarded(t *testing.T) {
	breaking := &scriptedView{id: 66, breaking: true}
	good := &scriptedView{id: 7}
	members := []gossip.Member{serveScripted(t, breaking, "here"), serveScripted(t, good, "there")}
	vc, err := viewclient.New(func() []gossip.Member { return members },
		viewclient.WithLocalDC("here"), viewclient.WithHedging(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vc.Close)
	var got []uint64
	err = vc.Scan(timeout(t, 20*time.Second), 1, func(i int, f storage.Fact) {
		if i != 0 || f.ID>>8 != good.id {
			t.Errorf("emitted lookup %d, fact %d: not from the good view's scan", i, f.ID)
		}
		got = append(got, f.Subject)
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, []uint64{10, 11, 12}) {
		t.Fatalf("emitted subjects %v, want each of 10, 11, 12 once", got)
	}
	if breaking.calls.Load() != 1 || good.calls.Load() != 1 {
		t.Fatalf("calls: breaking view %d, good view %d; want one each", breaking.calls.Load(), good.calls.Load())
	}
}
