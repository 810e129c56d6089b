package cli

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/akutan-dev/akutan/internal/tlsconfig"
	"github.com/akutan-dev/akutan/internal/tokens"
)

// ctlCertsCommand is `akutan ctl certs`: a CA and a server and a client
// certificate for a test or small deployment (docs/security.md).
func ctlCertsCommand() *cli.Command {
	return &cli.Command{
		Name:  "certs",
		Usage: "write a new CA, server and client certificate for mutual TLS (ca.pem, server.pem, client.pem and their -key.pem)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "write the files into `DIR`", Required: true},
			&cli.StringFlag{Name: "hosts", Value: "127.0.0.1,localhost", Usage: "the server certificate's `HOST,...` (IP addresses or DNS names)"},
		},
		Action: func(c *cli.Context) error {
			if err := tlsconfig.GenerateFiles(c.String("out"), list(c.String("hosts"))); err != nil {
				return fmt.Errorf("writing certificates: %w", err)
			}
			fmt.Printf("wrote ca.pem, ca-key.pem, server.pem, server-key.pem, client.pem, client-key.pem into %s (keys 0600)\n", c.String("out"))
			return nil
		},
	}
}

// ctlTokenCommand is `akutan ctl token`: a new bearer token on the first
// line, and on the second its line for the API server's --tokens file,
// which holds only the token's hash.
func ctlTokenCommand() *cli.Command {
	return &cli.Command{
		Name:  "token",
		Usage: "print a new API token (line 1) and the line to append to the API server's --tokens file (line 2)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "role", Usage: "the token's `ROLE`: read, write or admin", Required: true},
			&cli.StringFlag{Name: "name", Usage: "a `NAME` for the token, in logs and errors (no spaces)"},
		},
		Action: func(c *cli.Context) error {
			role, err := tokens.ParseRole(c.String("role"))
			if err != nil {
				return fmt.Errorf("--role: %w", err)
			}
			if len(strings.Fields(c.String("name"))) > 1 {
				return fmt.Errorf("--name must be one word")
			}
			tok, line, err := tokens.New(role, c.String("name"))
			if err != nil {
				return err
			}
			fmt.Println(tok)
			fmt.Println(line)
			return nil
		},
	}
}
