package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/akutan-dev/akutan/internal/jsontext"
	"github.com/akutan-dev/akutan/wire"
)

func queryCommand() *cli.Command {
	return withConfig(&cli.Command{
		Name:      "query",
		Usage:     "run a query from a file, standard input (-) or -e",
		ArgsUsage: "FILE | - | -e QUERY",
		Flags: append(clientFlags(),
			str("format", "table", "output `FORMAT`: table, tsv or json"),
			num("index", 0, "read the graph as of this log `INDEX` (default: chosen by --consistency)"),
			str("consistency", "linearizable", "`MODE`: without --index, read at the log's last index (linearizable) or at the newest index every view has applied (recent)"),
			&cli.BoolFlag{Name: "explain", Usage: "print the chosen plan with estimates, and what each operator did"},
			&cli.StringFlag{Name: "e", Usage: "the `QUERY` text itself"},
		),
		Action: runQuery,
	})
}

func queryText(c *cli.Context) (string, error) {
	switch {
	case c.String("e") != "" && c.NArg() > 0:
		return "", fmt.Errorf("give the query either with -e or as FILE, not both")
	case c.String("e") != "":
		return c.String("e"), nil
	case c.NArg() == 1:
		return readInput(c.Args().First())
	}
	return "", fmt.Errorf("query takes one FILE, - for standard input, or -e 'QUERY'")
}

func runQuery(c *cli.Context) error {
	text, err := queryText(c)
	if err != nil {
		return err
	}
	format := c.String("format")
	if printerFor(format) == nil {
		return fmt.Errorf("--format must be table, tsv or json, not %q", format)
	}
	req := &wire.QueryRequest{Query: text, Index: c.Uint64("index"), Explain: c.Bool("explain")}
	switch strings.ToLower(c.String("consistency")) {
	case "linearizable":
	case "recent":
		req.Consistency = wire.Consistency_CONSISTENCY_RECENT
	default:
		return fmt.Errorf("--consistency must be linearizable or recent, not %q", c.String("consistency"))
	}
	return withAPI(c, func(ctx context.Context, api wire.APIClient) error {
		return runAndPrint(ctx, api, req, format)
	})
}

// runAndPrint runs the query and prints the answer once the server has
// sent all of it: a query that fails part-way ends its stream in an error,
// and printing rows as they arrived would pass a partial answer off as a
// whole one. Explain text goes to standard output with a table, to
// standard error otherwise, so that TSV and JSON stay machine-readable.
func runAndPrint(ctx context.Context, api wire.APIClient, req *wire.QueryRequest, format string) error {
	notes := io.Writer(os.Stdout)
	if format != "table" {
		notes = os.Stderr
	}
	res, err := collect(ctx, api, req, notes)
	if err != nil {
		return err
	}
	if err := printerFor(format)(os.Stdout, res); err != nil {
		return err
	}
	// TSV output is exactly the header and the rows; the index is worth a
	// note only when the server chose it from the views.
	if format == "tsv" && req.Consistency == wire.Consistency_CONSISTENCY_RECENT && req.Index == 0 {
		fmt.Fprintf(os.Stderr, "(%d rows at log index %d)\n", len(res.Rows), res.Index)
	}
	if res.Analysis != "" {
		fmt.Fprintf(notes, "\nExecuted:\n%s", res.Analysis)
	}
	return nil
}

// collect reads a streamed query result whole, printing the plan as soon
// as it arrives.
func collect(ctx context.Context, api wire.APIClient, req *wire.QueryRequest, notes io.Writer) (*wire.QueryChunk, error) {
	st, err := api.Query(ctx, req)
	if err != nil {
		return nil, wire.APIError("query failed", err)
	}
	var res *wire.QueryChunk
	for {
		chunk, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, wire.APIError("query failed", err)
		}
		if chunk.Plan != "" {
			fmt.Fprintf(notes, "Plan at log index %d (estimated rows and cost):\n%s\n", chunk.Index, chunk.Plan)
		}
		if res == nil {
			res = chunk
		} else {
			res.Rows = append(res.Rows, chunk.Rows...)
			res.Analysis += chunk.Analysis
			res.Operators = append(res.Operators, chunk.Operators...)
		}
	}
	if res == nil {
		return nil, fmt.Errorf("query failed: the server sent no result")
	}
	return res, nil
}

type printer func(w io.Writer, res *wire.QueryChunk) error

func printerFor(format string) printer {
	switch format {
	case "table":
		return printTable
	case "tsv":
		return printTSV
	case "json":
		return printJSON
	}
	return nil
}

func cell(v *wire.Value, unbound string) string {
	if v.Unbound {
		return unbound
	}
	return v.Text
}

func printTSV(w io.Writer, res *wire.QueryChunk) error {
	fmt.Fprintln(w, strings.Join(res.Columns, "\t"))
	printTSVRows(w, res.Rows)
	return nil
}

// printTSVRows prints rows as TSV; an unbound value is an empty field.
func printTSVRows(w io.Writer, rows []*wire.Row) {
	for _, r := range rows {
		cells := make([]string, len(r.Values))
		for i, v := range r.Values {
			cells[i] = cell(v, "")
		}
		fmt.Fprintln(w, strings.Join(cells, "\t"))
	}
}

func printJSON(w io.Writer, res *wire.QueryChunk) error {
	out := struct {
		Index   uint64      `json:"index"`
		Columns []string    `json:"columns"`
		Rows    [][]*string `json:"rows"`
	}{Index: res.Index, Columns: res.Columns, Rows: make([][]*string, len(res.Rows))}
	if out.Columns == nil { // gRPC does not tell an empty list from none
		out.Columns = []string{}
	}
	for i, r := range res.Rows {
		out.Rows[i] = make([]*string, len(r.Values))
		for j, v := range r.Values {
			if !v.Unbound {
				text := v.Text
				out.Rows[i][j] = &text
			}
		}
	}
	return writeIndentedJSON(w, out)
}

// writeIndentedJSON writes v as JSON indented by two spaces, the form
// every `--json` output of the CLI takes.
func writeIndentedJSON(w io.Writer, v any) error {
	return jsontext.Encode(w, v, true)
}

// printTable prints the aligned table query.md shows, then the index.
func printTable(w io.Writer, res *wire.QueryChunk) error {
	widths := make([]int, len(res.Columns))
	for i, c := range res.Columns {
		widths[i] = len(c)
	}
	for _, r := range res.Rows {
		for i, v := range r.Values {
			widths[i] = max(widths[i], len(cell(v, "(nil)")))
		}
	}
	line := func(cells func(i int) string) {
		var b strings.Builder
		for i := range res.Columns {
			fmt.Fprintf(&b, " %-*s |", widths[i], cells(i))
		}
		fmt.Fprintln(w, b.String())
	}
	line(func(i int) string { return res.Columns[i] })
	line(func(i int) string { return strings.Repeat("-", widths[i]) })
	for _, r := range res.Rows {
		line(func(i int) string { return cell(r.Values[i], "(nil)") })
	}
	fmt.Fprintf(w, "(%d rows at log index %d)\n", len(res.Rows), res.Index)
	return nil
}
