package tests

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/roles/apiserver"
	"github.com/akutan-dev/akutan/roles/logserver/logtest"
	"github.com/akutan-dev/akutan/roles/viewserver"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/tests/harness"
	"github.com/akutan-dev/akutan/wire"
)

// TestFloorNeedsKViews: an API server registers its cluster's floor from
// the views it finds in gossip, with the default K of 2 views per range:
// with two views of each space the floor reaches the log's last index;
// with one hashsp view stopped it stays where it was while the log and
// the other views move on; with the view back it moves again.
func TestFloorNeedsKViews(t *testing.T) {
	harness.SkipIfShort(t)
	logs := logtest.Start(t, 1)
	reg := prometheus.NewRegistry()
	api, err := apiserver.Start(context.Background(), apiserver.Config{
		GRPCAddr: "127.0.0.1:0", LogAddrs: logs.Addrs(), GossipAddr: "127.0.0.1:0", Logger: zerolog.Nop(),
		Registry: reg, FloorEvery: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.Stop)
	lc, err := logclient.New(logs.Addrs())
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	dir := t.TempDir()
	cfgs := map[string]viewserver.Config{}
	views := map[string]*viewserver.Server{}
	start := func(name string) {
		srv, err := viewserver.Start(context.Background(), cfgs[name])
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Stop)
		views[name] = srv
	}
	for _, sp := range space.Spaces() {
		for i := 1; i <= 2; i++ {
			name := fmt.Sprintf("%s-%d", sp, i)
			cfgs[name] = viewserver.Config{
				Space: sp, Range: space.Full(), Dir: dir + "/" + name, GRPCAddr: "127.0.0.1:0",
				LogAddrs: logs.Addrs(), GossipAddr: "127.0.0.1:0", GossipJoin: []string{api.GossipAddr()},
				Logger: zerolog.Nop(), DurableEvery: 20 * time.Millisecond, PeerWait: 200 * time.Millisecond,
			}
			start(name)
		}
	}
	appendN := func(n int) uint64 {
		entry, err := logentry.Encode(&wire.LogEntry{Command: &wire.LogEntry_Insert{Insert: &wire.InsertTx{}}})
		if err != nil {
			t.Fatal(err)
		}
		entries := make([][]byte, n)
		for i := range entries {
			entries[i] = entry
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, last, err := lc.Append(ctx, entries)
		if err != nil {
			t.Fatal(err)
		}
		return last
	}
	floor := func() uint64 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		reply, err := lc.Floors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range reply.Floors {
			if f.Cluster == health.DefaultClusterName {
				return f.Index
			}
		}
		return 0
	}
	waitFloor := func(want uint64) {
		t.Helper()
		testutil.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
			if got := floor(); got != want {
				return fmt.Errorf("floor %d, want %d", got, want)
			}
			return nil
		})
	}
	first := appendN(10)
	waitFloor(first)
	if g := gauge(t, reg, "akutan_api_log_floor"); g != float64(first) {
		t.Errorf("akutan_api_log_floor = %v, want %d", g, first)
	}

	views["hashsp-2"].Stop()
	testutil.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		for _, m := range api.Members() {
			if m.Meta.GRPCAddr == views["hashsp-2"].GRPCAddr() {
				return fmt.Errorf("the API server still lists the stopped view")
			}
		}
		return nil
	})
	held := floor() // a registration under way may have landed meanwhile
	if held < first {
		t.Fatalf("floor went down to %d after a view stopped", held)
	}
	last := appendN(10)
	testutil.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		for name, v := range views {
			if name != "hashsp-2" && v.Applied() != last {
				return fmt.Errorf("view %s applied %d of %d", name, v.Applied(), last)
			}
		}
		return nil
	})
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if got := floor(); got != held {
			t.Fatalf("with one hashsp view of two stopped, the floor moved from %d to %d", held, got)
		}
	}

	start("hashsp-2")
	waitFloor(last)
}

// gauge reads the value of gauge name.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.Metric[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
