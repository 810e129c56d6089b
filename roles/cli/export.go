package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// exportCommand is `akutan export`: the whole graph as RDF on standard
// output, streamed from the API server's GET /v1/export.
func exportCommand() *cli.Command {
	return withConfig(&cli.Command{
		Name:  "export",
		Usage: "write the whole graph (as of a log index) as N-Triples or Turtle to standard output",
		Description: "Streams GET /v1/export from the API server's HTTP (the address it advertises, or --http):\n" +
			"every fact as of --index (default: the log's last index), literals exactly as stored, without\n" +
			"Akutan's bookkeeping facts. The index is printed on standard error. An export the server cut\n" +
			"short is an error (exit status 1), never a silently short file.",
		Flags: append([]cli.Flag{
			str("api", DefaultAPIAddr, "API server's gRPC `HOST:PORT`"),
			httpFlag(),
			str("format", "ntriples", "output `FORMAT`: ntriples or turtle"),
			num("index", 0, "export the graph as of this log `INDEX` (default: the log's last index)"),
			dur("timeout", 0, "give up after this `DURATION` (default: no limit)"),
		}, clientSecurityFlags()...),
		Action: runExport,
	})
}

func runExport(c *cli.Context) error {
	format := c.String("format")
	if format != "ntriples" && format != "turtle" {
		return fmt.Errorf("--format must be ntriples or turtle, not %q", format)
	}
	params := url.Values{"format": {format}}
	if n := c.Uint64("index"); n != 0 {
		params.Set("index", fmt.Sprint(n))
	}
	ctx, cancel := withOptionalTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	base, err := apiHTTPBase(ctx, c)
	if err != nil {
		return err
	}
	resp, err := httpGet(ctx, httpDoer(c), base+"/v1/export?"+params.Encode(), "")
	if err != nil {
		return fmt.Errorf("exporting: %w", err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(os.Stdout, resp.Body)
	if err != nil {
		return fmt.Errorf("exporting: the export was cut short after %d bytes: %w", n, err)
	}
	fmt.Fprintf(os.Stderr, "exported %d bytes of %s as of log index %s\n", n, format, resp.Header.Get("Akutan-Log-Index"))
	return nil
}

// withOptionalTimeout bounds ctx by d, unless d is 0.
func withOptionalTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// apiHTTPBase is the http:// URL of the API server's HTTP: --http, or the
// address the server at --api advertises.
func apiHTTPBase(ctx context.Context, c *cli.Context) (string, error) {
	addr := c.String("http")
	if addr == "" {
		var err error
		if addr, err = advertisedHTTP(ctx, c, c.String("api")); err != nil {
			return "", hintAPI(c.String("api"), err)
		}
	}
	return httpScheme(c) + addr, nil
}

// httpGet GETs u and returns the response when its status is 2xx; any
// other status is an error carrying the server's message.
func httpGet(ctx context.Context, do httpDo, u, accept string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := do(req)
	if err != nil {
		return nil, fmt.Errorf("%w (is the API server's HTTP there? --http sets it)", err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, fmt.Errorf("%s: %s", resp.Status, errorMessage(body))
	}
	return resp, nil
}

// errorMessage is the message of an API error body: the "error" of a JSON
// body, else the text.
func errorMessage(body []byte) string {
	s := strings.TrimSpace(string(body))
	var v struct {
		Error string `json:"error"`
	}
	if jsonErr := json.Unmarshal(body, &v); jsonErr == nil && v.Error != "" {
		return v.Error
	}
	return s
}
