package logtest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/internal/tlsconfig"
	"github.com/akutan-dev/akutan/roles/logserver"
	"github.com/akutan-dev/akutan/wire"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Cluster is a set of log replicas in this process. Replica i has ID i+1.
type Cluster struct {
	Configs []logserver.Config
	// Servers[i] is nil while replica i is stopped.
	Servers []*logserver.Server
	// grpcAddrs keeps each replica's gRPC address across restarts.
	grpcAddrs []string
}

// Option adjusts the replicas' configuration before they start.
type Option func(*logserver.Config)

// WithSnapshotEntries makes replicas snapshot (and compact the Raft log)
// every n proposals, keeping overhead proposals after each compaction.
func WithSnapshotEntries(n, overhead uint64) Option {
	return func(c *logserver.Config) {
		c.SnapshotEntries, c.CompactionOverhead = n, overhead
	}
}

// WithSnapshotBytes makes replicas snapshot (and compact the Raft log)
// whenever the proposals since the last one reach n bytes.
func WithSnapshotBytes(n uint64) Option {
	return func(c *logserver.Config) { c.SnapshotBytes = n }
}

// WithRegistries gives each replica its own Prometheus registry
// (Configs[i].Registry).
func WithRegistries() Option {
	return func(c *logserver.Config) { c.Registry = prometheus.NewRegistry() }
}

// WithDCs puts replica i (ID i+1) in datacenter dcs[i]; replicas beyond
// the list keep an empty datacenter.
func WithDCs(dcs ...string) Option {
	return func(c *logserver.Config) {
		if i := int(c.ReplicaID) - 1; i < len(dcs) {
			c.DC = dcs[i]
		}
	}
}

// WithAutoTruncate turns on the replicas' background truncation.
func WithAutoTruncate(every, lag time.Duration) Option {
	return func(c *logserver.Config) { c.AutoTruncateEvery, c.AutoTruncateLag = every, lag }
}

// WithTLS puts every replica's gRPC and Raft behind mutual TLS with src;
// Dial and DialAdmin then dial with it too.
func WithTLS(src *tlsconfig.Source) Option {
	return func(c *logserver.Config) { c.TLS = src }
}

// WithLogger sets the replicas' logger (the default discards).
func WithLogger(l zerolog.Logger) Option {
	return func(c *logserver.Config) { c.Logger = l }
}

// ports are logtest's: 10000-14999, apart from tests/harness's range and
// from the Raft ports `akutan local` picks (20000-32767). One PortRange per
// test process, so that no address is handed out twice (Raft refuses a
// member list with two replicas on one address).
var ports = testutil.PortRange{Base: 10000, Span: 5000}

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago and that no earlier call in this process returned.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return ports.Addr(t)
}

