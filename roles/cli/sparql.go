package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/query/sparql"
	"github.com/akutan-dev/akutan/wire"
)

// sparqlFormats maps --format to the Accept header asked of /sparql.
var sparqlFormats = map[string]string{
	"table":    "text/tab-separated-values", // printed aligned
	"tsv":      "text/tab-separated-values",
	"csv":      "text/csv",
	"json":     "application/sparql-results+json",
	"xml":      "application/sparql-results+xml",
	"ntriples": "application/n-triples",
	"turtle":   "text/turtle",
}

func httpFlag() cli.Flag {
	return str("http", "", "the API server's HTTP `HOST:PORT` (default: what the server at --api advertises)")
}

func sparqlCommand() *cli.Command {
	return withConfig(&cli.Command{
		Name:      "sparql",
		Usage:     "run a SPARQL 1.1 query from a file, standard input (-) or -e, through /sparql",
		ArgsUsage: "FILE | - | -e QUERY",
		Flags: append(clientFlags(), httpFlag(),
			str("format", "table", "output `FORMAT`: table, tsv, csv, json, xml (SELECT, ASK); table, ntriples, turtle (CONSTRUCT, DESCRIBE)"),
			num("index", 0, "read the graph as of this log `INDEX` (default: chosen by --consistency)"),
			str("consistency", "linearizable", "`MODE`: without --index, read at the log's last index (linearizable) or at the newest index every view has applied (recent)"),
			&cli.BoolFlag{Name: "explain", Usage: "print the query's plan first (its SPARQL algebra, each basic graph pattern in the order the views' statistics give, with estimates)"},
			&cli.StringFlag{Name: "e", Usage: "the `QUERY` text itself"},
		),
		Action: runSPARQL,
	})
}

func sparqlUpdateCommand() *cli.Command {
	return withConfig(&cli.Command{
		Name:      "sparql-update",
		Usage:     "apply a SPARQL 1.1 update from a file, standard input (-) or -e, as one transaction",
		ArgsUsage: "FILE | - | -e UPDATE",
		Flags: append(clientFlags(), httpFlag(),
			&cli.StringFlag{Name: "e", Usage: "the `UPDATE` text itself"},
		),
		Action: runSPARQLUpdate,
	})
}

func runSPARQL(c *cli.Context) error {
	text, err := queryText(c)
	if err != nil {
		return err
	}
	q, err := sparql.ParseQuery(text, "")
	if err != nil {
		return fmt.Errorf("parsing the query: %w", err)
	}
	format, err := sparqlFormat(c.String("format"), q.Form)
	if err != nil {
		return err
	}
	params := url.Values{}
	if n := c.Uint64("index"); n != 0 {
		params.Set("index", fmt.Sprint(n))
	}
	if cons := c.String("consistency"); cons != "" && cons != "linearizable" {
		params.Set("consistency", cons)
	}
	return withSPARQL(c, func(ctx context.Context, endpoint string) error {
		if c.Bool("explain") {
			if err := printSPARQLPlan(ctx, httpDoer(c), endpoint, params, text, format); err != nil {
				return err
			}
		}
		body, index, err := postSPARQL(ctx, httpDoer(c), endpoint, params, "application/sparql-query", text, sparqlFormats[format])
		if err != nil {
			return fmt.Errorf("query failed: %w", err)
		}
		if format != "table" {
			_, err := os.Stdout.Write(body)
			return err
		}
		return printSPARQLTable(os.Stdout, q.Form, body, index)
	})
}

// printSPARQLPlan asks the server for the query's plan (explain=true: the
// algebra, each BGP in the order the views' statistics give) and prints it
// before the answer: on standard output for a table, else on standard
// error, so that a machine-readable answer stays alone on standard output.
func printSPARQLPlan(ctx context.Context, do httpDo, endpoint string, params url.Values, text, format string) error {
	explain := url.Values{"explain": {"true"}}
	for k, v := range params {
		explain[k] = v
	}
	plan, _, err := postSPARQL(ctx, do, endpoint, explain, "application/sparql-query", text, "text/plain")
	if err != nil {
		return fmt.Errorf("explaining the query: %w", err)
	}
	notes := io.Writer(os.Stderr)
	if format == "table" {
		notes = os.Stdout
	}
	_, err = fmt.Fprintf(notes, "Plan:\n%s\n", strings.TrimRight(string(plan), "\n"))
	return err
}

// sparqlFormat checks --format against the query's form; table means
// N-Triples for a graph.
func sparqlFormat(format string, form sparql.Form) (string, error) {
	if _, ok := sparqlFormats[format]; !ok {
		return "", fmt.Errorf("--format must be table, tsv, csv, json, xml, ntriples or turtle, not %q", format)
	}
	graph := form == sparql.Construct || form == sparql.Describe
	switch {
	case graph && format == "table":
		return "ntriples", nil
	case graph && format != "ntriples" && format != "turtle":
		return "", fmt.Errorf("--format %s: a CONSTRUCT or DESCRIBE answer is a graph: use ntriples or turtle", format)
	case !graph && (format == "ntriples" || format == "turtle"):
		return "", fmt.Errorf("--format %s: a SELECT or ASK answer is a table: use table, tsv, csv, json or xml", format)
	}
	return format, nil
}

func runSPARQLUpdate(c *cli.Context) error {
	text, err := queryText(c)
	if err != nil {
		return err
	}
	return withSPARQL(c, func(ctx context.Context, endpoint string) error {
		body, _, err := postSPARQL(ctx, httpDoer(c), endpoint, url.Values{}, "application/sparql-update", text, "text/plain")
		if err != nil {
			return fmt.Errorf("update failed: %w", err)
		}
		_, err = os.Stdout.Write(body)
		return err
	})
}

