package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/cluster/logreplay"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/internal/tlsconfig"
	"github.com/akutan-dev/akutan/internal/tokens"
	"github.com/akutan-dev/akutan/roles/apiserver"
	"github.com/akutan-dev/akutan/roles/logserver"
	"github.com/akutan-dev/akutan/roles/rolekit"
	"github.com/akutan-dev/akutan/roles/viewserver"
	"github.com/akutan-dev/akutan/storage/backup"
	"github.com/akutan-dev/akutan/storage/logentry"
)

// The topology of a local cluster.
const (
	LogReplicas  = 3
	Partitions   = 2
	ViewReplicas = 2
)

// Config configures a local cluster.
type Config struct {
	Dir      string
	APIAddr  string // gRPC
	HTTPAddr string
	Logger   zerolog.Logger
	// DisableHedging turns off the API server's hedged view calls.
	DisableHedging bool
	// TxTimeout is the API server's transaction timeout (0: its default).
	TxTimeout time.Duration
	// TLS and Tokens secure the client-facing API listeners (gRPC and
	// HTTP): see apiserver.Config. TLS also carries the gossip of the
	// log replicas, the views and the API server (a gossip port is open
	// to every user of the host, and gossip tells the API server where to
	// send queries); the other links inside the process (gRPC to the log
	// and views, Raft) stay on loopback, in plaintext. nil: as before.
	TLS    *tlsconfig.Source
	Tokens *tokens.Store
	// RestoreFrom are backup directories (see storage/backup: a full
	// backup, then any incremental ones on top of it) to start a new local
	// cluster from: its new log continues after the last one's index
	// (logserver.Server.StartAfter) and its views load the backups. A
	// directory that already holds a cluster restored from the same
	// backups restarts as usual; one holding another log is refused.
	RestoreFrom []string
	// LogArchive is a log archive (storage/logarchive) whose entries after
	// the backup's index are appended to the new log, at their archived
	// indexes, before the API server starts (point-in-time recovery, see
	// cluster/logreplay); only with RestoreFrom. ToIndex stops at that
	// index (0: the archive's last).
	LogArchive string
	ToIndex    uint64
}

// Cluster is a running local cluster.
type Cluster struct {
	API   *apiserver.Server
	Logs  []*logserver.Server
	Views []*viewserver.Server
	// Replayed is what this start replayed from Config.LogArchive (zero
	// without one, or when an earlier start replayed it).
	Replayed Replayed
}

// Replayed is a replay of a log archive into a restored local cluster.
type Replayed struct {
	Plan   logreplay.Plan
	Result logreplay.Result
}

// layout is what must stay the same across restarts of one directory.
type layout struct {
	RaftAddrs map[uint64]string `json:"raft_addrs"`
}

