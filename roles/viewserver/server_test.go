package viewserver

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/roles/logserver/logtest"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/storage/viewstore"
	"github.com/akutan-dev/akutan/wire"
)

// appendEntries appends n entries that change nothing and returns the
// last index.
func appendEntries(t testing.TB, lc *logtest.Cluster, n int) uint64 {
	t.Helper()
	c, err := logclient.New(lc.Addrs())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	empty, err := logentry.Encode(&wire.LogEntry{Command: &wire.LogEntry_Insert{Insert: &wire.InsertTx{}}})
	if err != nil {
		t.Fatal(err)
	}
	entries := make([][]byte, n)
	for i := range entries {
		entries[i] = empty // an insert of no facts
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, last, err := c.Append(ctx, entries)
	if err != nil {
		t.Fatal(err)
	}
	return last
}

func startView(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.GRPCAddr == "" {
		cfg.GRPCAddr = "127.0.0.1:0"
	}
	cfg.Logger = zerolog.Nop()
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// waitUntil waits until cond holds; what names it if it never does.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, 30*time.Second, 10*time.Millisecond, func() error {
		if !cond() {
			return fmt.Errorf("not yet: %s", what)
		}
		return nil
	})
}

// metric reads the value of the counter or gauge name.
func metric(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.Metric[0].GetGauge().GetValue() + f.Metric[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestBootingViewAnswersNothing: a new view whose log no longer starts at
// index 1, with no peers to load from, stays booting and refuses lookups,
// loads and digests.
func TestBootingViewAnswersNothing(t *testing.T) {
	lc := logtest.Start(t, 3)
	last := appendEntries(t, lc, 5)
	if _, err := lc.Servers[0].Truncate(context.Background(), wire.TruncateMode_TRUNCATE_FORCE, last); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	s := startView(t, Config{Space: space.HashSP, Range: space.Full(), Dir: t.TempDir(), LogAddrs: lc.Addrs(), Registry: reg})
	time.Sleep(300 * time.Millisecond) // let it try
	if s.Serving() || s.State() != "booting" || metric(t, reg, "akutan_view_booting") != 1 {
		t.Fatalf("view without peers after truncation: serving %v, state %q", s.Serving(), s.State())
	}
	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := wire.NewViewClient(conn).LookupS(ctx, &wire.LookupSRequest{Index: 1, Subjects: []uint64{1}})
	if err == nil {
		_, err = st.Recv()
	}
	if status.Code(err) != codes.Unavailable {
		t.Errorf("lookup on a booting view: %v, want Unavailable", err)
	}
	load, err := wire.NewViewBootClient(conn).Load(ctx, &wire.LoadRequest{Space: "hashsp", RangeEnd: 1, Index: 0})
	if err == nil {
		_, err = load.Recv()
	}
	if status.Code(err) != codes.Unavailable {
		t.Errorf("load from a booting view: %v, want Unavailable", err)
	}
	if _, err := wire.NewViewBootClient(conn).Digest(ctx, &wire.DigestRequest{}); status.Code(err) != codes.Unavailable {
		t.Errorf("digest of a booting view: %v, want Unavailable", err)
	}
}

// TestStoreAheadOfTheLogIsMovedAside: a store that claims more of the log
// than the log has cannot be trusted (it belongs to another log, or was
// damaged): the view moves it aside and rebuilds, here from the log.
func TestStoreAheadOfTheLogIsMovedAside(t *testing.T) {
	lc := logtest.Start(t, 3)
	last := appendEntries(t, lc, 3)
	dir := filepath.Join(t.TempDir(), "view")
	st, err := viewstore.Open(dir, viewstore.Config{Space: storage.KeyPrefixPO, RangeEnd: ^uint64(0)})
	if err != nil {
		t.Fatal(err)
	}
	var changes []viewstore.Change
	for i := uint64(1); i <= last+10; i++ {
		changes = append(changes, viewstore.Change{Index: i})
	}
	if err := st.Apply(changes); err != nil {
		t.Fatal(err)
	}
	st.Close()
	s := startView(t, Config{Space: space.HashPO, Range: space.Full(), Dir: dir, LogAddrs: lc.Addrs()})
	waitUntil(t, "the view serves", s.Serving)
	if s.Applied() != last {
		t.Fatalf("applied %d after rebuilding from the log, want %d", s.Applied(), last)
	}
	if aside, _ := filepath.Glob(dir + ".corrupt-*"); len(aside) != 1 {
		t.Fatalf("directories moved aside: %v", aside)
	}
}

// TestRestartResumesFromTheStore: a restarted view continues from its
// stored applied index and serves once it has caught up.
func TestRestartResumesFromTheStore(t *testing.T) {
	lc := logtest.Start(t, 3)
	first := appendEntries(t, lc, 4)
	cfg := Config{Space: space.HashSP, Range: space.Full(), Dir: t.TempDir(), LogAddrs: lc.Addrs()}
	s := startView(t, cfg)
	waitUntil(t, fmt.Sprintf("applied %d", first), func() bool { return s.Serving() && s.Applied() == first })
	s.Stop()
	last := appendEntries(t, lc, 3)
	s = startView(t, cfg)
	waitUntil(t, fmt.Sprintf("applied %d", last), func() bool { return s.Serving() && s.Applied() == last })
}

// TestDrainMarksMetaUntilUndoOrRestart: the Drain RPC makes a serving view
// advertise State "draining" (still serving); undo and a restart clear it.
func TestDrainMarksMetaUntilUndoOrRestart(t *testing.T) {
	lc := logtest.Start(t, 3)
	last := appendEntries(t, lc, 2)
	cfg := Config{Space: space.HashSP, Range: space.Full(), Dir: t.TempDir(), LogAddrs: lc.Addrs()}
	s := startView(t, cfg)
	waitUntil(t, "serving", func() bool { return s.Serving() && s.Applied() == last })
	drain := func(s *Server, undo bool) *wire.DrainReply {
		conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		reply, err := wire.NewViewClient(conn).Drain(context.Background(), &wire.DrainRequest{Undo: undo})
		if err != nil {
			t.Fatal(err)
		}
		return reply
	}
	ctx := context.Background()
	if r := drain(s, false); !r.Draining || !r.Serving || s.meta(ctx).State != "draining" || !s.meta(ctx).Serving {
		t.Fatalf("after Drain: reply %v, meta %+v", r, s.meta(ctx))
	}
	if r := drain(s, true); r.Draining || s.meta(ctx).State != "" {
		t.Fatalf("after Drain undo: reply %v, meta %+v", r, s.meta(ctx))
	}
	drain(s, false)
	s.Stop()
	s = startView(t, cfg)
	waitUntil(t, "serving again", func() bool { return s.Serving() })
	if st := s.meta(ctx).State; st != "" {
		t.Fatalf("after a restart the view advertises state %q", st)
	}
}

// TestDurableIndexFollowsSyncs: the view advertises as durable what it
// synced, which reaches its applied index within DurableEvery of the last
// entry, and never exceeds it.
func TestDurableIndexFollowsSyncs(t *testing.T) {
	lc := logtest.Start(t, 3)
	last := appendEntries(t, lc, 3)
	s := startView(t, Config{Space: space.HashSP, Range: space.Full(), Dir: t.TempDir(), LogAddrs: lc.Addrs(),
		DurableEvery: 20 * time.Millisecond})
	ctx := context.Background()
	waitUntil(t, fmt.Sprintf("durable %d", last), func() bool { return s.meta(ctx).DurableIndex == last })
	last = appendEntries(t, lc, 5)
	waitUntil(t, fmt.Sprintf("durable %d", last), func() bool {
		m := s.meta(ctx)
		if m.DurableIndex > m.AppliedIndex {
			t.Fatalf("durable index %d beyond applied %d", m.DurableIndex, m.AppliedIndex)
		}
		return m.DurableIndex == last
	})
}
