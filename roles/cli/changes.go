package cli

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

// changesCommand is `akutan changes`: the change feed (package
// cluster/changefeed) as RDF Patch on standard output, read from the API
// server's GET /v1/changes.
func changesCommand() *cli.Command {
	return withConfig(&cli.Command{
		Name:  "changes",
		Usage: "print every committed change after a log index, as RDF Patch, optionally following new ones",
		Description: "Reads GET /v1/changes (server-sent events) from the API server's HTTP (the address it\n" +
			"advertises, or --http) and prints each committed transaction after --from-index as one RDF\n" +
			"Patch: `H id <urn:akutan:index:N> .`, `TX .`, its D and A rows, `TC .`, in the order of the\n" +
			"transactions' log indexes; aborted transactions never appear. N is the transaction's log index:\n" +
			"to resume, pass the N of the last patch processed whole as --from-index, and every committed\n" +
			"change after it comes exactly once. Without --follow it stops after the log's last index at the\n" +
			"start, printing that index on standard error; with --follow it keeps printing new transactions.\n" +
			"An index below the log's first retained index is an error naming the first index.",
		Flags: append([]cli.Flag{
			str("api", DefaultAPIAddr, "API server's gRPC `HOST:PORT`"),
			httpFlag(),
			num("from-index", 0, "print the transactions after this log `INDEX` (0: the whole log)"),
			&cli.BoolFlag{Name: "follow", Usage: "keep printing new transactions as they commit"},
			dur("timeout", 0, "give up after this `DURATION` (default: no limit)"),
		}, clientSecurityFlags()...),
		Action: runChanges,
	})
}

func runChanges(c *cli.Context) error {
	ctx, cancel := withOptionalTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	base, err := apiHTTPBase(ctx, c)
	if err != nil {
		return err
	}
	params := url.Values{"from": {fmt.Sprint(c.Uint64("from-index"))}}
	if c.Bool("follow") {
		params.Set("follow", "true")
	}
	resp, err := httpGet(ctx, httpDoer(c), base+"/v1/changes?"+params.Encode(), "text/event-stream")
	if err != nil {
		return fmt.Errorf("reading the change feed: %w", err)
	}
	defer resp.Body.Close()
	out := bufio.NewWriterSize(os.Stdout, 256<<10)
	defer out.Flush()
	last := c.Uint64("from-index")
	err = readEvents(resp.Body, func(ev sseEvent) error {
		switch ev.name {
		case "patch":
			for _, line := range ev.data {
				out.WriteString(line)
				out.WriteByte('\n')
			}
			if err := out.Flush(); err != nil {
				return fmt.Errorf("writing standard output: %w", err)
			}
			fmt.Sscan(ev.id, &last)
		case "end":
			fmt.Fprintf(os.Stderr, "changes through log index %s (resume with --from-index %s)\n", strings.Join(ev.data, ""), strings.Join(ev.data, ""))
			return io.EOF
		case "error":
			return fmt.Errorf("the change feed failed after log index %d: %s", last, strings.Join(ev.data, "\n"))
		}
		return nil
	})
	switch {
	case err == io.EOF:
		return nil
	case err != nil:
		return err
	case ctx.Err() != nil:
		return fmt.Errorf("the change feed stopped after log index %d: %w", last, ctx.Err())
	}
	return fmt.Errorf("the change feed ended unexpectedly after log index %d (resume with --from-index %d)", last, last)
}

// sseEvent is one server-sent event.
type sseEvent struct {
	id, name string
	data     []string
}

// readEvents calls fn for each event of a server-sent event stream until
// it ends (nil) or fn fails (fn's error).
func readEvents(r io.Reader, fn func(sseEvent) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 256<<20)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if ev.name != "" || len(ev.data) > 0 {
				if ev.name == "" {
					ev.name = "message"
				}
				if err := fn(ev); err != nil {
					return err
				}
			}
			ev = sseEvent{}
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			ev.id = value
		case "event":
			ev.name = value
		case "data":
			ev.data = append(ev.data, value)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading the event stream: %w", err)
	}
	return nil
}