// Start starts every component and waits until the cluster answers.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", cfg.Dir, err)
	}
	fresh := !exists(filepath.Join(cfg.Dir, "layout.json"))
	if (cfg.LogArchive != "" || cfg.ToIndex != 0) && len(cfg.RestoreFrom) == 0 {
		return nil, errors.New("--log-archive and --to-index restore a backup to a later point: they need --restore-from")
	}
	if cfg.ToIndex != 0 && cfg.LogArchive == "" {
		return nil, errors.New("--to-index needs --log-archive: the entries after the backup's index come from the archive")
	}
	if len(cfg.RestoreFrom) > 0 && fresh {
		// Refuse a damaged backup, or archive, before anything is created
		// from it.
		if _, err := backup.VerifyChain(ctx, cfg.RestoreFrom, nil); err != nil {
			return nil, fmt.Errorf("--restore-from: %w", err)
		}
		if cfg.LogArchive != "" {
			if _, err := replayPlan(cfg); err != nil {
				return nil, err
			}
		}
	}
	lay, err := loadLayout(cfg.Dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{}
	if err := c.start(ctx, cfg, lay); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context, cfg Config, lay layout) error {
	var err error
	if c.Logs, err = startLogs(ctx, cfg, lay); err != nil {
		return err
	}
	logAddrs := make([]string, len(c.Logs))
	for i, l := range c.Logs {
		logAddrs[i] = l.GRPCAddr()
	}
	lc, err := logclient.New(logAddrs)
	if err != nil {
		return err
	}
	defer lc.Close()
	// Before any client can reach the API server, so that no write lands
	// in the old format, or before the backup's index.
	if len(cfg.RestoreFrom) > 0 {
		err = startAfterBackup(ctx, cfg.RestoreFrom, c.Logs[0], lc)
	} else {
		err = upgradeFreshLog(ctx, lc)
	}
	if err != nil {
		return err
	}
	// Before the API server too: nothing else may append meanwhile.
	if c.Replayed, err = replayArchive(ctx, cfg, lc); err != nil {
		return err
	}
	// One HTTP port serves every component's metrics: the API server's
	// and the views' (labelled by space, range and directory) in one
	// registry, with the process's Go and process collectors, and each log
	// replica's own registry, labelled with its replica ID.
	reg := rolekit.NewProcessRegistry()
	var logMetrics []prometheus.Gatherer
	for _, l := range c.Logs {
		logMetrics = append(logMetrics, rolekit.Labelled(l.Registry(), prometheus.Labels{"replica": strconv.FormatUint(l.ReplicaID(), 10)}))
	}
	// The API server and the views call the log replicas and views of this
	// process directly (logclient.WithInProcess, viewclient.WithInProcess);
	// those still serve gRPC for everyone else.
	views := &inProcessServers{byAddr: map[string]grpc.ClientConnInterface{}}
	logs := &inProcessServers{byAddr: map[string]grpc.ClientConnInterface{}}
	for _, l := range c.Logs {
		logs.add(l.GRPCAddr(), l.InProcess())
	}
	// The log replicas, the API server and the views gossip in one pool,
	// as in production: the others join the first log replica's.
	c.API, err = apiserver.Start(ctx, apiserver.Config{
		InProcessViews: views.get, InProcessLog: logs.get,
		GRPCAddr: cfg.APIAddr, HTTPAddr: cfg.HTTPAddr, LogAddrs: logAddrs,
		GossipAddr: "127.0.0.1:0", GossipJoin: []string{c.Logs[0].GossipAddr()}, Logger: cfg.Logger, Registry: reg, Gatherers: logMetrics, DisableHedging: cfg.DisableHedging, TxTimeout: cfg.TxTimeout,
		TLS: cfg.TLS, GossipTLS: cfg.TLS, Tokens: cfg.Tokens,
	})
	if err != nil {
		return err
	}
	if c.Views, err = startViews(ctx, cfg, logAddrs, c.API, reg, views, logs); err != nil {
		return err
	}
	return c.waitReady(ctx, lc)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// loadLayout reads the directory's layout, choosing Raft ports on first use.
func loadLayout(dir string) (layout, error) {
	path := filepath.Join(dir, "layout.json")
	b, err := os.ReadFile(path)
	if err == nil {
		var lay layout
		if err := json.Unmarshal(b, &lay); err != nil || len(lay.RaftAddrs) != LogReplicas {
			return layout{}, fmt.Errorf("%s is damaged: %v", path, err)
		}
		return lay, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return layout{}, fmt.Errorf("reading %s: %w", path, err)
	}
	lay := layout{RaftAddrs: map[uint64]string{}}
	for id := uint64(1); id <= LogReplicas; id++ {
		addr, err := freeAddr()
		if err != nil {
			return layout{}, err
		}
		lay.RaftAddrs[id] = addr
	}
	b, _ = json.MarshalIndent(lay, "", "  ")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return layout{}, fmt.Errorf("writing %s: %w", path, err)
	}
	return lay, nil
}

// Raft ports are chosen once and kept for life, so they come from below
// Linux's usual ephemeral range (32768 and up): a port picked there could
// be handed to another listener on port 0 before the replica binds it.
const (
	raftPortLow  = 20000
	raftPortHigh = 32767
)

// freeAddr finds a free loopback port for a Raft address.
func freeAddr() (string, error) {
	for try := 0; try < 100; try++ {
		port := raftPortLow + rand.IntN(raftPortHigh-raftPortLow+1)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue // taken; try another
		}
		l.Close()
		return l.Addr().String(), nil
	}
	return "", fmt.Errorf("finding a free port in %d-%d: every port tried was taken", raftPortLow, raftPortHigh)
}

