package health

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/roles/logserver/logtest"
)

// startGossip starts a gossip node on loopback, stopped at cleanup.
func startGossip(t *testing.T, join string, meta gossip.Meta) *gossip.Node {
	t.Helper()
	cfg := gossip.Config{BindAddr: "127.0.0.1:0"}
	if join != "" {
		cfg.Join = []string{join}
	}
	n, err := gossip.Start(context.Background(), cfg, meta)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Stop() })
	return n
}

// listen returns the address of a listener open until the test ends.
func listen(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().String()
}

// closedAddr returns an address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Check against a real log and real gossip: available while the log has a
// quorum, unavailable, saying why and within the caller's deadline, once
// it has lost it.
func TestCheckWithRealLogAndGossip(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a Raft log and gossip until they converge (seconds)")
	}
	logs := logtest.Start(t, 3)
	lc, err := logclient.New(logs.Addrs())
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	api := startGossip(t, "", gossip.Meta{Role: "api", Serving: true})
	for _, sp := range space.Spaces() {
		startGossip(t, api.Addr(), gossip.Meta{Role: "view", Space: string(sp), RangeEnd: 1<<64 - 1, Serving: true,
			GRPCAddr: listen(t)})
	}
	// A view that advertises itself but whose port refuses connections,
	// as after kill -9 until gossip notices: it must not count.
	startGossip(t, api.Addr(), gossip.Meta{Role: "view", Space: "hashsp", RangeEnd: 1<<64 - 1, Serving: true,
		GRPCAddr: closedAddr(t)})
	check := func() Report {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return Check(ctx, lc, api.Members, Options{MaxLag: DefaultMaxLag, ReportedBy: api.Name()})
	}
	var r Report
	// Gossip brings the members in any order: wait for all three views.
	testutil.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		if r = check(); !r.FullyAvailable || len(r.Views) != 3 {
			return fmt.Errorf("not fully available with 3 views yet: %+v", r)
		}
		return nil
	})
	if !r.FullyAvailable || len(r.Log.Replicas) != 3 || r.ReportedBy != api.Name() {
		t.Fatalf("want fully available with 3 log replicas; got %+v", r)
	}
	if len(r.Views) != 3 || r.Spaces[0].Ranges[0].UpToDate != 1 || r.Spaces[0].Ranges[0].Views != 2 {
		t.Fatalf("want hashsp served by 1 up-to-date view of 2; got %+v, views %+v", r.Spaces[0], r.Views)
	}
	for _, v := range r.Views {
		if (v.Status == ViewUnreachable) != (v.Unreachable != "") || (v.Status != ViewUpToDate && v.Status != ViewUnreachable) {
			t.Errorf("view %+v", v)
		}
	}
	logs.StopReplica(0)
	logs.StopReplica(1)
	began := time.Now()
	r = check()
	// Without the deadline Check would wait out Raft's own timeouts; the
	// slack allows for a loaded machine.
	if took := time.Since(began); took > 8*time.Second {
		t.Errorf("Check took %v with a 2 s deadline", took)
	}
	if r.FullyAvailable || r.Log.Available || !strings.HasPrefix(r.Reasons[0], "the log is unavailable: ") {
		t.Fatalf("after losing the quorum: available %v, log %+v, reasons %q", r.FullyAvailable, r.Log, r.Reasons)
	}
}

// Check names a log replica that accepts connections and answers nothing
// (here a listener that never speaks gRPC, as a frozen process would),
// within the caller's deadline.
func TestCheckReportsSilentLogReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a Raft log and gossip and waits out a silent replica (seconds)")
	}
	logs := logtest.Start(t, 3)
	silent := listen(t)
	lc, err := logclient.New(append(logs.Addrs(), silent))
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	api := startGossip(t, "", gossip.Meta{Role: "api", Serving: true})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r := Check(ctx, lc, api.Members, Options{MaxLag: DefaultMaxLag})
	if len(r.Log.Silent) != 1 || r.Log.Silent[0].GRPCAddr != silent {
		t.Fatalf("silent replicas %+v, want only %s", r.Log.Silent, silent)
	}
	if r.Healthy || !slices.ContainsFunc(r.Reasons, func(s string) bool { return strings.HasPrefix(s, "log replica "+silent+" does not answer: ") }) {
		t.Fatalf("healthy %v, reasons %q", r.Healthy, r.Reasons)
	}
}
