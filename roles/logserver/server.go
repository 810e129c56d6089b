package logserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/internal/dirlock"
	"github.com/akutan-dev/akutan/internal/inprocess"
	"github.com/akutan-dev/akutan/internal/tlsconfig"
	"github.com/akutan-dev/akutan/roles/rolekit"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
	"github.com/lni/dragonboat/v3"
	"github.com/lni/dragonboat/v3/client"
	"github.com/lni/dragonboat/v3/config"
	dblogger "github.com/lni/dragonboat/v3/logger"
	sm "github.com/lni/dragonboat/v3/statemachine"
	"github.com/lni/goutils/vfs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

const (
	// clusterID is the Raft group of the log; a NodeHost runs only this one.
	clusterID uint64 = 1
	// deploymentID keeps log replicas from talking to unrelated NodeHosts.
	deploymentID uint64 = 0x616b7574616e // "akutan"

	rttMillisecond            = 20
	defaultSnapshotEntries    = 1000
	defaultCompactionOverhead = 500
	maxInMemLogSize           = 256 << 20

	// defaultTimeout bounds Raft calls whose context has no deadline.
	defaultTimeout = 10 * time.Second
	// grpcStreamWindow and grpcConnWindow are static HTTP/2 flow-control
	// windows: fixing them turns off gRPC's bandwidth-delay probing, whose
	// PINGs and window updates cost system calls every few appends.
	grpcStreamWindow = 4 << 20
	grpcConnWindow   = 16 << 20
)

// Config configures one log replica.
type Config struct {
	// ReplicaID is the Raft node ID of this replica; never reuse the ID of a
	// removed or wiped replica.
	ReplicaID uint64
	// Dir holds the Raft log (Dir/raft) and the entries (Dir/sm).
	Dir string
	// RaftAddr is the host:port Raft peers reach this replica on.
	RaftAddr string
	// GRPCAddr is the host:port the Log service listens on; port 0 picks a
	// free port (see Server.GRPCAddr).
	GRPCAddr string
	// InitialMembers maps replica IDs to Raft addresses of the replicas that
	// create the log. It is ignored when Join is set or when Dir already
	// holds a replica.
	InitialMembers map[uint64]string
	// DC is the datacenter of this replica; Info reports it, so that
	// readers can prefer a replica in their own datacenter.
	DC string
	// Logger receives the replica's logs.
	Logger zerolog.Logger
	// Registry, when set, receives the replica's metrics.
	Registry *prometheus.Registry
	// Join is true for a replica added to an existing log (after
	// Server.AddReplica on a member), false for an initial member.
	Join bool

	// TLS, when set, puts the gRPC listener (Log and LogAdmin), the
	// metrics listener and the Raft transport behind mutual TLS with the
	// same certificate and CA: only cluster members (certificates signed
	// by the CA) are served. The Raft transport (Dragonboat) reads the
	// files once at start, so a rotated certificate reaches Raft only at
	// the next restart; gRPC picks it up at once. nil: plaintext.
	TLS *tlsconfig.Source
	// GossipTLS, when set, carries gossip over mutual TLS; nil: TLS.
	GossipTLS *tlsconfig.Source

	// MetricsAddr, when set, serves Registry at GET /metrics.
	MetricsAddr string
	// GossipAddr, when set, gossips the replica (role "log", its gRPC
	// address, its applied index and whether it answers) in the pool of
	// GossipJoin, Cluster and GossipKey, so that status tools see it.
	GossipAddr string
	GossipJoin []string
	GossipKey  []byte
	Cluster    string
	// MaxLogVersion is the newest log format the replica claims to read,
	// advertised in gossip; 0: all this binary supports.
	MaxLogVersion uint32

	// SnapshotEntries is how many Raft proposals go between snapshots (the
	// Raft log is compacted after each); 0 means 1000.
	SnapshotEntries uint64
	// CompactionOverhead is how many Raft proposals are kept after a
	// compaction, for slow followers; 0 means 500.
	CompactionOverhead uint64
	// SnapshotBytes also bounds the proposal bytes between snapshots, so
	// that large proposals do not keep gigabytes of Raft log; 0 means
	// 64 MiB.
	SnapshotBytes uint64

	// AutoTruncateEvery, when positive, makes the replica discard the log
	// prefix this often while it leads: the entries up to the lowest
	// floor the clusters registered, as it stood AutoTruncateLag ago
	// (see autotruncate.go). 0: only operators truncate.
	AutoTruncateEvery time.Duration
	AutoTruncateLag   time.Duration

	// FS is the file system for the Raft log and the state machine; nil
	// means the operating system's. Power-loss tests pass a strict
	// in-memory one (vfs.NewStrictMem) that forgets unsynced writes.
	FS vfs.FS
	// LockWait is how long Start waits for a data directory that another
	// process still holds (one killed a moment ago is still exiting); 0
	// means dirlock.DefaultWait.
	LockWait time.Duration
	// smWriteBuffer overrides the state machine's LevelDB memtable size, so
	// that tests can make it rotate journals often.
	smWriteBuffer int
}

