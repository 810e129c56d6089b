package cli

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"

	"github.com/akutan-dev/akutan/internal/exposure"
	"github.com/akutan-dev/akutan/roles/local"
	"github.com/akutan-dev/akutan/roles/logserver"
)

func localCommand() *cli.Command {
	cmd := withConfig(withLogFormat(&cli.Command{
		Name:  "local",
		Usage: "run a whole cluster in this process (3 log replicas, 8 views, 1 API)",
		Flags: append([]cli.Flag{
			str("dir", "./akutan-data", "data `DIR` (a restart on the same DIR finds all data)"),
			str("api-addr", DefaultAPIAddr, "`HOST:PORT` serving the API gRPC service"),
			str("http-addr", "127.0.0.1:9988", "`HOST:PORT` serving the HTTP API"),
			str("restore-from", "", "start a new local cluster from the backup in `DIR[,INCR,...]` (akutan ctl backup; a full backup, then "+
				"any incremental ones on top of it): its log continues after the last one's index"),
			str("log-archive", "", "with --restore-from: then append the entries after the backup's index from the log archive in `DIR` "+
				"(akutan ctl log archive), at their archived indexes, before the API starts (point-in-time recovery)"),
			num("to-index", 0, "with --log-archive: stop at log `INDEX` (0: the archive's last); "+
				"the cluster is the database as of that index, and new writes continue after it"),
			hedgeFlag(),
			txTimeoutFlag(),
			insecureFlag(),
			// Hidden: a debugging aid for profiling the whole cluster
			// (benchmarks), not an operator setting.
			altsrc.NewStringFlag(&cli.StringFlag{Name: "pprof-addr", Hidden: true,
				Usage: "`HOST:PORT` serving net/http/pprof; empty for none"}),
		}, serverSecurityFlags()...),
		Action: runLocal,
	}))
	return cmd
}

func runLocal(c *cli.Context) error {
	log, err := logger(c)
	if err != nil {
		return err
	}
	if addr := c.String("pprof-addr"); addr != "" {
		go servePprof(log, addr)
	}
	tlsSrc, toks, err := serverSecurity(c, log.With().Str("role", "api").Logger())
	if err != nil {
		return err
	}
	// Its log, views and gossip listen on loopback only; the API's two
	// ports are what may reach a network.
	if err := checkExposure(c, log, exposure.Protection{TLS: tlsSrc != nil},
		exposure.Listener{Flag: "--api-addr", Addr: c.String("api-addr")},
		exposure.Listener{Flag: "--http-addr", Addr: c.String("http-addr")}); err != nil {
		return err
	}
	logserver.RouteDragonboatLogs(log.With().Str("role", "log").Logger())
	fmt.Printf("starting a local Akutan cluster in %s ...\n", c.String("dir"))
	// Ctrl-C or SIGTERM from now on, even while the cluster starts, stops
	// it cleanly: one during the start cancels it (Start stops what it
	// started).
	ctx, cancel := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer cancel()
	cl, err := local.Start(ctx, local.Config{
		Dir: c.String("dir"), APIAddr: c.String("api-addr"), HTTPAddr: c.String("http-addr"), Logger: log,
		DisableHedging: !c.Bool("hedge"), TxTimeout: c.Duration("tx-timeout"),
		RestoreFrom: list(c.String("restore-from")), LogArchive: c.String("log-archive"), ToIndex: c.Uint64("to-index"),
		TLS: tlsSrc, Tokens: toks,
	})
	if err != nil && ctx.Err() != nil && c.Context.Err() == nil {
		log.Info().Msg("stopped while starting")
		return nil
	}
	if err != nil {
		return err
	}
	if r := cl.Replayed; r.Plan.Dir != "" {
		fmt.Printf("replayed the log archive %s: entries %d to %d (%d appended, %d already there, %d format changes); the database is as of index %d\n",
			r.Plan.Dir, r.Plan.From, r.Plan.To, r.Result.Appended, r.Result.Resumed, r.Result.VersionChanges, r.Plan.To)
	}
	logAddrs := make([]string, len(cl.Logs))
	for i, l := range cl.Logs {
		logAddrs[i] = l.GRPCAddr()
	}
	fmt.Printf("log replicas serving gRPC on %s (akutan ctl log ... --log %s)\n", strings.Join(logAddrs, ","), strings.Join(logAddrs, ","))
	fmt.Printf("Akutan is running: API gRPC on %s, HTTP on %s (%d log replicas, %d views)\n",
		cl.API.GRPCAddr(), cl.API.HTTPAddr(), len(cl.Logs), len(cl.Views))
	fmt.Println("try: akutan insert FILE.tsv, then akutan query -e 'SELECT * WHERE { ?s rdf:type ?type }'. Ctrl-C stops.")
	notifyReady(log, fmt.Sprintf("local cluster serving: API gRPC on %s, HTTP on %s", cl.API.GRPCAddr(), cl.API.HTTPAddr()))
	<-ctx.Done()
	notifyStopping(log)
	log.Info().Msg("stopping")
	cl.Stop()
	return nil
}

// servePprof serves the profiling endpoints on addr until the process
// ends. It uses its own mux so that nothing else is exposed there.
func servePprof(log zerolog.Logger, addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn().Err(err).Str("addr", addr).Msg("pprof server stopped")
	}
}
