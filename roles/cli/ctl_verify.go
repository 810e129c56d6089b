package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// ctlVerifyCommand is `akutan ctl verify`: compare the state digests of all
// replicas of each view range.
func ctlVerifyCommand() *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "compare the digests of all replicas of each view range",
		Action: func(*cli.Context) error {
			return fmt.Errorf("not implemented yet")
		},
	}
}