func (c *Config) validate() error {
	switch {
	case c.ReplicaID == 0:
		return errors.New("ReplicaID must be > 0")
	case c.Dir == "":
		return errors.New("Dir must be set")
	case c.RaftAddr == "":
		return errors.New("RaftAddr must be set")
	case c.GRPCAddr == "":
		return errors.New("GRPCAddr must be set")
	}
	if !c.Join {
		if _, ok := c.InitialMembers[c.ReplicaID]; !ok {
			return fmt.Errorf("InitialMembers must include ReplicaID %d unless Join is set", c.ReplicaID)
		}
	}
	return nil
}

// Server is one running log replica: a Raft node, its state machine and the
// Log gRPC service.
type Server struct {
	wire.UnimplementedLogServer

	cfg     Config
	logger  zerolog.Logger
	metrics *metrics
	leaders *leaderListener
	nh      *dragonboat.NodeHost
	sm      *logSM
	session *client.Session
	kit     *rolekit.Server // gRPC, metrics and gossip
	// inProcess serves the Log service to callers in this process
	// (InProcess).
	inProcess grpc.ClientConnInterface

	// founder is true when this replica started a new log (an initial
	// member on an empty directory): see directoryEnabled.
	founder bool

	reqc chan *appendReq
	// stopc is closed by Stop; every RPC and goroutine watches it.
	stopc    chan struct{}
	wg       sync.WaitGroup
	stopOnce sync.Once
}

// Start starts a log replica and returns once it is serving; the replica
// becomes useful when Raft has elected a leader.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("starting log replica: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("starting log replica: %w", err)
	}
	quietDragonboat()
	s := &Server{
		cfg:    cfg,
		logger: cfg.Logger.With().Uint64("replica", cfg.ReplicaID).Logger(),
		reqc:   make(chan *appendReq, 1024),
		stopc:  make(chan struct{}),
	}
	s.sm = newLogSM(filepath.Join(cfg.Dir, "sm"), s.logger, smOptions{
		fs: cfg.FS, writeBuffer: cfg.smWriteBuffer, snapshotBytes: cfg.SnapshotBytes,
	})
	m, err := newMetrics(cfg.Registry, s.smExtent)
	if err != nil {
		return nil, fmt.Errorf("starting log replica: registering metrics: %w", err)
	}
	s.metrics, s.leaders = m, newLeaderListener(cfg.ReplicaID, m, s.logger)
	s.founder = !cfg.Join && !s.hasRaftState()
	if err := s.startRaft(ctx); err != nil {
		m.unregister(cfg.Registry)
		return nil, fmt.Errorf("starting log replica %d: %w", cfg.ReplicaID, err)
	}
	if err := s.startServing(ctx); err != nil {
		s.nh.Stop()
		m.unregister(cfg.Registry)
		return nil, fmt.Errorf("starting log replica %d: %w", cfg.ReplicaID, err)
	}
	s.wg.Add(3)
	go func() {
		defer s.wg.Done()
		s.runBatcher()
	}()
	go func() {
		defer s.wg.Done()
		s.runRecordSelf()
	}()
	go func() {
		defer s.wg.Done()
		s.runSnapshots()
	}()
	if cfg.AutoTruncateEvery > 0 {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.runAutoTruncate()
		}()
	}
	s.logger.Info().Str("raft_addr", cfg.RaftAddr).Str("grpc_addr", s.GRPCAddr()).
		Str("dc", cfg.DC).Bool("join", cfg.Join).Msg("log replica started")
	return s, nil
}

// quietOnce guards Dragonboat's loggers, which are process-global: setting
// their level races with running NodeHosts logging, so it is done once per
// process, before the first NodeHost starts.
var quietOnce sync.Once

// dragonboatLoggers are Dragonboat's packages' loggers, but for "raft".
var dragonboatLoggers = []string{"dragonboat", "rsm", "transport", "logdb",
	"LogDB", "raftpb", "config", "settings", "grpc", "server", "pebblekv", "tools", "raft-mt"}