// withSPARQL calls fn with the /sparql URL of the API server and a
// context bounded by --timeout.
func withSPARQL(c *cli.Context, fn func(ctx context.Context, endpoint string) error) error {
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	addr := c.String("http")
	if addr == "" {
		var err error
		if addr, err = advertisedHTTP(ctx, c, c.String("api")); err != nil {
			return hintAPI(c.String("api"), err)
		}
	}
	return fn(ctx, httpScheme(c)+addr+"/sparql")
}

// advertisedHTTP asks the API server at api (gRPC) for the gossip members
// and returns the HTTP address that it advertises. An unspecified host
// (listening on all interfaces) becomes api's host.
func advertisedHTTP(ctx context.Context, c *cli.Context, api string) (string, error) {
	client, closeStatus, err := dialStatus(c, api)
	if err != nil {
		return "", err
	}
	defer closeStatus()
	reply, err := client.GossipMembers(ctx, &wire.GossipMembersRequest{})
	if err != nil {
		return "", wire.APIError("finding the API server's HTTP address", err)
	}
	var members struct {
		Members []struct {
			Meta gossip.Meta `json:"meta"`
		} `json:"members"`
	}
	if err := json.Unmarshal(reply.Json, &members); err != nil {
		return "", fmt.Errorf("finding the API server's HTTP address: decoding the members: %w", err)
	}
	for _, m := range members.Members {
		if m.Meta.Role == "api" && m.Meta.HTTPAddr != "" && sameListener(m.Meta.GRPCAddr, api) {
			return reachable(m.Meta.HTTPAddr, api), nil
		}
	}
	return "", fmt.Errorf("the API server at %s advertises no HTTP address: give --http HOST:PORT", api)
}

// sameListener reports whether the bound address bound is what a client
// dialling addr reaches: same port, and the same host or a host that
// listens on all interfaces.
func sameListener(bound, addr string) bool {
	bh, bp, err1 := net.SplitHostPort(bound)
	ah, ap, err2 := net.SplitHostPort(addr)
	if err1 != nil || err2 != nil || bp != ap {
		return false
	}
	return bh == ah || unspecified(bh) || (isLoopback(bh) && isLoopback(ah))
}

func unspecified(host string) bool {
	ip := net.ParseIP(host)
	return host == "" || ip != nil && ip.IsUnspecified()
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// reachable replaces an unspecified host in the HTTP address with the
// host the client reached the gRPC API on.
func reachable(httpAddr, api string) string {
	h, p, err := net.SplitHostPort(httpAddr)
	if err != nil || !unspecified(h) {
		return httpAddr
	}
	ah, _, err := net.SplitHostPort(api)
	if err != nil || ah == "" {
		ah = "127.0.0.1"
	}
	return net.JoinHostPort(ah, p)
}

// postSPARQL POSTs text to /sparql and reads the whole answer; an answer
// the server cut short (evaluation failed after it started) is an error,
// never printed. index is the Akutan-Log-Index of the answer.
func postSPARQL(ctx context.Context, do httpDo, endpoint string, params url.Values, contentType, text, accept string) (body []byte, index string, err error) {
	if dl, ok := ctx.Deadline(); ok {
		params.Set("timeout", fmt.Sprint(max(time.Until(dl).Milliseconds(), 1))+"ms")
	}
	u := endpoint
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(text))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", accept)
	resp, err := do(req)
	if err != nil {
		return nil, "", fmt.Errorf("%w (is the API server's HTTP at %s? --http sets it)", err, endpoint)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", fmt.Errorf("the answer was cut short: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, "", fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return body, resp.Header.Get("Akutan-Log-Index"), nil
}

// printSPARQLTable prints a TSV answer aligned, or the ASK answer, or the
// N-Triples of a graph, then the row count and log index.
func printSPARQLTable(w io.Writer, form sparql.Form, tsv []byte, index string) error {
	if form == sparql.Construct || form == sparql.Describe {
		_, err := w.Write(tsv)
		return err
	}
	lines := strings.Split(strings.TrimRight(string(tsv), "\n"), "\n")
	var rows [][]string
	for _, l := range lines {
		rows = append(rows, strings.Split(strings.TrimSuffix(l, "\r"), "\t"))
	}
	if form == sparql.Ask && len(rows) == 2 && len(rows[1]) == 1 {
		fmt.Fprintf(w, "%s\n(at log index %s)\n", rows[1][0], index)
		return nil
	}
	for i, name := range rows[0] {
		rows[0][i] = strings.TrimPrefix(name, "?")
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i := range widths {
			if i < len(r) {
				widths[i] = max(widths[i], len(r[i]))
			}
		}
	}
	var buf bytes.Buffer
	line := func(cell func(i int) string) {
		for i := range widths {
			fmt.Fprintf(&buf, " %-*s |", widths[i], cell(i))
		}
		buf.WriteByte('\n')
	}
	at := func(r []string) func(int) string {
		return func(i int) string {
			if i < len(r) {
				return r[i]
			}
			return ""
		}
	}
	line(at(rows[0]))
	line(func(i int) string { return strings.Repeat("-", widths[i]) })
	for _, r := range rows[1:] {
		line(at(r))
	}
	fmt.Fprintf(&buf, "(%d rows at log index %s)\n", len(rows)-1, index)
	_, err := w.Write(buf.Bytes())
	return err
}
