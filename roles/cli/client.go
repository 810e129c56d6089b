package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/urfave/cli/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/wire"
)

func clientFlags() []cli.Flag {
	return []cli.Flag{
		str("api", DefaultAPIAddr, "API server's gRPC `HOST:PORT`"),
		dur("timeout", 60*time.Second, "give up after this long"),
	}
}

// dialAPI connects to the API named by --api.
func dialAPI(c *cli.Context) (wire.APIClient, func(), error) {
	conn, err := grpc.NewClient(c.String("api"), grpc.WithTransportCredentials(insecure.NewCredentials()), wire.APICallOptions())
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to API %s: %w", c.String("api"), err)
	}
	return wire.NewAPIClient(conn), func() { conn.Close() }, nil
}

// withAPI calls fn with a client of the API named by --api and a context
// bounded by --timeout; the deadline travels with every RPC.
func withAPI(c *cli.Context, fn func(ctx context.Context, api wire.APIClient) error) error {
	api, closeAPI, err := dialAPI(c)
	if err != nil {
		return err
	}
	defer closeAPI()
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	return hintAPI(c.String("api"), fn(ctx, api))
}

// hintAPI adds where the client looked to an wire.ErrAPIUnreachable.
func hintAPI(addr string, err error) error {
	if errors.Is(err, wire.ErrAPIUnreachable) {
		return fmt.Errorf("%w; is it running at --api %s?", err, addr)
	}
	return err
}

// readInput reads the named file, or standard input for "-".
func readInput(name string) (string, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", name, err)
	}
	return string(b), nil
}
