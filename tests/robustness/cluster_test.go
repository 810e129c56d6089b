package robustness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
	"github.com/akutan-dev/akutan/wire"
)

// member is one server process. Servers that the faults cut off or slow
// down are reached by every other process through proxy, never directly.
type member struct {
	name  string
	proc  *harness.Process
	addr  string // its own gRPC address
	proxy *toxiproxy.Proxy
	dir   string
}

// cluster is the cluster every run of a test shares.
type cluster struct {
	t     *testing.T
	bin   string
	dir   string
	toxi  *toxiproxy.ApiServer
	logs  []*member
	views []*member
	apis  []*member
	// direct reaches the log replicas without proxies, to find the leader.
	direct *logclient.Client
	// diskFull is the view whose directory is a small tmpfs of its own, or
	// nil when the machine does not let the test mount one.
	diskFull *member
	clients  []wire.APIClient // one per API server
	watch    *gossip.Node     // this test's own gossip member, to see the views
}

const tmpfsSize = "64m"

func startCluster(t *testing.T, bin string) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: bin, dir: t.TempDir(),
		toxi: toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())}
	c.startLogs()
	gossipSeed := harness.FreeAddr(t)
	c.startViews(gossipSeed)
	for i := range 2 {
		c.startAPI(i, gossipSeed)
	}
	for _, a := range c.apis {
		harness.WaitTCP(t, a.addr, 60*time.Second)
		c.clients = append(c.clients, dialAPI(t, a.addr))
	}
	c.watch = watchGossip(t, gossipSeed)
	return c
}

// watchGossip joins the cluster's gossip from the test process.
func watchGossip(t *testing.T, seed string) *gossip.Node {
	t.Helper()
	node, err := gossip.Start(context.Background(), gossip.Config{
		Name: "robustness-watcher", BindAddr: harness.FreeAddr(t), Join: []string{seed}, Logger: zerolog.Nop(),
	}, gossip.Meta{Role: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Leave(time.Second); node.Stop() })
	return node
}

func (c *cluster) proxied(name, addr string) *toxiproxy.Proxy {
	p := toxiproxy.NewProxy(c.toxi, name, "127.0.0.1:0", addr)
	if err := p.Start(); err != nil {
		c.t.Fatalf("starting the proxy of %s: %v", name, err)
	}
	c.t.Cleanup(p.Stop)
	return p
}

func (c *cluster) startLogs() {
	addrs := harness.FreeAddrs(c.t, 6)
	raft, grpcAddrs := addrs[:3], addrs[3:]
	members := fmt.Sprintf("1=%s,2=%s,3=%s", raft[0], raft[1], raft[2])
	for i := range 3 {
		m := &member{name: fmt.Sprintf("log-%d", i+1), addr: grpcAddrs[i], dir: filepath.Join(c.dir, fmt.Sprintf("log-%d", i+1))}
		m.proxy = c.proxied(m.name, m.addr)
		m.proc = harness.Start(c.t, c.bin, m.name, "log", "--id", fmt.Sprint(i+1), "--dir", m.dir,
			"--raft-addr", raft[i], "--grpc-addr", m.addr, "--initial-members", members)
		c.logs = append(c.logs, m)
	}
	direct, err := logclient.New(grpcAddrs)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(direct.Close)
	c.direct = direct
}

// logList is the --log value of views and API servers: the proxies.
func (c *cluster) logList() string {
	var out []string
	for _, l := range c.logs {
		out = append(out, l.proxy.Listen)
	}
	return strings.Join(out, ",")
}

func (c *cluster) startViews(gossipSeed string) {
	for _, space := range []string{"hashsp", "hashpo"} {
		for p := 1; p <= 2; p++ {
			for r := 1; r <= 2; r++ {
				m := &member{name: fmt.Sprintf("view-%s-%d-%d", space, p, r), addr: harness.FreeAddr(c.t)}
				m.dir = filepath.Join(c.dir, m.name)
				if space == "hashpo" && p == 2 && r == 2 {
					c.mountTmpfs(m)
				}
				m.proxy = c.proxied(m.name, m.addr)
				m.proc = harness.Start(c.t, c.bin, m.name, "view", "--space", space, "--partition", fmt.Sprintf("%d/2", p),
					"--dir", m.dir, "--grpc-addr", m.addr, "--advertise-addr", m.proxy.Listen, "--log", c.logList(),
					"--gossip-addr", harness.FreeAddr(c.t), "--gossip-join", gossipSeed)
				c.views = append(c.views, m)
			}
		}
	}
}

