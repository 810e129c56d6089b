package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/akutan-dev/akutan/roles/local"
)

func localCommand() *cli.Command {
	cmd := withConfig(&cli.Command{
		Name:  "local",
		Usage: "run a whole cluster in this process (3 log replicas, 8 views, 1 API)",
		Flags: []cli.Flag{
			str("dir", "./akutan-data", "data `DIR` (a restart on the same DIR finds all data)"),
			str("api-addr", DefaultAPIAddr, "`HOST:PORT` serving the API gRPC service"),
			str("http-addr", "127.0.0.1:9988", "`HOST:PORT` serving the HTTP API"),
			hedgeFlag(),
			txTimeoutFlag(),
		},
		Action: runLocal,
	})
	return cmd
}

func runLocal(c *cli.Context) error {
	log, err := logger(c)
	if err != nil {
		return err
	}
	fmt.Printf("starting a local Akutan cluster in %s ...\n", c.String("dir"))
	cl, err := local.Start(c.Context, local.Config{
		Dir: c.String("dir"), APIAddr: c.String("api-addr"), HTTPAddr: c.String("http-addr"), Logger: log,
		DisableHedging: !c.Bool("hedge"), TxTimeout: c.Duration("tx-timeout"),
	})
	if err != nil {
		return err
	}
	fmt.Printf("Akutan is running: API gRPC on %s, HTTP on %s (%d log replicas, %d views)\n",
		cl.API.GRPCAddr(), cl.API.HTTPAddr(), len(cl.Logs), len(cl.Views))
	fmt.Println("try: akutan insert FILE.tsv, then akutan query -e 'SELECT * WHERE { ?s rdf:type ?type }'. Ctrl-C stops.")
	runUntilSignal(log, cl.Stop)
	return nil
}
