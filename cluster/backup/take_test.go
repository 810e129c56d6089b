package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/cluster/boot"
	"github.com/akutan-dev/akutan/cluster/members"
	"github.com/akutan-dev/akutan/gossip"
	bkstore "github.com/akutan-dev/akutan/storage/backup"
	"github.com/akutan-dev/akutan/storage/viewstore"
	"github.com/akutan-dev/akutan/wire"
)

// fakeView serves ViewBoot.Load with n made-up keys; with dieAfter > 0
// it fails the stream after that many chunks, as a view going away does.
type fakeView struct {
	wire.UnimplementedViewBootServer
	n, dieAfter int
	mu          sync.Mutex
	loads       int
}

func (v *fakeView) Load(req *wire.LoadRequest, st wire.ViewBoot_LoadServer) error {
	v.mu.Lock()
	v.loads++
	v.mu.Unlock()
	var sum uint64
	chunks := 0
	for i := 0; i < v.n; i += 100 {
		var keys [][]byte
		for j := i; j < min(i+100, v.n); j++ {
			k := []byte(fmt.Sprintf("%s-key-%06d", req.Space, j))
			keys = append(keys, k)
			sum += viewstore.EntryDigest(k, nil)
		}
		if v.dieAfter > 0 && chunks == v.dieAfter {
			return status.Error(codes.Unavailable, "the view stopped serving during the load")
		}
		if err := st.Send(&wire.LoadChunk{Keys: keys}); err != nil {
			return err
		}
		chunks++
	}
	return st.Send(&wire.LoadChunk{Done: true, Count: uint64(v.n), Digest: sum, LogVersion: 3, LogVersionIndex: 1})
}

// fakeAPI serves the gossip members.
type fakeAPI struct {
	wire.UnimplementedStatusServer
	members []members.Member
}

func (a *fakeAPI) GossipMembers(context.Context, *wire.GossipMembersRequest) (*wire.GossipMembersReply, error) {
	b, err := json.Marshal(members.Response{Members: a.members})
	return &wire.GossipMembersReply{Json: b}, err
}

func serve(t *testing.T, register func(*grpc.Server)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	register(g)
	go func() { _ = g.Serve(l) }()
	t.Cleanup(g.Stop)
	return l.Addr().String()
}

// fakeCluster starts the views (the hashsp ones first, then one hashpo
// view) and an API server naming them, and returns the API's address.
func fakeCluster(t *testing.T, sp []*fakeView, po *fakeView) string {
	t.Helper()
	api := &fakeAPI{}
	add := func(space string, v *fakeView) {
		addr := serve(t, func(g *grpc.Server) { wire.RegisterViewBootServer(g, v) })
		api.members = append(api.members, members.Member{Name: "view-" + addr, Meta: gossip.Meta{
			Role: "view", Space: space, RangeStart: 0, RangeEnd: ^uint64(0), GRPCAddr: addr, Serving: true, AppliedIndex: 100,
		}})
	}
	for _, v := range sp {
		add("hashsp", v)
	}
	add("hashpo", po)
	return serve(t, func(g *grpc.Server) { wire.RegisterStatusServer(g, api) })
}

func lastIndex(context.Context) (uint64, error) { return 100, nil }