// quietDragonboat turns Dragonboat's loggers down to warnings, and its
// Raft package to errors: it warns of every election step and of every
// read refused while there is no leader, dozens of lines per election
// (the replica logs leader changes itself).
func quietDragonboat() {
	quietOnce.Do(func() {
		for _, name := range dragonboatLoggers {
			dblogger.GetLogger(name).SetLevel(dblogger.WARNING)
		}
		dblogger.GetLogger("raft").SetLevel(dblogger.ERROR)
	})
}

func (s *Server) startRaft(ctx context.Context) error {
	nhc := s.nodeHostConfig()
	var nh *dragonboat.NodeHost
	err := dirlock.Retry(ctx, s.cfg.LockWait, func(err error) {
		s.logger.Info().Str("dir", s.cfg.Dir).Msg("the data directory is still locked, by a process that is exiting or by another akutan; waiting")
	}, func() error {
		var err error
		nh, err = dragonboat.NewNodeHost(nhc)
		return err
	})
	if err != nil {
		return fmt.Errorf("creating NodeHost: %w", err)
	}
	s.nh = nh
	s.session = nh.GetNoOPSession(clusterID)
	create := func(uint64, uint64) sm.IOnDiskStateMachine { return s.sm }
	members := make(map[uint64]dragonboat.Target)
	if !s.cfg.Join {
		for id, addr := range s.cfg.InitialMembers {
			members[id] = addr
		}
	}
	if err := nh.StartOnDiskCluster(members, s.cfg.Join, create, s.raftConfig()); err != nil {
		nh.Stop()
		return fmt.Errorf("starting Raft node: %w", err)
	}
	return nil
}

// logDBConfig is the configuration of Dragonboat's LogDB (the Raft log,
// in Pebble). Every entry is also in the state machine's own store, and
// the Raft log is compacted after each snapshot (see compact.go), so the
// Raft log needs to hold only the entries since: small memtables (the
// entries sit in Pebble's write-ahead log until their memtable is flushed)
// and an early level-0 compaction (which drops what compaction deleted)
// keep it to tens of megabytes rather than hundreds.
func logDBConfig() config.LogDBConfig {
	logdb := config.GetTinyMemLogDBConfig() // 4 MB memtables, at most 4
	logdb.Shards = 1
	logdb.KVLevel0FileNumCompactionTrigger = 4
	return logdb
}

func (s *Server) nodeHostConfig() config.NodeHostConfig {
	logdb := logDBConfig()
	var mtls bool
	var files tlsconfig.Files
	if s.cfg.TLS != nil {
		mtls, files = true, s.cfg.TLS.Files()
	}
	return config.NodeHostConfig{
		MutualTLS: mtls, CAFile: files.CA, CertFile: files.Cert, KeyFile: files.Key,
		DeploymentID:      deploymentID,
		NodeHostDir:       filepath.Join(s.cfg.Dir, "raft"),
		RTTMillisecond:    rttMillisecond,
		RaftAddress:       s.cfg.RaftAddr,
		RaftEventListener: s.leaders,
		Expert: config.ExpertConfig{
			FS:    s.cfg.FS, // nil: the operating system's
			LogDB: logdb,
			Engine: config.EngineConfig{
				ExecShards: 1, CommitShards: 1, ApplyShards: 1, SnapshotShards: 2, CloseShards: 1,
			},
		},
	}
}

// compactionOverhead is the Raft proposals kept after a compaction.
func (s *Server) compactionOverhead() uint64 {
	if s.cfg.CompactionOverhead == 0 {
		return defaultCompactionOverhead
	}
	return s.cfg.CompactionOverhead
}

func (s *Server) raftConfig() config.Config {
	snap, overhead := s.cfg.SnapshotEntries, s.compactionOverhead()
	if snap == 0 {
		snap = defaultSnapshotEntries
	}
	return config.Config{
		NodeID:             s.cfg.ReplicaID,
		ClusterID:          clusterID,
		CheckQuorum:        true,
		ElectionRTT:        20, // 400 ms
		HeartbeatRTT:       2,  // 40 ms
		SnapshotEntries:    snap,
		CompactionOverhead: overhead,
		MaxInMemLogSize:    maxInMemLogSize,
		// A membership change names the membership it was made against and
		// is rejected if that is no longer current: one change at a time.
		OrderedConfigChange: true,
	}
}

// logAdvertInterval is how often a replica refreshes its gossip meta.
const logAdvertInterval = time.Second