// startLogs starts the log replicas: the first alone, so that the others
// can join its gossip, then the others at once.
func startLogs(ctx context.Context, cfg Config, lay layout) ([]*logserver.Server, error) {
	first, err := startLog(ctx, cfg, lay, 1, nil)
	if err != nil {
		return nil, err
	}
	logs := make([]*logserver.Server, LogReplicas)
	errs := make([]error, LogReplicas)
	logs[0] = first
	var wg sync.WaitGroup
	for i := 1; i < LogReplicas; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			logs[i], errs[i] = startLog(ctx, cfg, lay, uint64(i+1), []string{first.GossipAddr()})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, l := range logs {
			if l != nil {
				l.Stop()
			}
		}
		return nil, err
	}
	return logs, nil
}

// startLog starts log replica id, gossiping with the pool of gossipJoin.
func startLog(ctx context.Context, cfg Config, lay layout, id uint64, gossipJoin []string) (*logserver.Server, error) {
	return logserver.Start(ctx, logserver.Config{
		ReplicaID: id, Dir: filepath.Join(cfg.Dir, "log-"+strconv.FormatUint(id, 10)),
		RaftAddr: lay.RaftAddrs[id], GRPCAddr: "127.0.0.1:0", InitialMembers: lay.RaftAddrs,
		Logger: cfg.Logger, Registry: prometheus.NewRegistry(),
		GossipAddr: "127.0.0.1:0", GossipJoin: gossipJoin, GossipTLS: cfg.TLS,
	})
}

// inProcessServers are servers of this process by gRPC address, for
// calls that need not leave it.
type inProcessServers struct {
	mu     sync.RWMutex
	byAddr map[string]grpc.ClientConnInterface
}

func (v *inProcessServers) add(addr string, conn grpc.ClientConnInterface) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.byAddr[addr] = conn
}

func (v *inProcessServers) get(addr string) grpc.ClientConnInterface {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.byAddr[addr]
}

func startViews(ctx context.Context, cfg Config, logAddrs []string, api *apiserver.Server, reg *prometheus.Registry, inProcessViews, inProcessLogs *inProcessServers) ([]*viewserver.Server, error) {
	var views []*viewserver.Server
	// Every view reads every entry; one decode serves them all.
	shared := logentry.NewSharedReplay(2*Partitions*ViewReplicas, logentry.MaxSupportedVersion, 0)
	for _, sp := range []space.Space{space.HashSP, space.HashPO} {
		for p := 1; p <= Partitions; p++ {
			rg, err := space.Partition(p, Partitions)
			if err != nil {
				return views, err
			}
			for r := 1; r <= ViewReplicas; r++ {
				v, err := viewserver.Start(ctx, viewserver.Config{
					Space: sp, Range: rg, Dir: filepath.Join(cfg.Dir, fmt.Sprintf("view-%s-p%dof%d-r%d", sp, p, Partitions, r)),
					GRPCAddr: "127.0.0.1:0", LogAddrs: logAddrs, GossipAddr: "127.0.0.1:0",
					GossipJoin: []string{api.GossipAddr()}, GossipTLS: cfg.TLS, Logger: cfg.Logger, Registry: reg,
					RestoreFrom: cfg.RestoreFrom, InProcessLog: inProcessLogs.get, SharedReplay: shared,
				})
				if err != nil {
					return views, err
				}
				inProcessViews.add(v.GRPCAddr(), v.InProcess())
				views = append(views, v)
			}
		}
	}
	return views, nil
}