// TestTakeRetriesAnotherReplica checks that a range whose source fails
// mid-stream is streamed again from another replica, and that the
// backup is whole and leaves no trace of the failed attempt.
func TestTakeRetriesAnotherReplica(t *testing.T) {
	dying, good := &fakeView{n: 5000, dieAfter: 10}, &fakeView{n: 5000}
	api := fakeCluster(t, []*fakeView{dying, good}, &fakeView{n: 3000})
	dir := filepath.Join(t.TempDir(), "bk")
	var mu sync.Mutex
	var msgs []string
	res, err := Take(context.Background(), Config{API: api, Dir: dir, LastIndex: lastIndex, RetryWait: 1,
		Report: func(m string) { mu.Lock(); msgs = append(msgs, m); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Keys != 8000 || res.Manifest.Index != 100 || res.Manifest.LogVersion != 3 {
		t.Fatalf("backup of %d keys as of %d in version %d; want 8000 as of 100 in 3", res.Keys, res.Manifest.Index, res.Manifest.LogVersion)
	}
	if dying.loads != 1 || good.loads != 1 {
		t.Fatalf("loads: dying %d, good %d; want one each", dying.loads, good.loads)
	}
	if !strings.Contains(strings.Join(msgs, "\n"), "attempt 1 of 8 failed, retrying") {
		t.Fatalf("no retry reported: %q", msgs)
	}
	if _, err := bkstore.Verify(context.Background(), dir, nil); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 3 {
		t.Fatalf("the backup holds %d files, want 2 data files and the manifest", len(ents))
	}
}

// TestTakeFailsCleanly checks that a range no replica can stream fails
// the backup naming the range, with no manifest written.
func TestTakeFailsCleanly(t *testing.T) {
	api := fakeCluster(t, []*fakeView{{n: 5000, dieAfter: 3}, {n: 5000, dieAfter: 5}}, &fakeView{n: 10})
	dir := filepath.Join(t.TempDir(), "bk")
	_, err := Take(context.Background(), Config{API: api, Dir: dir, LastIndex: lastIndex, RetryWait: 1, Attempts: 3})
	if err == nil || !strings.Contains(err.Error(), "hashsp 0x0000000000000000-0xffffffffffffffff") || !strings.Contains(err.Error(), "incomplete") {
		t.Fatalf("Take: %v; want a failure naming the hashsp range and the incomplete backup", err)
	}
	if _, err := bkstore.Open(dir); !errors.Is(err, bkstore.ErrIncomplete) {
		t.Fatalf("Open after a failed backup: %v, want ErrIncomplete", err)
	}
}

// TestTakeRefusesUncovered checks that a space some of whose hashes no
// serving view holds is refused before anything is written.
func TestTakeRefusesUncovered(t *testing.T) {
	api := &fakeAPI{members: []members.Member{{Name: "v", Meta: gossip.Meta{Role: "view", Space: "hashsp", RangeEnd: 1 << 62, GRPCAddr: "x", Serving: true}}}}
	addr := serve(t, func(g *grpc.Server) { wire.RegisterStatusServer(g, api) })
	_, err := Take(context.Background(), Config{API: addr, Dir: filepath.Join(t.TempDir(), "bk"), LastIndex: lastIndex})
	if err == nil || !strings.Contains(err.Error(), "hashsp") {
		t.Fatalf("Take with an uncovered space: %v", err)
	}
}

// TestPieceOrder: each piece starts at a different serving replica, and
// draining ones come last.
func TestPieceOrder(t *testing.T) {
	ms := []members.Member{}
	for i, st := range []string{"", gossip.StateDraining, "", ""} {
		ms = append(ms, members.Member{Name: fmt.Sprint(i), Meta: gossip.Meta{Role: "view", Space: "hashsp", RangeEnd: ^uint64(0),
			GRPCAddr: fmt.Sprintf("v%d", i), Serving: true, State: st}})
	}
	ms = append(ms, members.Member{Name: "po", Meta: gossip.Meta{Role: "view", Space: "hashpo", RangeEnd: ^uint64(0), GRPCAddr: "po", Serving: true}})
	pieces, err := planPieces(ms)
	if err != nil || len(pieces) != 2 {
		t.Fatalf("planPieces: %d pieces, %v", len(pieces), err)
	}
	addrs := func(ps []boot.Peer) string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Addr)
		}
		return strings.Join(out, ",")
	}
	for n, want := range []string{"v0,v2,v3,v1", "v2,v3,v0,v1", "v3,v0,v2,v1"} {
		if got := addrs(pieces[0].order(n)); got != want {
			t.Errorf("order(%d) = %s, want %s", n, got, want)
		}
	}
}
