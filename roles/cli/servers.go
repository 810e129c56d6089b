package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/roles/apiserver"
	"github.com/akutan-dev/akutan/roles/logserver"
	"github.com/akutan-dev/akutan/roles/viewserver"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// gossipFlags are shared by every server role.
func gossipFlags() []cli.Flag {
	return []cli.Flag{
		str("dc", "", "`NAME` of this server's datacenter"),
		str("cluster", "", "cluster `NAME`: gossip pools with different names do not mix"),
		str("gossip-addr", "", "`HOST:PORT` for gossip (memberlist, TCP and UDP)"),
		str("gossip-join", "", "gossip peers to join, `HOST:PORT,...`"),
		str("gossip-key", "", "base64 AES key (16, 24 or 32 bytes) encrypting gossip"),
		str("metrics-addr", "", "`HOST:PORT` serving Prometheus /metrics (api: use --http-addr)"),
		maxLogVersionFlag(),
	}
}

// maxLogVersionFlag is the hidden --max-log-version: a server claims to
// read log formats only up to N, as an older binary would, so that tests
// and rehearsals can play a cluster in the middle of an upgrade. A view
// started so stops at a version change past N.
func maxLogVersionFlag() cli.Flag {
	return altsrc.NewUintFlag(&cli.UintFlag{Name: "max-log-version", Hidden: true,
		Usage: "claim to support log format versions only up to `N` (testing upgrades)"})
}

// maxLogVersion reads --max-log-version: 0 (unset) is what this binary
// supports; a server cannot claim more.
func maxLogVersion(c *cli.Context) (uint32, error) {
	v := c.Uint("max-log-version")
	if v == 0 {
		return logentry.MaxSupportedVersion, nil
	}
	if v < uint(logentry.FirstVersion) || v > uint(logentry.MaxSupportedVersion) {
		return 0, fmt.Errorf("--max-log-version %d: this binary supports log versions %d to %d",
			v, logentry.FirstVersion, logentry.MaxSupportedVersion)
	}
	return uint32(v), nil
}

func gossipKey(c *cli.Context) ([]byte, error) {
	if c.String("gossip-key") == "" {
		return nil, nil
	}
	key, err := base64.StdEncoding.DecodeString(c.String("gossip-key"))
	if err != nil {
		return nil, fmt.Errorf("--gossip-key is not base64: %w", err)
	}
	if n := len(key); n != 16 && n != 24 && n != 32 {
		return nil, fmt.Errorf("--gossip-key must decode to 16, 24 or 32 bytes, not %d", n)
	}
	return key, nil
}

// runUntilSignal waits for Ctrl-C or SIGTERM, then stops.
func runUntilSignal(log zerolog.Logger, stop func()) {
	_ = runUntilSignalOrFailure(log, nil, stop)
}

// runUntilSignalOrFailure waits for Ctrl-C, SIGTERM or an error on failed
// (a server that stopped for good), then stops, and returns that error so
// that the process exits non-zero with it.
func runUntilSignalOrFailure(log zerolog.Logger, failed <-chan error, stop func()) error {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	var err error
	select {
	case <-ctx.Done():
		log.Info().Msg("stopping")
	case err = <-failed:
		log.Error().Err(err).Msg("stopping: the server failed for good")
	}
	stop()
	return err
}

// serveMetrics exposes reg on addr until the returned stop is called.
func serveMetrics(addr string, reg *prometheus.Registry, log zerolog.Logger) (func(), error) {
	if addr == "" {
		return func() {}, nil
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error().Err(err).Msg("metrics server failed")
		}
	}()
	return func() { srv.Close() }, nil
}

func logCommand() *cli.Command {
	return withConfig(&cli.Command{
		Name:  "log",
		Usage: "run one replica of the central log",
		Flags: append([]cli.Flag{
			num("id", 0, "this replica's `ID` (never reuse a removed replica's ID)"),
			str("dir", "", "data `DIR`"),
			str("raft-addr", "", "`HOST:PORT` for Raft traffic"),
			str("grpc-addr", "", "`HOST:PORT` serving the Log gRPC service"),
			str("initial-members", "", "replicas creating the log: `ID=HOST:PORT,...` (Raft addresses)"),
			&cli.BoolFlag{Name: "join", Usage: "join an existing log (after `akutan ctl log add`) instead of creating one"},
			// Hidden: tests make the replicas snapshot and compact the
			// Raft log often, so that a joining replica needs a snapshot.
			altsrc.NewUint64Flag(&cli.Uint64Flag{Name: "snapshot-entries", Hidden: true,
				Usage: "snapshot and compact the Raft log every `N` proposals (default 1000)"}),
			altsrc.NewUint64Flag(&cli.Uint64Flag{Name: "compaction-overhead", Hidden: true,
				Usage: "Raft proposals kept after a compaction (default 500)"}),
		}, gossipFlags()...),
		Action: runLog,
	})
}

