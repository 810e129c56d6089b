package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// statusCommand is `akutan status`: the log, each space's coverage, and
// the verdict (healthy / fully available / unavailable).
func statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show the cluster's coverage and health",
		Action: func(*cli.Context) error {
			return fmt.Errorf("not implemented yet")
		},
	}
}
