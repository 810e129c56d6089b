package harness

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/akutan-dev/akutan/wire"
)

// RunWithBinary is the TestMain of a package whose tests run the akutan
// binary: it builds the binary once into a temporary directory, sets *bin
// to it, runs the tests and removes the directory, returning the exit code.
// Under -short every such test skips (see SkipIfShort), so nothing is built.
func RunWithBinary(m *testing.M, bin *string) int {
	flag.Parse()
	if testing.Short() {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "akutan-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if *bin, err = Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// QueryRows runs an Akutan-language query over gRPC and returns its rows as
// text.
func QueryRows(ctx context.Context, api wire.APIClient, query string) ([][]string, error) {
	st, err := api.Query(ctx, &wire.QueryRequest{Query: query})
	if err != nil {
		return nil, err
	}
	var out [][]string
	for {
		chunk, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		for _, r := range chunk.Rows {
			cells := make([]string, 0, len(r.Values))
			for _, v := range r.Values {
				cells = append(cells, v.Text)
			}
			out = append(out, cells)
		}
	}
}
