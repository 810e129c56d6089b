package cli

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"
	"google.golang.org/grpc"

	"github.com/akutan-dev/akutan/wire"
)

func deleteCommand() *cli.Command {
	return withConfig(&cli.Command{
		Name:      "delete",
		Usage:     "delete the facts described in a file (or - for standard input); missing facts are no-ops",
		ArgsUsage: "FILE|-",
		Flags:     append(clientFlags(), str("format", "tsv", "input `FORMAT`: tsv")),
		Action: func(c *cli.Context) error {
			return runChange(c, "delete", func(api wire.APIClient) changeRPC { return api.Delete })
		},
	})
}

func updateCommand() *cli.Command {
	return withConfig(&cli.Command{
		Name:      "update",
		Usage:     "delete then insert atomically: DELETE DATA { ... } ; INSERT DATA { ... }",
		ArgsUsage: "FILE|-",
		Flags:     append(clientFlags(), str("format", "sparql", "input `FORMAT`: sparql (DELETE DATA / INSERT DATA blocks of tsv facts)")),
		Action: func(c *cli.Context) error {
			return runChange(c, "update", func(api wire.APIClient) changeRPC { return api.Update })
		},
	})
}

type changeRPC func(ctx context.Context, in *wire.InsertRequest, opts ...grpc.CallOption) (*wire.UpdateReply, error)

func runChange(c *cli.Context, what string, rpc func(wire.APIClient) changeRPC) error {
	if c.NArg() != 1 {
		return fmt.Errorf("%s takes one FILE (or - for standard input)", what)
	}
	data, err := readInput(c.Args().First())
	if err != nil {
		return err
	}
	return withAPI(c, func(ctx context.Context, api wire.APIClient) error {
		res, err := rpc(api)(ctx, &wire.InsertRequest{Format: c.String("format"), Data: data})
		if err != nil {
			return wire.APIError(what+" failed", err)
		}
		deleted := fmt.Sprintf("deleted %d facts (%d not present)", res.FactsDeleted, res.FactsMissing)
		if what == "delete" {
			fmt.Printf("%s at log index %d\n", deleted, res.Index)
			return nil
		}
		fmt.Printf("%s, inserted %d facts (%d already present) at log index %d\n",
			deleted, res.FactsInserted, res.FactsExisting, res.Index)
		return nil
	})
}