func runLog(c *cli.Context) error {
	if err := required(c, "dir", "raft-addr", "grpc-addr"); err != nil {
		return err
	}
	log, err := logger(c)
	if err != nil {
		return err
	}
	members, err := parseMembers(c.String("initial-members"))
	if err != nil {
		return err
	}
	if c.Uint64("id") == 0 {
		return fmt.Errorf("--id is required and must be positive")
	}
	if _, err := maxLogVersion(c); err != nil {
		return err
	}
	logserver.RouteDragonboatLogs(log.With().Str("role", "log").Logger())
	reg := prometheus.NewRegistry()
	srv, err := logserver.Start(c.Context, logserver.Config{
		ReplicaID: c.Uint64("id"), Dir: c.String("dir"), RaftAddr: c.String("raft-addr"),
		GRPCAddr: c.String("grpc-addr"), InitialMembers: members, DC: c.String("dc"),
		Logger: log, Registry: reg, Join: c.Bool("join"),
		SnapshotEntries: c.Uint64("snapshot-entries"), CompactionOverhead: c.Uint64("compaction-overhead"),
	})
	if err != nil {
		return err
	}
	g, err := startGossip(c, log, gossip.Meta{Role: "log", GRPCAddr: srv.GRPCAddr(), Serving: true})
	if err != nil {
		srv.Stop()
		return err
	}
	stopMetrics, err := serveMetrics(c.String("metrics-addr"), reg, log)
	if err != nil {
		g.stop()
		srv.Stop()
		return err
	}
	stopAdvert := g.advertiseLog(srv, log)
	fmt.Printf("log replica %d serving gRPC on %s (raft %s)\n", c.Uint64("id"), srv.GRPCAddr(), c.String("raft-addr"))
	runUntilSignal(log, func() { stopMetrics(); stopAdvert(); g.stop(); srv.Stop() })
	return nil
}

// logAdvertInterval is how often a log replica refreshes its gossip meta.
const logAdvertInterval = time.Second

