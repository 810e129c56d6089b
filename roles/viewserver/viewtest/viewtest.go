// Package viewtest runs real views in the test process for tests of the
// view tier: a one-replica log, view servers on free ports (optionally
// reached only through a toxiproxy proxy, to slow or cut them), and the
// membership list an API server would learn through gossip.
package viewtest

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/roles/logserver/logtest"
	"github.com/akutan-dev/akutan/roles/viewserver"
)

// Spec describes one view to start.
type Spec struct {
	Space space.Space
	Range space.Range
	DC    string
	// Proxied puts a toxiproxy proxy in front of the view: clients only
	// know the proxy's address, so Slow and Cut affect them.
	Proxied bool
}

// Partition returns the spec of partition i of n of sp.
func Partition(t testing.TB, sp space.Space, i, n int) Spec {
	t.Helper()
	r, err := space.Partition(i, n)
	if err != nil {
		t.Fatal(err)
	}
	return Spec{Space: sp, Range: r}
}

// View is one running (or stopped) view.
type View struct {
	Spec
	Server   *viewserver.Server
	Proxy    *toxiproxy.Proxy // nil unless Proxied
	Registry *prometheus.Registry
	// Addr is where clients reach the view: the proxy's address if any.
	Addr string

	mu      sync.Mutex
	stopped bool // the server was stopped
	listed  bool // Members still lists it
}

// Cluster is a log and a set of views.
type Cluster struct {
	Log  *logtest.Cluster
	logc *logclient.Client
	toxi *toxiproxy.ApiServer
	dir  string

	mu    sync.Mutex
	views []*View
}

// Start starts a one-replica log and the given views, all stopped when
// the test ends.
func Start(t testing.TB, specs ...Spec) *Cluster {
	t.Helper()
	c := &Cluster{
		Log:  logtest.Start(t, 1),
		toxi: toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop()),
		dir:  t.TempDir(),
	}
	logc, err := logclient.New(c.Log.Addrs())
	if err != nil {
		t.Fatal(err)
	}
	c.logc = logc
	t.Cleanup(c.stop)
	for _, s := range specs {
		c.Add(t, s)
	}
	return c
}

func (c *Cluster) stop() {
	c.mu.Lock()
	views := append([]*View(nil), c.views...)
	c.mu.Unlock()
	for _, v := range views {
		v.stop()
		if v.Proxy != nil {
			v.Proxy.Stop()
		}
	}
	c.logc.Close()
}

// Add starts one more view and lists it in Members.
func (c *Cluster) Add(t testing.TB, s Spec) *View {
	t.Helper()
	c.mu.Lock()
	n := len(c.views)
	c.mu.Unlock()
	reg := prometheus.NewRegistry()
	srv, err := viewserver.Start(context.Background(), viewserver.Config{
		Space: s.Space, Range: s.Range, Dir: filepath.Join(c.dir, fmt.Sprintf("view-%d", n)),
		GRPCAddr: "127.0.0.1:0", LogAddrs: c.Log.Addrs(), DC: s.DC, Logger: zerolog.Nop(), Registry: reg,
	})
	if err != nil {
		t.Fatalf("starting view %d: %v", n, err)
	}
	v := &View{Spec: s, Server: srv, Registry: reg, Addr: srv.GRPCAddr(), listed: true}
	if s.Proxied {
		v.Proxy = toxiproxy.NewProxy(c.toxi, fmt.Sprintf("view-%d", n), "127.0.0.1:0", srv.GRPCAddr())
		if err := v.Proxy.Start(); err != nil {
			srv.Stop()
			t.Fatalf("starting the proxy of view %d: %v", n, err)
		}
		v.Addr = v.Proxy.Listen
	}
	c.mu.Lock()
	c.views = append(c.views, v)
	c.mu.Unlock()
	return v
}

// Views returns every view started, in order.
func (c *Cluster) Views() []*View {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*View(nil), c.views...)
}

// Members returns what gossip would show: the listed views, with their
// current applied index.
func (c *Cluster) Members() []gossip.Member {
	var out []gossip.Member
	for _, v := range c.Views() {
		if m, ok := v.member(); ok {
			out = append(out, m)
		}
	}
	return out
}

func (v *View) member() (gossip.Member, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.listed {
		return gossip.Member{}, false
	}
	return gossip.Member{Name: "view-" + v.Addr, Meta: gossip.Meta{
		Role: "view", DC: v.DC, Space: string(v.Space), RangeStart: v.Range.Start, RangeEnd: v.Range.End,
		GRPCAddr: v.Addr, AppliedIndex: v.Server.Applied(), Serving: true,
	}}, true
}

// Stop stops the view's server. If unlist is false, Members keeps listing
// it, as gossip does until it notices a dead node.
func (v *View) Stop(unlist bool) {
	v.stop()
	if unlist {
		v.Unlist()
	}
}

func (v *View) stop() {
	v.mu.Lock()
	done := v.stopped
	v.stopped = true
	v.mu.Unlock()
	if !done {
		v.Server.Stop()
	}
}

// Unlist drops the view from Members.
func (v *View) Unlist() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.listed = false
}

// Slow delays everything the view sends back by d (through its proxy).
func (v *View) Slow(t testing.TB, d time.Duration) {
	t.Helper()
	v.toxic(t, fmt.Sprintf(`{"name":"slow","type":"latency","stream":"downstream","attributes":{"latency":%d}}`, d.Milliseconds()))
}

// Blackhole makes the view's proxy swallow everything it sends back,
// without closing connections: calls to it hang until cancelled.
func (v *View) Blackhole(t testing.TB) {
	t.Helper()
	v.toxic(t, `{"name":"blackhole","type":"timeout","stream":"downstream","attributes":{"timeout":0}}`)
}

// Heal removes every toxic from the view's proxy.
func (v *View) Heal() {
	if v.Proxy != nil {
		v.Proxy.Toxics.ResetToxics(context.Background())
	}
}

func (v *View) toxic(t testing.TB, spec string) {
	t.Helper()
	if v.Proxy == nil {
		t.Fatal("viewtest: the view has no proxy (set Spec.Proxied)")
	}
	if _, err := v.Proxy.Toxics.AddToxicJson(strings.NewReader(spec)); err != nil {
		t.Fatalf("viewtest: adding toxic %s: %v", spec, err)
	}
}
