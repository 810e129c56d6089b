package viewserver

import (
	"context"
	"encoding/json"
	"net"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/akutan-dev/akutan/cluster/boot"
	"github.com/akutan-dev/akutan/cluster/members"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/roles/logserver/logtest"
	"github.com/akutan-dev/akutan/wire"
)

// fakeSeed is an API server's Status service that knows only the members
// it is given.
type fakeSeed struct {
	wire.UnimplementedStatusServer
	members []members.Member
}

func (f *fakeSeed) GossipMembers(context.Context, *wire.GossipMembersRequest) (*wire.GossipMembersReply, error) {
	b, err := json.Marshal(members.Response{Members: f.members})
	return &wire.GossipMembersReply{Json: b}, err
}

// startSeed serves f and returns its gRPC address.
func startSeed(t *testing.T, f *fakeSeed) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	wire.RegisterStatusServer(g, f)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = g.Serve(lis)
	}()
	t.Cleanup(func() {
		g.Stop()
		<-done
	})
	return lis.Addr().String()
}

// TestBootFromAnotherCluster: a view of a new cluster, whose log no longer
// starts at index 1 and which has no peers of its own, loads its range
// from a view of the cluster named by BootFromCluster, found through the
// second of its seeds (the first knows no such views), and holds the same
// state.
func TestBootFromAnotherCluster(t *testing.T) {
	lc := logtest.Start(t, 3)
	last := appendFacts(t, lc, 1, 2, 3, 4, 5, 6, 7, 8)
	src := startView(t, Config{Space: space.HashSP, Range: space.Full(), Dir: t.TempDir(), LogAddrs: lc.Addrs(), Cluster: "old"})
	waitUntil(t, "the source view serves", func() bool { return src.Serving() && src.Applied() == last })
	if _, err := lc.Servers[0].Truncate(context.Background(), wire.TruncateMode_TRUNCATE_FORCE, last); err != nil {
		t.Fatal(err)
	}
	seed := startSeed(t, &fakeSeed{members: []members.Member{{Name: "src", Meta: gossip.Meta{
		Role: "view", Cluster: "old", Space: string(space.HashSP), RangeEnd: space.Full().End,
		GRPCAddr: src.GRPCAddr(), AppliedIndex: src.Applied(), Serving: true,
	}}}})
	empty := startSeed(t, &fakeSeed{})
	reg := prometheus.NewRegistry()
	s := startView(t, Config{Space: space.HashSP, Range: space.Full(), Dir: t.TempDir(), LogAddrs: lc.Addrs(),
		Cluster: "new", BootFromCluster: "old", BootSeeds: []string{empty, seed}, Registry: reg})
	waitUntil(t, "the new cluster's view serves", func() bool { return s.Serving() && s.Applied() == last })
	if n := metric(t, reg, "akutan_view_boots_total"); n != 1 {
		t.Fatalf("the view booted %v times from peers, want 1", n)
	}
	if got, want := digestAt(t, s, last), digestAt(t, src, last); got != want {
		t.Fatalf("digest at %d: %x booted from the other cluster, %x at the source", last, got, want)
	}
}

// TestPeersInKeepsServingViewsOfTheCluster: of another cluster's members,
// a booting view loads only from serving views of its space and of that
// cluster (named by --cluster, or else by --dc), not from draining ones.
func TestPeersInKeepsServingViewsOfTheCluster(t *testing.T) {
	view := func(addr string, meta gossip.Meta) members.Member {
		meta.Role, meta.GRPCAddr, meta.RangeEnd = "view", addr, space.Full().End
		if meta.Space == "" {
			meta.Space = string(space.HashSP)
		}
		return members.Member{Name: addr, Meta: meta}
	}
	ms := []members.Member{
		view("by-cluster", gossip.Meta{Cluster: "old", Serving: true, AppliedIndex: 9}),
		view("by-dc", gossip.Meta{DC: "old", Serving: true}),
		view("other-cluster", gossip.Meta{Cluster: "other", DC: "old", Serving: true}),
		view("booting", gossip.Meta{Cluster: "old", State: "booting"}),
		view("draining", gossip.Meta{Cluster: "old", Serving: true, State: gossip.StateDraining}),
		view("other-space", gossip.Meta{Cluster: "old", Serving: true, Space: string(space.HashPO)}),
		{Name: "api", Meta: gossip.Meta{Role: "api", Cluster: "old", GRPCAddr: "api", Serving: true}},
	}
	var got []string
	for _, p := range peersIn(ms, "old", space.HashSP) {
		got = append(got, p.Addr)
	}
	if want := []string{"by-cluster", "by-dc"}; !slices.Equal(got, want) {
		t.Fatalf("peers %q, want %q", got, want)
	}
	if p := peersIn(ms, "old", space.HashSP)[0]; p != (boot.Peer{Addr: "by-cluster", Range: space.Full(), Applied: 9}) {
		t.Fatalf("peer %+v", p)
	}
}

// TestBootPrefersOwnCluster: a view given BootFromCluster still loads from
// the views of its own cluster when they cover its range; here the other
// cluster's only view is unreachable, so loading from it could not finish.
func TestBootPrefersOwnCluster(t *testing.T) {
	lc := logtest.Start(t, 3)
	last := appendFacts(t, lc, 1, 2, 3)
	own := startView(t, Config{Space: space.HashPO, Range: space.Full(), Dir: t.TempDir(), LogAddrs: lc.Addrs(),
		Cluster: "new", GossipAddr: "127.0.0.1:0"})
	waitUntil(t, "the own cluster's view serves", func() bool { return own.Serving() && own.Applied() == last })
	if _, err := lc.Servers[0].Truncate(context.Background(), wire.TruncateMode_TRUNCATE_FORCE, last); err != nil {
		t.Fatal(err)
	}
	seed := startSeed(t, &fakeSeed{members: []members.Member{{Name: "unreachable", Meta: gossip.Meta{
		Role: "view", Cluster: "old", Space: string(space.HashPO), RangeEnd: space.Full().End,
		GRPCAddr: "127.0.0.1:1", AppliedIndex: last, Serving: true,
	}}}})
	reg := prometheus.NewRegistry()
	s := startView(t, Config{Space: space.HashPO, Range: space.Full(), Dir: t.TempDir(), LogAddrs: lc.Addrs(),
		Cluster: "new", GossipAddr: "127.0.0.1:0", GossipJoin: []string{own.gossip.Addr()},
		BootFromCluster: "old", BootSeeds: []string{seed}, Registry: reg})
	waitUntil(t, "the new view serves", func() bool { return s.Serving() && s.Applied() == last })
	if n := metric(t, reg, "akutan_view_boots_total"); n != 1 {
		t.Fatalf("the view booted %v times from peers, want 1", n)
	}
}
