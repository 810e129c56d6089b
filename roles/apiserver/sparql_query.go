package apiserver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
	"github.com/akutan-dev/akutan/query/sparql/eval"
	"github.com/akutan-dev/akutan/query/sparql/results"
)

// serveQuery answers a query, streaming the answer as evaluation makes
// it. An error before the first byte of the answer went out is an error
// status; one after it aborts the response, so that the client sees a
// broken transfer rather than a short answer that looks whole.
func (e *sparqlEndpoint) serveQuery(w http.ResponseWriter, r *http.Request, req *sparqlRequest) {
	start := time.Now()
	out := &lazyResponse{w: w}
	err := e.runQuery(r.Context(), req, out)
	e.record("sparql_query", start, err)
	if err == nil {
		return
	}
	if !out.started {
		writeSPARQLError(w, err)
		return
	}
	panic(http.ErrAbortHandler) // ends the chunked stream abnormally
}

// runQuery parses, negotiates, chooses the read index and evaluates.
func (e *sparqlEndpoint) runQuery(ctx context.Context, req *sparqlRequest, out *lazyResponse) error {
	q, err := sparql.ParseQuery(req.query, "")
	if err != nil {
		return fmt.Errorf("parsing the query: %w", err)
	}
	if req.explain {
		return e.explainQuery(ctx, q, req, out)
	}
	// Chosen before the read so that a format the client cannot accept
	// costs nothing.
	if _, _, _, err := queryOutput(q, req, io.Discard); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, req.timeout)
	defer cancel()
	return e.reads.run(ctx, req.params, func(ctx context.Context, index uint64, gate *readGate) error {
		out.index = index
		held := &gatedWriter{ctx: ctx, gate: gate, w: out}
		contentType, output, finish, err := queryOutput(q, req, held)
		if err != nil {
			return err
		}
		out.contentType = contentType
		if err := eval.Run(ctx, q, e.graph(e.views(), index), output, eval.Options{}); err != nil {
			return fmt.Errorf("evaluating the query at log index %d: %w", index, err)
		}
		if err := finish(); err != nil {
			return err
		}
		if err := held.release(); err != nil {
			return err
		}
		out.start() // an answer with no bytes (an empty graph) is still a 200
		return nil
	})
}

// explainQuery answers the plan of q at the index the query would read at,
// as text: the algebra, with each BGP in the order the views' statistics
// give (eval.ExplainOver). The query is not run.
func (e *sparqlEndpoint) explainQuery(ctx context.Context, q *sparql.Query, req *sparqlRequest, out *lazyResponse) error {
	ctx, cancel := context.WithTimeout(ctx, req.timeout)
	defer cancel()
	index, err := e.reads.readIndex(ctx, req.params)
	if err != nil {
		return err
	}
	plan := eval.ExplainOver(ctx, q, e.graph(e.views(), index))
	out.index, out.contentType = index, "text/plain; charset=utf-8"
	_, err = io.WriteString(out, plan)
	return err
}

// queryOutput picks the answer's format for the query's form and returns
// the writer to evaluate into and what ends it.
func queryOutput(q *sparql.Query, req *sparqlRequest, out io.Writer) (contentType string, _ eval.Output, finish func() error, _ error) {
	if q.Form == sparql.Select || q.Form == sparql.Ask {
		f, err := results.Choose(req.format, req.accept)
		if err != nil {
			return "", eval.Output{}, nil, err
		}
		return f.ContentType(), eval.Output{Solutions: f.NewWriter(out)}, func() error { return nil }, nil
	}
	mediaType, err := chooseGraphFormat(req.format, req.accept)
	if err != nil {
		return "", eval.Output{}, nil, err
	}
	bw := bufio.NewWriter(out)
	var line []byte
	write := func(t rdf.Triple) error {
		line = rdf.AppendNTriples(line[:0], t)
		_, err := bw.Write(line)
		return err
	}
	return mediaType + "; charset=utf-8", eval.Output{Triples: write}, bw.Flush, nil
}

