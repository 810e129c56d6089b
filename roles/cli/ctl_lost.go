package cli

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/akutan-dev/akutan/wire"
)

// ctlForgetLostCommand is `akutan ctl forget-lost NAME`: it drops a server
// from the API server's list of servers lost without a graceful stop.
func ctlForgetLostCommand() *cli.Command {
	return &cli.Command{
		Name:      "forget-lost",
		Usage:     "stop listing a lost view or API server in status",
		ArgsUsage: "NAME",
		Description: "A view or API server that left gossip without a graceful stop (crashed, killed, cut off) is\n" +
			"listed by `akutan status` as lost until a server with the same name (role and gRPC address)\n" +
			"comes back; one replaced at another address stays listed until forgotten. forget-lost\n" +
			"drops NAME (the gossip name status prints) from the list kept by the API server at --api;\n" +
			"each API server keeps its own list.",
		Flags:  clientFlags(),
		Action: runForgetLost,
	}
}

func runForgetLost(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("forget-lost takes one NAME, the lost server's name as status lists it")
	}
	name := c.Args().First()
	client, closeConn, err := dialStatus(c, c.String("api"))
	if err != nil {
		return err
	}
	defer closeConn()
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	reply, err := client.ForgetLost(ctx, &wire.ForgetLostRequest{Name: name})
	if err != nil {
		return hintAPI(c.String("api"), wire.APIError("forgetting a lost server", err))
	}
	if !reply.GetForgotten() {
		return fmt.Errorf("%s is not listed as lost by the API server at %s", name, c.String("api"))
	}
	fmt.Fprintf(c.App.Writer, "forgot %s\n", name)
	return nil
}