// mountTmpfs puts m's directory on a tmpfs of its own, so that the disk
// full fault fills only that view's disk. It leaves c.diskFull nil when the
// mount is refused (not root, or no mount namespace rights).
func (c *cluster) mountTmpfs(m *member) {
	if err := os.MkdirAll(m.dir, 0o755); err != nil {
		c.t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+tmpfsSize, "tmpfs", m.dir).CombinedOutput()
	if err != nil {
		c.t.Logf("no disk-full fault: mounting a tmpfs for %s: %v: %s", m.name, err, out)
		return
	}
	// Registered before the view starts, so it runs after the view is killed.
	c.t.Cleanup(func() {
		if out, err := exec.Command("umount", m.dir).CombinedOutput(); err != nil {
			c.t.Logf("unmounting %s: %v: %s", m.dir, err, out)
		}
	})
	c.diskFull = m
}

func (c *cluster) startAPI(i int, gossipSeed string) {
	m := &member{name: fmt.Sprintf("api-%d", i+1), addr: harness.FreeAddr(c.t)}
	gossipAddr := harness.FreeAddr(c.t)
	join := gossipSeed
	if i == 0 {
		gossipAddr, join = gossipSeed, ""
	}
	args := []string{"api", "--grpc-addr", m.addr, "--http-addr", harness.FreeAddr(c.t), "--log", c.logList(),
		"--gossip-addr", gossipAddr}
	if join != "" {
		args = append(args, "--gossip-join", join)
	}
	m.proc = harness.Start(c.t, c.bin, m.name, args...)
	c.apis = append(c.apis, m)
}

func dialAPI(t *testing.T, addr string) wire.APIClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return wire.NewAPIClient(conn)
}

// leader returns the log replica that leads now.
func (c *cluster) leader() *member {
	c.t.Helper()
	var id uint64
	testutil.Eventually(c.t, 60*time.Second, 100*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		info, err := c.direct.Info(ctx, true)
		if err == nil && (info.LeaderId == 0 || info.LeaderId > uint64(len(c.logs))) {
			err = fmt.Errorf("no leader yet (leader ID %d)", info.LeaderId)
		}
		if err == nil {
			id = info.LeaderId
		}
		return err
	})
	return c.logs[id-1]
}

// waitServing waits until the cluster is whole again: every server runs,
// every view serves and has applied the log's last index (so a view that
// hit a fault recovered by itself), and every API server answers the
// known-answer queries right.
func (c *cluster) waitServing(fixed fixedData) {
	c.t.Helper()
	for _, group := range [][]*member{c.logs, c.views, c.apis} {
		for _, m := range group {
			if !m.proc.Running() {
				c.t.Fatalf("%s exited:\n%s", m.name, tail(m.proc.Output(), 20))
			}
		}
	}
	testutil.Eventually(c.t, 120*time.Second, 250*time.Millisecond, c.viewsCaughtUp)
	testutil.Eventually(c.t, 120*time.Second, 250*time.Millisecond, func() error {
		for i, api := range c.clients {
			if err := fixed.check(context.Background(), api); err != nil {
				return fmt.Errorf("api-%d: %w", i+1, err)
			}
		}
		return nil
	})
}

// viewsCaughtUp checks that gossip shows every view serving at or above
// the log's last index.
func (c *cluster) viewsCaughtUp() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	last, err := c.direct.LastIndex(ctx)
	if err != nil {
		return fmt.Errorf("reading the log's last index: %w", err)
	}
	serving := map[string]bool{}
	for _, m := range c.watch.Members() {
		if m.Meta.Role == "view" && m.Meta.Serving && m.Meta.AppliedIndex >= last {
			serving[m.Meta.GRPCAddr] = true
		}
	}
	for _, v := range c.views {
		if !serving[v.proxy.Listen] {
			return fmt.Errorf("%s is not serving at the log's last index %d", v.name, last)
		}
	}
	return nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