// startServing serves the Log and LogAdmin services, metrics and gossip.
func (s *Server) startServing(ctx context.Context) error {
	kit, err := rolekit.Listen(ctx, rolekit.Config{
		Role: "log", GRPCAddr: s.cfg.GRPCAddr, TLS: s.cfg.TLS,
		GRPCOptions: append(wire.ServerOptions(),
			grpc.InitialWindowSize(grpcStreamWindow),
			grpc.InitialConnWindowSize(grpcConnWindow),
			grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
				MinTime: 5 * time.Second, PermitWithoutStream: true,
			}),
		),
		Register: func(g *grpc.Server) {
			wire.RegisterLogServer(g, s)
			wire.RegisterLogAdminServer(g, &adminService{s: s})
		},
		HTTPAddr: s.cfg.MetricsAddr, Registry: s.cfg.Registry,
		GossipAddr: s.cfg.GossipAddr, GossipJoin: s.cfg.GossipJoin, GossipKey: s.cfg.GossipKey,
		GossipTLS: cmp.Or(s.cfg.GossipTLS, s.cfg.TLS),
		Cluster:   s.cfg.Cluster, DC: s.cfg.DC, Meta: s.meta, AdvertiseEvery: logAdvertInterval,
		// RPCs all watch stopc, so they end soon; force them after a while.
		GracePeriod: 2 * time.Second,
		Logger:      s.logger,
	})
	if err != nil {
		return err
	}
	s.kit = kit
	// Calls in this process are refused once the replica stops, as a
	// stopped gRPC server refuses them.
	ch := inprocess.NewChannel(s.stopped, "log replica is stopping", &wire.AppendRequest{})
	wire.RegisterLogServer(ch, s)
	s.inProcess = ch
	kit.Serve()
	return nil
}

func (s *Server) stopped() bool {
	select {
	case <-s.stopc:
		return true
	default:
		return false
	}
}

// InProcess returns a connection to this replica's Log service that does
// not leave the process (see logclient.WithInProcess); nil before it
// serves.
func (s *Server) InProcess() grpc.ClientConnInterface {
	return s.inProcess
}

// meta is what the replica advertises in gossip: its applied index, and
// whether it answers (status tools compare views with it).
func (s *Server) meta(ctx context.Context) gossip.Meta {
	info, err := s.Info(ctx, &wire.InfoRequest{}) // local, not through Raft
	m := gossip.Meta{Serving: err == nil, MaxLogVersion: s.maxLogVersion()}
	if err == nil {
		m.AppliedIndex = info.AppliedIndex
	}
	return m
}

// smExtent is the state machine's extent (for the metrics).
func (s *Server) smExtent() extent {
	return s.sm.extent()
}

// GRPCAddr returns the address the Log service listens on.
func (s *Server) GRPCAddr() string {
	return s.kit.GRPCAddr()
}

// GossipAddr returns the address the replica gossips on, or "" when it
// does not gossip.
func (s *Server) GossipAddr() string {
	if g := s.kit.Gossip(); g != nil {
		return g.Addr()
	}
	return ""
}

// ReplicaID returns this replica's Raft node ID.
func (s *Server) ReplicaID() uint64 {
	return s.cfg.ReplicaID
}

// Registry holds the replica's metrics (Config.Registry; an empty one
// without).
func (s *Server) Registry() *prometheus.Registry {
	if s.cfg.Registry == nil {
		return prometheus.NewRegistry()
	}
	return s.cfg.Registry
}

// NodeHost returns the Dragonboat NodeHost, for tests and tools.
func (s *Server) NodeHost() *dragonboat.NodeHost {
	return s.nh
}

// Stop leaves gossip, stops the gRPC service, the batcher and the Raft
// node, and waits for all of them. It is safe to call more than once.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		close(s.stopc)
		s.kit.Stop() // drains RPCs: they all watch stopc
		s.wg.Wait()
		s.nh.Stop()
		s.metrics.unregister(s.cfg.Registry)
		s.logger.Info().Msg("log replica stopped")
	})
}

// maxLogVersion is the newest log format the replica claims to read.
func (s *Server) maxLogVersion() uint32 {
	return cmp.Or(s.cfg.MaxLogVersion, logentry.MaxSupportedVersion)
}

// hasRaftState reports whether the data directory holds a Raft node
// already (a restart, not the creation of a log).
func (s *Server) hasRaftState() bool {
	dir := filepath.Join(s.cfg.Dir, "raft")
	if s.cfg.FS != nil {
		_, err := s.cfg.FS.Stat(dir)
		return err == nil
	}
	_, err := os.Stat(dir)
	return err == nil
}

// withDefaultTimeout gives ctx a deadline if it has none: Dragonboat's
// synchronous calls require one.
func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, defaultTimeout)
}