// The graph formats of CONSTRUCT and DESCRIBE answers. Both are written
// as N-Triples, which is also Turtle.
const (
	mediaTurtle   = "text/turtle"
	mediaNTriples = "application/n-triples"
)

// chooseGraphFormat picks Turtle or N-Triples from a format= parameter or
// the Accept header (text/plain is the old name of N-Triples); Turtle
// wins ties, and an empty header means Turtle.
func chooseGraphFormat(formatParam, accept string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(formatParam)) {
	case "":
	case "turtle", "ttl", mediaTurtle:
		return mediaTurtle, nil
	case "ntriples", "nt", "n-triples", mediaNTriples, "text/plain":
		return mediaNTriples, nil
	default:
		return "", &results.NotAcceptableError{Asked: formatParam,
			Reason: "a CONSTRUCT or DESCRIBE answer is a graph: the formats are text/turtle (turtle) and application/n-triples (ntriples)"}
	}
	if strings.TrimSpace(accept) == "" {
		return mediaTurtle, nil
	}
	turtle, ntriples := 0.0, 0.0
	turtleSpec, ntSpec := -1, -1
	for _, elem := range strings.Split(accept, ",") {
		mt, q, ok := parseAcceptElem(elem)
		if !ok {
			continue
		}
		for _, c := range []struct {
			types []string
			q     *float64
			spec  *int
		}{{[]string{mediaTurtle, "application/x-turtle"}, &turtle, &turtleSpec}, {[]string{mediaNTriples, "text/plain"}, &ntriples, &ntSpec}} {
			if s := specificity(mt, c.types); s > *c.spec {
				*c.spec, *c.q = s, q
			}
		}
	}
	switch {
	case turtle > 0 && turtle >= ntriples:
		return mediaTurtle, nil
	case ntriples > 0:
		return mediaNTriples, nil
	}
	return "", &results.NotAcceptableError{Asked: accept,
		Reason: "a CONSTRUCT or DESCRIBE answer is a graph: the formats are text/turtle and application/n-triples"}
}

// parseAcceptElem reads one element of an Accept header: its media range
// in lower case and its quality.
func parseAcceptElem(elem string) (string, float64, bool) {
	parts := strings.Split(elem, ";")
	mt := strings.ToLower(strings.TrimSpace(parts[0]))
	if !strings.Contains(mt, "/") {
		return "", 0, false
	}
	q := 1.0
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.TrimSpace(k) == "q" {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 || f > 1 {
				return "", 0, false
			}
			q = f
		}
	}
	return mt, q, true
}

// specificity is how exactly the media range mt matches the first of
// types (2: exactly, 1: type/*, 0: */*), or matches one of the others
// exactly (2); -1 when it does not match.
func specificity(mt string, types []string) int {
	for _, t := range types {
		if mt == t {
			return 2
		}
	}
	typ, _, _ := strings.Cut(types[0], "/")
	switch mt {
	case typ + "/*":
		return 1
	case "*/*":
		return 0
	}
	return -1
}

// lazyResponse sends the status and headers with the first byte of the
// answer, so that an error found before then can still be an error
// status.
type lazyResponse struct {
	w           http.ResponseWriter
	contentType string
	index       uint64
	started     bool
}

var _ io.Writer = (*lazyResponse)(nil)

func (l *lazyResponse) Write(p []byte) (int, error) {
	l.start()
	return l.w.Write(p)
}

// start sends the status and headers, once.
func (l *lazyResponse) start() {
	if l.started {
		return
	}
	l.started = true
	h := l.w.Header()
	h.Set("Content-Type", l.contentType)
	h.Set(LogIndexHeader, strconv.FormatUint(l.index, 10))
	h.Set("Vary", "Accept")
	l.w.WriteHeader(http.StatusOK)
}
