package cli

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"

	"github.com/akutan-dev/akutan/cluster/floor"
	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/internal/exposure"
	"github.com/akutan-dev/akutan/internal/tlsconfig"
	"github.com/akutan-dev/akutan/internal/tokens"
	"github.com/akutan-dev/akutan/roles/apiserver"
	"github.com/akutan-dev/akutan/roles/logserver"
	"github.com/akutan-dev/akutan/roles/rolekit"
	"github.com/akutan-dev/akutan/roles/viewserver"
	"github.com/akutan-dev/akutan/storage/backup"
	"github.com/akutan-dev/akutan/storage/logentry"
)

// gossipFlags are shared by every server role.
func gossipFlags() []cli.Flag {
	return []cli.Flag{
		str("dc", "", "`NAME` of this server's datacenter"),
		str("cluster", "", "Akutan cluster `NAME` (default: the --dc): gossip pools with different names do not mix"),
		str("gossip-addr", "", "`HOST:PORT` for gossip (memberlist, TCP and UDP; TCP only, mutual TLS, with --tls-cert)"),
		str("gossip-join", "", "gossip peers to join, `HOST:PORT,...`"),
		str("gossip-key-file", "", "`FILE` holding the base64 AES key (16, 24 or 32 bytes) encrypting gossip"),
		str("gossip-key", "", "the gossip `KEY` itself (visible in ps: prefer --gossip-key-file)"),
		str("metrics-addr", "", "`HOST:PORT` serving Prometheus /metrics (api: use --http-addr)"),
		maxLogVersionFlag(),
		insecureFlag(),
	}
}

// insecureFlag is --insecure: serve on a network address without mutual
// TLS (or gossip without its key), which is refused otherwise.
func insecureFlag() cli.Flag {
	return altsrc.NewBoolFlag(&cli.BoolFlag{Name: "insecure",
		Usage: "serve on non-loopback addresses without TLS (and gossip without TLS or a key); refused otherwise"})
}

