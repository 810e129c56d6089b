package cli

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/akutan-dev/akutan/wire"
)

func insertCommand() *cli.Command {
	return withConfig(&cli.Command{
		Name:      "insert",
		Usage:     "insert facts from a file (or - for standard input)",
		ArgsUsage: "FILE|-",
		Flags:     append(clientFlags(), str("format", "tsv", "input `FORMAT`: tsv")),
		Action:    runInsert,
	})
}

func runInsert(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("insert takes one FILE (or - for standard input)")
	}
	data, err := readInput(c.Args().First())
	if err != nil {
		return err
	}
	api, closeAPI, err := dialAPI(c)
	if err != nil {
		return err
	}
	defer closeAPI()
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	res, err := api.Insert(ctx, &wire.InsertRequest{Format: c.String("format"), Data: data})
	if err != nil {
		return rpcError("insert failed", err)
	}
	fmt.Printf("inserted %d facts (%d already present) at log index %d\n", res.FactsInserted, res.FactsExisting, res.Index)
	return nil
}
