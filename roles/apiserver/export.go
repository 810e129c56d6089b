package apiserver

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql/eval"
	"github.com/akutan-dev/akutan/query/sparql/viewgraph"
)

// exportNameCache bounds how many entity names an export remembers (see
// viewgraph.WithNameCacheLimit): about 100 MB of names at most, however
// large the graph.
const exportNameCache = 1 << 20

// handleExport is GET /v1/export?format=ntriples|turtle&index=N: the whole
// graph as of log index N (default: the log's last index) as RDF, named
// as SPARQL names it (viewgraph: IRIs, blank nodes, literals exactly as
// stored), without Akutan's bookkeeping facts. The answer streams: the
// views' HashSP ranges are scanned and written out in chunks, so the
// server holds a bounded number of facts and names. The Akutan-Log-Index
// header carries the index. An error after the first byte aborts the
// response, so a client never mistakes a cut export for a whole one.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var format string
	switch f := q.Get("format"); f {
	case "", "ntriples", "nt":
		format = "ntriples"
	case "turtle", "ttl":
		format = "turtle"
	default:
		writeError(w, fmt.Errorf("%w: format must be ntriples or turtle, not %q", ErrInvalid, f))
		return
	}
	var index uint64
	if v := q.Get("index"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeError(w, fmt.Errorf("%w: index %q is not a log index", ErrInvalid, v))
			return
		}
		index = n
	}
	// An export outlives the server's read timeout, which would otherwise
	// cancel the request's context once it passes.
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	out := &lazyResponse{w: w, contentType: "application/n-triples; charset=utf-8"}
	if format == "turtle" {
		out.contentType = "text/turtle; charset=utf-8"
	}
	start := time.Now()
	ctx, cancel := s.streamContext(r.Context())
	defer cancel()
	err := s.export(ctx, index, format, out)
	s.metrics.observe("export", start, err)
	if err == nil {
		return
	}
	if !out.started {
		writeError(w, err)
		return
	}
	s.log.Warn().Err(err).Msg("export failed part-way")
	panic(http.ErrAbortHandler) // ends the chunked stream abnormally
}

// export writes the graph as of index (0: the log's last) to out.
func (s *Server) export(ctx context.Context, index uint64, format string, out *lazyResponse) error {
	index, err := s.readIndex(ctx, QueryParams{Index: index})
	if err != nil {
		return err
	}
	out.index = index
	bw := bufio.NewWriterSize(out, 256<<10)
	var write func(rdf.Triple) error
	finish := func() error { return nil }
	if format == "turtle" {
		tw := rdf.NewTurtleWriter(bw)
		write, finish = tw.Write, tw.Close
	} else {
		var line []byte
		write = func(t rdf.Triple) error {
			line = rdf.AppendNTriples(line[:0], t)
			_, err := bw.Write(line)
			return err
		}
	}
	g := viewgraph.New(s.views, index, viewgraph.WithNameCacheLimit(exportNameCache))
	if err := g.Match(ctx, []eval.Pattern{{}}, func(_ int, t rdf.Triple) error { return write(t) }); err != nil {
		return fmt.Errorf("exporting the graph at log index %d: %w", index, err)
	}
	if err := finish(); err != nil {
		return fmt.Errorf("exporting the graph at log index %d: %w", index, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("exporting the graph at log index %d: %w", index, err)
	}
	out.start() // an empty graph is still a 200
	return nil
}