// advertiseLog keeps the replica's applied index and serving state fresh
// in gossip (status tools compare views with it) until stop is called.
func (g optionalGossip) advertiseLog(srv *logserver.Server, log zerolog.Logger) (stop func()) {
	if g.node == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(logAdvertInterval)
		defer t.Stop()
		for {
			meta := g.node.Meta()
			info, err := srv.Info(ctx, &wire.InfoRequest{}) // local, not through Raft
			meta.Serving = err == nil
			if err == nil {
				meta.AppliedIndex = info.AppliedIndex
			}
			if err := g.node.SetMeta(meta); err != nil {
				log.Warn().Err(err).Msg("advertising the log's applied index")
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

// optionalGossip is a gossip node or nothing.
type optionalGossip struct{ node *gossip.Node }

func (g optionalGossip) stop() {
	if g.node != nil {
		g.node.Leave(time.Second)
		g.node.Stop()
	}
}

func startGossip(c *cli.Context, log zerolog.Logger, meta gossip.Meta) (optionalGossip, error) {
	if c.String("gossip-addr") == "" {
		return optionalGossip{}, nil
	}
	key, err := gossipKey(c)
	if err != nil {
		return optionalGossip{}, err
	}
	version, err := maxLogVersion(c)
	if err != nil {
		return optionalGossip{}, err
	}
	meta.Cluster, meta.DC, meta.MaxLogVersion = c.String("cluster"), c.String("dc"), version
	node, err := gossip.Start(c.Context, gossip.Config{
		Name: meta.Role + "-" + meta.GRPCAddr, BindAddr: c.String("gossip-addr"), Join: list(c.String("gossip-join")),
		Cluster: c.String("cluster"), SecretKey: key, Logger: log,
	}, meta)
	return optionalGossip{node: node}, err
}

func viewCommand() *cli.Command {
	return withConfig(&cli.Command{
		Name:  "view",
		Usage: "run a Disk View serving one hash range of one space",
		Flags: append([]cli.Flag{
			str("space", "", "`hashsp` or hashpo"),
			str("partition", "", "serve partition `I/N` (I counts from 1)"),
			str("range", "", "serve hashes `0xSTART-0xEND` (inclusive)"),
			str("dir", "", "data `DIR`"),
			str("grpc-addr", "", "`HOST:PORT` serving the View gRPC service"),
			str("advertise-addr", "", "`HOST:PORT` API servers should use for the View service (default: --grpc-addr)"),
			str("log", "", "log replicas' gRPC addresses, `HOST:PORT,...`"),
		}, gossipFlags()...),
		Action: runView,
	})
}

func viewRange(c *cli.Context) (space.Range, error) {
	p, r := c.String("partition"), c.String("range")
	switch {
	case p != "" && r != "":
		return space.Range{}, fmt.Errorf("give either --partition or --range, not both")
	case p != "":
		rg, err := space.ParsePartition(p)
		if err != nil {
			return rg, fmt.Errorf("--partition: %w", err)
		}
		return rg, nil
	case r != "":
		rg, err := space.ParseRange(r)
		if err != nil {
			return rg, fmt.Errorf("--range: %w", err)
		}
		return rg, nil
	}
	return space.Range{}, fmt.Errorf("--partition or --range is required")
}

func runView(c *cli.Context) error {
	if err := required(c, "space", "dir", "grpc-addr", "log"); err != nil {
		return err
	}
	log, err := logger(c)
	if err != nil {
		return err
	}
	sp, err := space.ParseSpace(c.String("space"))
	if err != nil {
		return fmt.Errorf("--space: %w", err)
	}
	rg, err := viewRange(c)
	if err != nil {
		return err
	}
	key, err := gossipKey(c)
	if err != nil {
		return err
	}
	version, err := maxLogVersion(c)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	srv, err := viewserver.Start(c.Context, viewserver.Config{
		Space: sp, Range: rg, Dir: c.String("dir"), GRPCAddr: c.String("grpc-addr"), LogAddrs: list(c.String("log")),
		DC: c.String("dc"), Cluster: c.String("cluster"), GossipAddr: c.String("gossip-addr"),
		GossipJoin: list(c.String("gossip-join")), GossipKey: key, Logger: log, Registry: reg,
		AdvertiseAddr: c.String("advertise-addr"), MaxLogVersion: version,
	})
	if err != nil {
		return err
	}
	stopMetrics, err := serveMetrics(c.String("metrics-addr"), reg, log)
	if err != nil {
		srv.Stop()
		return err
	}
	fmt.Printf("view %s %s serving gRPC on %s\n", sp, rg, srv.GRPCAddr())
	return runUntilSignalOrFailure(log, srv.Failed(), func() { stopMetrics(); srv.Stop() })
}

func apiCommand() *cli.Command {
	return withConfig(&cli.Command{
		Name:  "api",
		Usage: "run a stateless API server",
		Flags: append([]cli.Flag{
			str("grpc-addr", DefaultAPIAddr, "`HOST:PORT` serving the API gRPC service"),
			str("http-addr", "", "`HOST:PORT` serving the HTTP API, /healthz and /metrics"),
			str("log", "", "log replicas' gRPC addresses, `HOST:PORT,...`"),
			hedgeFlag(),
			txTimeoutFlag(),
		}, gossipFlags()...),
		Action: runAPI,
	})
}

func runAPI(c *cli.Context) error {
	if err := required(c, "grpc-addr", "log", "gossip-addr"); err != nil {
		return err
	}
	log, err := logger(c)
	if err != nil {
		return err
	}
	key, err := gossipKey(c)
	if err != nil {
		return err
	}
	version, err := maxLogVersion(c)
	if err != nil {
		return err
	}
	srv, err := apiserver.Start(c.Context, apiserver.Config{
		GRPCAddr: c.String("grpc-addr"), HTTPAddr: c.String("http-addr"), LogAddrs: list(c.String("log")),
		DC: c.String("dc"), Cluster: c.String("cluster"), GossipAddr: c.String("gossip-addr"),
		GossipJoin: list(c.String("gossip-join")), GossipKey: key, Logger: log,
		DisableHedging: !c.Bool("hedge"), MaxLogVersion: version, TxTimeout: c.Duration("tx-timeout"),
	})
	if err != nil {
		return err
	}
	fmt.Printf("api serving gRPC on %s, HTTP on %s\n", srv.GRPCAddr(), srv.HTTPAddr())
	runUntilSignal(log, srv.Stop)
	return nil
}

// txTimeoutFlag is --tx-timeout: how long a transaction may stay
// undecided (its client gone) before the API server aborts it.
func txTimeoutFlag() cli.Flag {
	return dur("tx-timeout", apiserver.DefaultTxTimeout, "abort transactions left undecided this long (their client went away)")
}

// hedgeFlag is --hedge, on by default: --hedge=false stops the API server
// from racing a second view replica when one is slow.
func hedgeFlag() cli.Flag {
	return altsrc.NewBoolFlag(&cli.BoolFlag{Name: "hedge", Value: true,
		Usage: "race another view replica when one is slow (--hedge=false: never)"})
}