// waitReady waits until the log has a leader and the API sees every view.
func (c *Cluster) waitReady(ctx context.Context, lc *logclient.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		_, err := lc.LastIndex(ctx)
		if err == nil && c.API.ViewCount() >= len(c.Views) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the local cluster to come up: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// upgradeFreshLog switches a fresh, empty log (last index 0) to the newest
// log format version, so that a new local cluster keeps RDF literals
// losslessly (log format version 3, see storage/logentry) from the start.
// Every server of a local cluster is this binary, so all support it. A log
// that already holds entries is left in its version: `akutan ctl log
// upgrade` switches it. It waits for the log to elect a leader.
func upgradeFreshLog(ctx context.Context, lc *logclient.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	last, err := lc.LastIndex(ctx)
	if err != nil {
		return fmt.Errorf("waiting for the local log to elect a leader: %w", err)
	}
	if last != 0 {
		return nil
	}
	if _, err := lc.ChangeVersion(ctx, logentry.MaxSupportedVersion); err != nil {
		return fmt.Errorf("starting the new local log in format version %d: %w", logentry.MaxSupportedVersion, err)
	}
	return nil
}

// startAfterBackup makes the new local log continue after the backup's
// index, in its log format version, so that the views restored from it
// follow the log from the next index. It waits for the log to elect a
// leader. A log that already continues the backup (a restart) is fine.
func startAfterBackup(ctx context.Context, dirs []string, l *logserver.Server, lc *logclient.Client) error {
	chain, err := backup.OpenChain(dirs)
	if err != nil {
		return fmt.Errorf("--restore-from: %w", err)
	}
	m, dir := chain[len(chain)-1], strings.Join(dirs, ",")
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := lc.LastIndex(ctx); err != nil {
		return fmt.Errorf("waiting for the local log to elect a leader: %w", err)
	}
	version, vindex := m.LogVersion, m.LogVersionIndex
	if vindex > m.Index {
		version, vindex = 0, 0 // the version at the backup's index is the first (see backup.Manifest)
	}
	if err := l.StartAfter(ctx, m.Index, version, vindex); err != nil {
		return fmt.Errorf("--restore-from %s: %w (restore into a new --dir)", dir, err)
	}
	return nil
}

// replayName is the file, in a restored cluster's directory, recording a
// replay of a log archive into its log: what is replayed, and whether it
// is done.
const replayName = "replay.json"

// replayState is the content of replayName.
type replayState struct {
	Archive string `json:"archive"`
	From    uint64 `json:"from"`
	To      uint64 `json:"to"`
	Done    bool   `json:"done"`
}

func writeReplayState(path string, st replayState) error {
	b, _ := json.MarshalIndent(st, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// replayPlan checks the log archive against the backup (see
// logreplay.Check).
func replayPlan(cfg Config) (logreplay.Plan, error) {
	p, err := logreplay.CheckBackup(cfg.RestoreFrom, cfg.LogArchive, cfg.ToIndex)
	if err != nil {
		return logreplay.Plan{}, fmt.Errorf("--log-archive: %w", err)
	}
	return p, nil
}

// replayArchive appends the log archive's entries after the backup's
// index to the new log (cluster/logreplay), once. The replay is recorded
// in the directory before it starts and when it is done: a restart of a
// directory that replayed them does nothing, and one whose replay was
// interrupted resumes it (with or without the flags) before the API
// server starts.
func replayArchive(ctx context.Context, cfg Config, lc *logclient.Client) (Replayed, error) {
	path := filepath.Join(cfg.Dir, replayName)
	var st replayState
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &st); err != nil {
			return Replayed{}, fmt.Errorf("%s is damaged: %w", path, err)
		}
		if cfg.ToIndex != 0 && cfg.ToIndex != st.To {
			return Replayed{}, fmt.Errorf("--to-index %d: %s is restored to index %d (restore into a new --dir)", cfg.ToIndex, cfg.Dir, st.To)
		}
		if st.Done {
			return Replayed{}, nil
		}
	case !errors.Is(err, os.ErrNotExist):
		return Replayed{}, fmt.Errorf("reading %s: %w", path, err)
	case cfg.LogArchive == "":
		return Replayed{}, nil // no replay asked for
	default:
		p, err := replayPlan(cfg)
		if err != nil {
			return Replayed{}, err
		}
		st = replayState{Archive: p.Dir, From: p.From, To: p.To}
		if err := writeReplayState(path, st); err != nil {
			return Replayed{}, err
		}
	}
	p, err := logreplay.Check(st.Archive, st.From-1, st.To)
	if err != nil {
		return Replayed{}, fmt.Errorf("--log-archive: %w", err)
	}
	res, err := logreplay.Replay(ctx, lc, p, nil)
	if err != nil {
		return Replayed{}, fmt.Errorf("--log-archive: %w", err)
	}
	st.Done = true
	if err := writeReplayState(path, st); err != nil {
		return Replayed{}, err
	}
	return Replayed{Plan: p, Result: res}, nil
}

// Stop stops every component, API first.
func (c *Cluster) Stop() {
	if c.API != nil {
		c.API.Stop()
	}
	for _, v := range c.Views {
		v.Stop()
	}
	// The replicas stop one by one: the others' failed sends to the
	// stopped ones are expected, not errors worth logging.
	logserver.QuietRaftForStop()
	for _, l := range c.Logs {
		l.Stop()
	}
}
