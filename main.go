// Command akutan is a distributed knowledge graph store. One binary serves
// every role (log, view, api), runs a whole cluster in one process (local),
// and is the command-line client (insert, query). Run `akutan --help`.
package main

import (
	"fmt"
	"os"

	"github.com/akutan-dev/akutan/roles/cli"
)

func main() {
	app := cli.NewApp()
	if err := app.Run(cli.Interspersed(app, os.Args)); err != nil {
		fmt.Fprintf(os.Stderr, "akutan: %v\n", err)
		os.Exit(1)
	}
}