// Start starts n replicas under t.TempDir(), waits until they have a leader
// and stops them when the test ends. It retries with new ports if one was
// taken meanwhile (by another test process).
func Start(t testing.TB, n int, opts ...Option) *Cluster {
	t.Helper()
	for attempt := 1; ; attempt++ {
		c, err := tryStart(t, n, opts)
		if err == nil {
			t.Cleanup(c.Stop)
			c.WaitLeader(t)
			return c
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
	}
}

func tryStart(t testing.TB, n int, opts []Option) (*Cluster, error) {
	dir := t.TempDir()
	c := &Cluster{}
	members := make(map[uint64]string)
	for i := 0; i < n; i++ {
		cfg := logserver.Config{
			ReplicaID: uint64(i + 1),
			Dir:       filepath.Join(dir, fmt.Sprintf("r%d", i+1)),
			RaftAddr:  FreeAddr(t),
			GRPCAddr:  FreeAddr(t),
			Logger:    zerolog.Nop(),
		}
		for _, o := range opts {
			o(&cfg)
		}
		members[cfg.ReplicaID] = cfg.RaftAddr
		c.Configs = append(c.Configs, cfg)
	}
	c.Servers = make([]*logserver.Server, n)
	for i := range c.Configs {
		c.Configs[i].InitialMembers = members
		c.grpcAddrs = append(c.grpcAddrs, c.Configs[i].GRPCAddr)
	}
	for i := range c.Configs {
		if err := c.start(i); err != nil {
			c.Stop()
			return nil, err
		}
	}
	return c, nil
}

func (c *Cluster) start(i int) error {
	s, err := logserver.Start(context.Background(), c.Configs[i])
	if err != nil {
		return fmt.Errorf("starting replica %d: %w", i+1, err)
	}
	c.Servers[i] = s
	return nil
}

// StartReplica (re)starts replica i on its directory and addresses.
func (c *Cluster) StartReplica(t testing.TB, i int) {
	t.Helper()
	if err := c.start(i); err != nil {
		t.Fatal(err)
	}
}

// StopReplica stops replica i.
func (c *Cluster) StopReplica(i int) {
	if c.Servers[i] != nil {
		c.Servers[i].Stop()
		c.Servers[i] = nil
	}
}

// Stop stops every replica.
func (c *Cluster) Stop() {
	for i := range c.Servers {
		c.StopReplica(i)
	}
}

// Addrs returns every replica's gRPC address, running or not.
func (c *Cluster) Addrs() []string {
	return append([]string(nil), c.grpcAddrs...)
}

// Join adds a new replica (the next ID) through a running member, starts it
// and returns its index in the cluster.
func (c *Cluster) Join(t testing.TB, opts ...Option) int {
	t.Helper()
	i := len(c.Configs)
	cfg := c.Configs[0]
	cfg.ReplicaID = uint64(i + 1)
	cfg.Dir = filepath.Join(filepath.Dir(cfg.Dir), fmt.Sprintf("r%d", i+1))
	cfg.RaftAddr, cfg.GRPCAddr = FreeAddr(t), FreeAddr(t)
	cfg.InitialMembers, cfg.Join = nil, true
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	for _, s := range c.Servers {
		if s == nil {
			continue
		}
		if err = s.AddReplica(ctx, cfg.ReplicaID, cfg.RaftAddr); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("adding replica %d: %v", cfg.ReplicaID, err)
	}
	c.Configs = append(c.Configs, cfg)
	c.Servers = append(c.Servers, nil)
	c.grpcAddrs = append(c.grpcAddrs, cfg.GRPCAddr)
	c.StartReplica(t, i)
	return i
}

// WaitLeader waits up to 10 s until a running replica reports a leader that
// is running too, and returns the leader's index.
func (c *Cluster) WaitLeader(t testing.TB) int {
	t.Helper()
	var leader int
	testutil.Eventually(t, 10*time.Second, 20*time.Millisecond, func() error {
		i, ok := c.leader()
		if !ok {
			return errors.New("no running replica reports a running leader")
		}
		leader = i
		return nil
	})
	return leader
}

func (c *Cluster) leader() (int, bool) {
	for _, s := range c.Servers {
		if s == nil {
			continue
		}
		id, ok, err := s.NodeHost().GetLeaderID(1)
		if err != nil || !ok || id == 0 || int(id) > len(c.Servers) || c.Servers[id-1] == nil {
			continue
		}
		return int(id - 1), true
	}
	return 0, false
}

// DialAdmin returns a raw LogAdmin client for replica i, closed when the
// test ends.
func (c *Cluster) DialAdmin(t testing.TB, i int) wire.LogAdminClient {
	t.Helper()
	conn, err := grpc.NewClient(c.grpcAddrs[i], append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()), wire.CallOptions()},
		c.Configs[i].TLS.DialOptions()...)...)
	if err != nil {
		t.Fatalf("dialing replica %d: %v", i+1, err)
	}
	t.Cleanup(func() { conn.Close() })
	return wire.NewLogAdminClient(conn)
}

// Dial returns a raw Log client for replica i, closed when the test ends.
func (c *Cluster) Dial(t testing.TB, i int) wire.LogClient {
	t.Helper()
	conn, err := grpc.NewClient(c.grpcAddrs[i], append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()), wire.CallOptions()},
		c.Configs[i].TLS.DialOptions()...)...)
	if err != nil {
		t.Fatalf("dialing replica %d: %v", i+1, err)
	}
	t.Cleanup(func() { conn.Close() })
	return wire.NewLogClient(conn)
}
