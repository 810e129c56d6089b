package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/internal/tlsconfig"
	"github.com/akutan-dev/akutan/wire"
)

func clientFlags() []cli.Flag {
	return append([]cli.Flag{
		str("api", DefaultAPIAddr, "API server's gRPC `HOST:PORT`"),
		dur("timeout", 60*time.Second, "give up after this `DURATION`"),
	}, clientSecurityFlags()...)
}

// clientSecurityFlags are how a client command reaches an API server that
// requires mutual TLS and a token (docs/security.md); every command that
// dials --api has them.
func clientSecurityFlags() []cli.Flag {
	return []cli.Flag{
		str("tls-cert", "", "this client's certificate `FILE` (PEM), for an API server with mutual TLS"),
		str("tls-key", "", "the private key `FILE` of --tls-cert"),
		str("tls-ca", "", "the CA certificate `FILE` the API server's certificate must be signed by"),
		str("token-file", "", "send the API token in `FILE` (akutan ctl token) as authorization: Bearer"),
	}
}

// apiCreds is how a client command authenticates to the API server:
// nothing (plaintext, no token) unless --tls-* or --token-file are given.
type apiCreds struct {
	tls   *tls.Config // nil: plaintext
	token string      // "": none
}

// clientCreds reads --tls-cert, --tls-key, --tls-ca and --token-file.
func clientCreds(c *cli.Context) (apiCreds, error) {
	var cr apiCreds
	files := tlsconfig.Files{Cert: c.String("tls-cert"), Key: c.String("tls-key"), CA: c.String("tls-ca")}
	if files.Enabled() {
		src, err := tlsconfig.Load(files, zerolog.Nop())
		if err != nil {
			return cr, fmt.Errorf("client TLS: %w", err)
		}
		cr.tls = src.Client()
	}
	if f := c.String("token-file"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return cr, fmt.Errorf("--token-file: %w", err)
		}
		if cr.token = strings.TrimSpace(string(b)); cr.token == "" || strings.ContainsAny(cr.token, " \t\r\n") {
			return cr, fmt.Errorf("--token-file %s must hold one token (the first line akutan ctl token printed)", f)
		}
		if cr.tls == nil {
			return cr, fmt.Errorf("--token-file needs --tls-cert, --tls-key and --tls-ca: a token is never sent in plaintext")
		}
	}
	return cr, nil
}

// peerTLSFlags are the mutual TLS flags of an operator command that dials
// log replicas or views directly (no token: those roles accept cluster
// certificates only).
func peerTLSFlags() []cli.Flag {
	return []cli.Flag{
		str("tls-cert", "", "this client's certificate `FILE` (PEM), for servers with mutual TLS"),
		str("tls-key", "", "the private key `FILE` of --tls-cert"),
		str("tls-ca", "", "the CA certificate `FILE` the servers' certificates must be signed by"),
	}
}

// peerDialOptions are the gRPC dial options toward log replicas and views
// from --tls-cert, --tls-key and --tls-ca: none without them.
func peerDialOptions(c *cli.Context) ([]grpc.DialOption, error) {
	files := tlsconfig.Files{Cert: c.String("tls-cert"), Key: c.String("tls-key"), CA: c.String("tls-ca")}
	if !files.Enabled() {
		return nil, nil
	}
	src, err := tlsconfig.Load(files, zerolog.Nop())
	if err != nil {
		return nil, fmt.Errorf("client TLS: %w", err)
	}
	return src.DialOptions(), nil
}

// apiDialOptions are the gRPC dial options toward the API server at --api:
// TLS credentials and the bearer token, when given.
func apiDialOptions(c *cli.Context) ([]grpc.DialOption, error) {
	cr, err := clientCreds(c)
	if err != nil {
		return nil, err
	}
	return cr.dialOptions(), nil
}

// dialOptions are the gRPC options of a connection to an API server.
func (cr apiCreds) dialOptions() []grpc.DialOption {
	opts := []grpc.DialOption{wire.APICallOptions()}
	if cr.tls == nil {
		return append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(cr.tls)))
	if cr.token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer(cr.token)))
	}
	return opts
}

// bearer sends a token as "authorization: Bearer TOKEN", over TLS only.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return true }

// dialConn is the one place client commands dial an API server's gRPC.
func dialConn(c *cli.Context, addr string) (*grpc.ClientConn, error) {
	cr, err := clientCreds(c)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(addr, cr.dialOptions()...)
	if err != nil {
		return nil, fmt.Errorf("connecting to API %s: %w", addr, err)
	}
	return conn, nil
}

// httpScheme is the scheme of the API server's HTTP: https with TLS.
func httpScheme(c *cli.Context) string {
	if (tlsconfig.Files{Cert: c.String("tls-cert"), Key: c.String("tls-key"), CA: c.String("tls-ca")}).Enabled() {
		return "https://"
	}
	return "http://"
}

// doHTTP sends req to the API server's HTTP with the client's certificate
// and token, if any.
func doHTTP(c *cli.Context, req *http.Request) (*http.Response, error) {
	cr, err := clientCreds(c)
	if err != nil {
		return nil, err
	}
	if cr.token != "" {
		req.Header.Set("Authorization", "Bearer "+cr.token)
	}
	if cr.tls == nil {
		return http.DefaultClient.Do(req)
	}
	// One request per command: no connection to keep for later.
	tr := &http.Transport{TLSClientConfig: cr.tls, Proxy: http.ProxyFromEnvironment, DisableKeepAlives: true}
	return (&http.Client{Transport: tr}).Do(req)
}

// httpDo sends an HTTP request: http.Client.Do, or doHTTP's.
type httpDo func(*http.Request) (*http.Response, error)

// httpDoer is doHTTP for the flags of c.
func httpDoer(c *cli.Context) httpDo {
	return func(req *http.Request) (*http.Response, error) { return doHTTP(c, req) }
}

// dialAPI connects to the API named by --api.
func dialAPI(c *cli.Context) (wire.APIClient, func(), error) {
	conn, err := dialConn(c, c.String("api"))
	if err != nil {
		return nil, nil, err
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