// checkExposure refuses to start a server whose listeners reach a network
// without the protection they need, unless --insecure, which is then
// logged as a warning (package exposure).
func checkExposure(c *cli.Context, log zerolog.Logger, p exposure.Protection, ls ...exposure.Listener) error {
	warnings, err := exposure.Check(ls, p, c.Bool("insecure"))
	if err != nil {
		return err
	}
	for _, w := range warnings {
		log.Warn().Msg("--insecure: " + w)
	}
	return nil
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

// clusterName is the server's Akutan cluster: --cluster, or else its
// datacenter (--dc), so that each datacenter is its own cluster and
// gossip pool unless told otherwise.
func clusterName(c *cli.Context) string {
	return cmp.Or(c.String("cluster"), c.String("dc"))
}

func gossipKey(c *cli.Context) ([]byte, error) {
	text := c.String("gossip-key")
	if f := c.String("gossip-key-file"); f != "" {
		if text != "" {
			return nil, fmt.Errorf("give --gossip-key-file or --gossip-key, not both")
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("--gossip-key-file: %w", err)
		}
		text = strings.TrimSpace(string(b))
	}
	if text == "" {
		return nil, nil
	}
	key, err := base64.StdEncoding.DecodeString(text)
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
	notifyStopping(log)
	stop()
	return err
}

func logCommand() *cli.Command {
	return withConfig(withLogFormat(&cli.Command{
		Name:  "log",
		Usage: "run one replica of the central log",
		Flags: append([]cli.Flag{
			num("id", 0, "this replica's `ID` (never reuse a removed replica's ID)"),
			str("dir", "", "data `DIR`"),
			str("raft-addr", "", "`HOST:PORT` for Raft traffic"),
			str("grpc-addr", "", "`HOST:PORT` serving the Log gRPC service"),
			str("initial-members", "", "replicas creating the log: `ID=HOST:PORT,...` (Raft addresses)"),
			&cli.BoolFlag{Name: "join", Usage: "join an existing log (after akutan ctl log add) instead of creating one"},
			dur("auto-truncate-every", 0, "while leading, every `DURATION` discard the log prefix below every cluster's floor (0: never)"),
			dur("auto-truncate-lag", DefaultAutoTruncateLag, "with --auto-truncate-every: stay this `DURATION` behind the floors"),
			str("restore-from", "", "a new log continues after the index of the backup in `DIR[,INCR,...]` (akutan ctl backup; the last "+
				"one's index): its first entry is that index + 1; give it to every initial replica, and start API servers once it is done"),
			// Hidden: tests make the replicas snapshot and compact the
			// Raft log often, so that a joining replica needs a snapshot.
			altsrc.NewUint64Flag(&cli.Uint64Flag{Name: "snapshot-entries", Hidden: true,
				Usage: "snapshot and compact the Raft log every `N` proposals (default 1000)"}),
			altsrc.NewUint64Flag(&cli.Uint64Flag{Name: "compaction-overhead", Hidden: true,
				Usage: "`N` Raft proposals kept after a compaction (default: 500)"}),
		}, append(serverTLSFlags(), gossipFlags()...)...),
		Action: runLog,
	}))
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
	key, err := gossipKey(c)
	if err != nil {
		return err
	}
	version, err := maxLogVersion(c)
	if err != nil {
		return err
	}
	if c.Duration("auto-truncate-lag") < 0 {
		return fmt.Errorf("--auto-truncate-lag must not be negative")
	}
	tlsSrc, err := serverTLS(c, log.With().Str("role", "log").Logger())
	if err != nil {
		return err
	}
	if err := checkExposure(c, log, exposure.Protection{TLS: tlsSrc != nil, GossipKey: key != nil},
		exposure.Listener{Flag: "--grpc-addr", Addr: c.String("grpc-addr")},
		exposure.Listener{Flag: "--raft-addr", Addr: c.String("raft-addr")},
		exposure.Listener{Flag: "--metrics-addr", Addr: c.String("metrics-addr")},
		exposure.Listener{Flag: "--gossip-addr", Addr: c.String("gossip-addr"), Gossip: true}); err != nil {
		return err
	}
	logserver.RouteDragonboatLogs(log.With().Str("role", "log").Logger())
	srv, err := logserver.Start(c.Context, logserver.Config{
		TLS:       tlsSrc,
		ReplicaID: c.Uint64("id"), Dir: c.String("dir"), RaftAddr: c.String("raft-addr"),
		GRPCAddr: c.String("grpc-addr"), InitialMembers: members, DC: c.String("dc"),
		Logger: log, Registry: rolekit.NewProcessRegistry(), Join: c.Bool("join"),
		SnapshotEntries: c.Uint64("snapshot-entries"), CompactionOverhead: c.Uint64("compaction-overhead"),
		MetricsAddr: c.String("metrics-addr"), GossipAddr: c.String("gossip-addr"), GossipJoin: list(c.String("gossip-join")),
		GossipKey: key, Cluster: c.String("cluster"), MaxLogVersion: version,
		AutoTruncateEvery: c.Duration("auto-truncate-every"), AutoTruncateLag: c.Duration("auto-truncate-lag"),
	})
	if err != nil {
		return err
	}
	fmt.Printf("log replica %d serving gRPC on %s (raft %s)\n", c.Uint64("id"), srv.GRPCAddr(), c.String("raft-addr"))
	stop := func() {}
	if dirs := list(c.String("restore-from")); len(dirs) > 0 && !c.Bool("join") {
		if stop, err = startLogAfterBackup(log, srv, dirs); err != nil {
			srv.Stop()
			return err
		}
	}
	notifyReady(log, fmt.Sprintf("log replica %d serving gRPC on %s", c.Uint64("id"), srv.GRPCAddr()))
	runUntilSignal(log, func() { stop(); srv.Stop() })
	return nil
}

// startLogAfterBackup makes a new log continue after the index of the
// backup in dir, in the background (the proposal needs a quorum of
// replicas up), retrying until it is done, refused, or stop is called.
func startLogAfterBackup(log zerolog.Logger, srv *logserver.Server, dirs []string) (stop func(), err error) {
	chain, err := backup.OpenChain(dirs)
	if err != nil {
		return nil, fmt.Errorf("--restore-from: %w", err)
	}
	m, dir := chain[len(chain)-1], strings.Join(dirs, ",")
	version, vindex := m.LogVersion, m.LogVersionIndex
	if vindex > m.Index {
		version, vindex = 0, 0 // the version at the backup's index is the first
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			err := srv.StartAfter(ctx, m.Index, version, vindex)
			switch {
			case err == nil:
				log.Info().Uint64("index", m.Index).Str("backup", dir).Msg("the log continues after the backup's index")
				return
			case errors.Is(err, logserver.ErrNotEmpty) || errors.Is(err, logserver.ErrUnknownVersion):
				log.Error().Err(err).Msg("--restore-from refused: the log's first entry will not follow the backup")
				return
			case ctx.Err() == nil:
				log.Info().Err(err).Msg("waiting to start the log after the backup's index")
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
	return func() { cancel(); <-done }, nil
}

func viewCommand() *cli.Command {
	return withConfig(withLogFormat(&cli.Command{
		Name:  "view",
		Usage: "run a Disk View serving one hash range of one space",
		Flags: append([]cli.Flag{
			str("space", "", "the `SPACE` to serve: hashsp or hashpo"),
			str("partition", "", "serve partition `I/N` (I counts from 1)"),
			str("range", "", "serve hashes `0xSTART-0xEND` (inclusive)"),
			str("dir", "", "data `DIR`"),
			str("grpc-addr", "", "`HOST:PORT` serving the View gRPC service"),
			str("advertise-addr", "", "`HOST:PORT` API servers should use for the View service (default: --grpc-addr)"),
			str("log", "", "log replicas' gRPC addresses, `HOST:PORT,...`"),
			str("boot-from-cluster", "", "load from the views of cluster `NAME` when the view must load from peers (empty store, log "+
				"not starting at index 1) and its own cluster's views cannot serve it; ignored while the store holds data"),
			str("boot-seed", "", "gRPC addresses of API servers of --boot-from-cluster, `HOST:PORT,...`, asked for its views"),
			str("restore-from", "", "fill an empty store from the backup in `DIR[,INCR,...]` (akutan ctl backup; a full backup, then any "+
				"incremental ones on top of it), then follow the log from the last one's index + 1; ignored while the store holds data"),
		}, append(serverTLSFlags(), gossipFlags()...)...),
		Action: runView,
	}))
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
	bootSeeds := list(c.String("boot-seed"))
	own := health.ClusterOf(gossip.Meta{Cluster: c.String("cluster"), DC: c.String("dc")})
	if err := checkBootFrom(c.String("boot-from-cluster"), bootSeeds, own); err != nil {
		return err
	}
	tlsSrc, err := serverTLS(c, log.With().Str("role", "view").Logger())
	if err != nil {
		return err
	}
	if err := checkExposure(c, log, exposure.Protection{TLS: tlsSrc != nil, GossipKey: key != nil},
		exposure.Listener{Flag: "--grpc-addr", Addr: c.String("grpc-addr")},
		exposure.Listener{Flag: "--metrics-addr", Addr: c.String("metrics-addr")},
		exposure.Listener{Flag: "--gossip-addr", Addr: c.String("gossip-addr"), Gossip: true}); err != nil {
		return err
	}
	srv, err := viewserver.Start(c.Context, viewserver.Config{
		TLS:   tlsSrc,
		Space: sp, Range: rg, Dir: c.String("dir"), GRPCAddr: c.String("grpc-addr"), LogAddrs: list(c.String("log")),
		DC: c.String("dc"), Cluster: clusterName(c), GossipAddr: c.String("gossip-addr"),
		GossipJoin: list(c.String("gossip-join")), GossipKey: key, Logger: log, Registry: rolekit.NewProcessRegistry(),
		AdvertiseAddr: c.String("advertise-addr"), MaxLogVersion: version, MetricsAddr: c.String("metrics-addr"),
		BootFromCluster: c.String("boot-from-cluster"), BootSeeds: bootSeeds, RestoreFrom: list(c.String("restore-from")),
	})
	if err != nil {
		return err
	}
	fmt.Printf("view %s %s serving gRPC on %s\n", sp, rg, srv.GRPCAddr())
	done := make(chan struct{})
	defer close(done)
	go notifyWhenServing(log, srv.Serving, srv.Applied, fmt.Sprintf("view %s %s serving on %s", sp, rg, srv.GRPCAddr()), done)
	return runUntilSignalOrFailure(log, srv.Failed(), srv.Stop)
}

// checkBootFrom refuses --boot-from-cluster and --boot-seed unless they
// come together and name another cluster than own, the view's.
func checkBootFrom(from string, seeds []string, own string) error {
	switch {
	case from == "" && len(seeds) > 0:
		return fmt.Errorf("--boot-seed needs --boot-from-cluster: the name of the cluster whose API servers the seeds are")
	case from != "" && len(seeds) == 0:
		return fmt.Errorf("--boot-from-cluster %s needs --boot-seed: the gRPC address of one of its API servers, to find its views", from)
	case from != "" && from == own:
		return fmt.Errorf("--boot-from-cluster %s names the view's own cluster, whose views it boots from anyway: name another cluster", from)
	}
	return nil
}

func apiCommand() *cli.Command {
	return withConfig(withLogFormat(&cli.Command{
		Name:  "api",
		Usage: "run a stateless API server",
		Flags: append([]cli.Flag{
			str("grpc-addr", DefaultAPIAddr, "`HOST:PORT` serving the API gRPC service"),
			str("http-addr", "", "`HOST:PORT` serving the HTTP API, /healthz and /metrics"),
			str("log", "", "log replicas' gRPC addresses, `HOST:PORT,...`"),
			hedgeFlag(),
			txTimeoutFlag(),
			dur("floor-every", DefaultFloorEvery, "register this cluster's log floor every `DURATION` (0: never)"),
			num("floor-views", floor.DefaultCopies, "the floor passes an entry once `K` views of every range hold it durably"),
			str("log-archive", "", "the log archive `DIR` (`akutan ctl log archive`), named to change-feed clients that ask for truncated entries"),
		}, append(serverSecurityFlags(), gossipFlags()...)...),
		Action: runAPI,
	}))
}

// serverTLSFlags are every server role's mutual TLS flags
// (docs/security.md): the role serves, and dials the other roles, with
// this certificate, and serves only peers whose certificate the CA signed.
func serverTLSFlags() []cli.Flag {
	return []cli.Flag{
		str("tls-cert", "", "serve and dial with mutual TLS using this certificate `FILE` (PEM; re-read when it changes)"),
		str("tls-key", "", "the private key `FILE` of --tls-cert"),
		str("tls-ca", "", "accept only peers with a certificate signed by the CA in `FILE`"),
	}
}

// serverSecurityFlags are the API's mutual TLS and tokens flags; without
// them the API serves plaintext to anyone.
func serverSecurityFlags() []cli.Flag {
	return append(serverTLSFlags(),
		str("tokens", "", "require a bearer token listed (hashed) in `FILE` (akutan ctl token; re-read when it changes)"))
}

// serverTLS reads --tls-cert, --tls-key and --tls-ca: nil without them.
func serverTLS(c *cli.Context, log zerolog.Logger) (*tlsconfig.Source, error) {
	files := tlsconfig.Files{Cert: c.String("tls-cert"), Key: c.String("tls-key"), CA: c.String("tls-ca")}
	if !files.Enabled() {
		return nil, nil
	}
	return tlsconfig.Load(files, log)
}

// serverSecurity reads the TLS flags and --tokens; each result is nil
// when its flags are not given.
func serverSecurity(c *cli.Context, log zerolog.Logger) (*tlsconfig.Source, *tokens.Store, error) {
	src, err := serverTLS(c, log)
	if err != nil {
		return nil, nil, err
	}
	if c.String("tokens") == "" {
		return src, nil, nil
	}
	store, err := tokens.Load(c.String("tokens"), log)
	if err != nil {
		return nil, nil, fmt.Errorf("--tokens: %w", err)
	}
	if src == nil {
		log.Warn().Msg("--tokens without --tls-cert: clients send their tokens in plaintext")
	}
	return src, store, nil
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
	tlsSrc, toks, err := serverSecurity(c, log)
	if err != nil {
		return err
	}
	if err := checkExposure(c, log, exposure.Protection{TLS: tlsSrc != nil, GossipKey: key != nil},
		exposure.Listener{Flag: "--grpc-addr", Addr: c.String("grpc-addr")},
		exposure.Listener{Flag: "--http-addr", Addr: c.String("http-addr")},
		exposure.Listener{Flag: "--gossip-addr", Addr: cmp.Or(c.String("gossip-addr"), gossip.DefaultBindAddr), Gossip: true}); err != nil {
		return err
	}
	if c.Uint64("floor-views") < 1 {
		return fmt.Errorf("--floor-views must be at least 1")
	}
	srv, err := apiserver.Start(c.Context, apiserver.Config{
		GRPCAddr: c.String("grpc-addr"), HTTPAddr: c.String("http-addr"), LogAddrs: list(c.String("log")),
		DC: c.String("dc"), Cluster: clusterName(c), GossipAddr: c.String("gossip-addr"),
		GossipJoin: list(c.String("gossip-join")), GossipKey: key, Logger: log, Registry: rolekit.NewProcessRegistry(),
		DisableHedging: !c.Bool("hedge"), MaxLogVersion: version, TxTimeout: c.Duration("tx-timeout"),
		FloorEvery: c.Duration("floor-every"), FloorViews: int(c.Uint64("floor-views")),
		LogArchive: c.String("log-archive"), TLS: tlsSrc, PeerTLS: tlsSrc, Tokens: toks,
	})
	if err != nil {
		return err
	}
	fmt.Printf("api serving gRPC on %s, HTTP on %s\n", srv.GRPCAddr(), srv.HTTPAddr())
	notifyReady(log, fmt.Sprintf("api serving gRPC on %s, HTTP on %s", srv.GRPCAddr(), srv.HTTPAddr()))
	runUntilSignal(log, srv.Stop)
	return nil
}

// DefaultAutoTruncateLag is how far the log's background truncation stays
// behind the floors (control_plane.md: "a few minutes behind the maximum
// deletable index"), so that a view that just fell behind can still catch
// up from the log instead of booting from peers.
const DefaultAutoTruncateLag = 5 * time.Minute

// DefaultFloorEvery is how often API servers register their cluster's
// log floor: the log is truncated minutes behind it at most, so a floor
// half a minute old costs nothing.
const DefaultFloorEvery = 30 * time.Second

// txTimeoutFlag is --tx-timeout: how long a transaction may stay
// undecided (its client gone) before the API server aborts it.
func txTimeoutFlag() cli.Flag {
	return dur("tx-timeout", apiserver.DefaultTxTimeout, "abort transactions left undecided this `DURATION` (their client went away)")
}

// hedgeFlag is --hedge, on by default: --hedge=false stops the API server
// from racing a second view replica when one is slow.
func hedgeFlag() cli.Flag {
	return altsrc.NewBoolFlag(&cli.BoolFlag{Name: "hedge", Value: true,
		Usage: "race another view replica when one is slow (--hedge=false: never)"})
}

// withLogFormat adds --log-format to a server command's flags (before
// withConfig, so that a config file can set it too).
func withLogFormat(cmd *cli.Command) *cli.Command {
	cmd.Flags = append(cmd.Flags, str("log-format", "console",
		"log `FORMAT`: console (one line of text an event) or json (one JSON object a line, for log collectors)"))
	return cmd
}
