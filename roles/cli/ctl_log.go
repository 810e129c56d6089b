package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// ctlLogCommand is `akutan ctl log`: truncate, floor, members, add,
// remove, upgrade, info.
func ctlLogCommand() *cli.Command {
	return &cli.Command{
		Name:  "log",
		Usage: "manage the central log",
		Action: func(*cli.Context) error {
			return fmt.Errorf("not implemented yet")
		},
	}
}
