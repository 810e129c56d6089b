package apiserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/planner"
	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
	"github.com/akutan-dev/akutan/query/sparql/eval"
	"github.com/akutan-dev/akutan/query/sparql/results"
	"github.com/akutan-dev/akutan/query/sparql/viewgraph"
	"github.com/akutan-dev/akutan/query/update"
	"github.com/akutan-dev/akutan/wire"
)

// LogIndexHeader is the response header carrying the log index a query
// read at, or at which an update's outcome is visible.
const LogIndexHeader = "Akutan-Log-Index"

// sparqlEndpoint serves the SPARQL 1.1 Protocol at /sparql. It needs the
// views, a way to choose a read index and a way to apply a transaction;
// the tests give it in-memory ones.
type sparqlEndpoint struct {
	// views returns the view tier (the server makes its client after the
	// HTTP handler).
	views func() engine.Views
	// stats returns the views' statistics for ordering patterns; nil, or
	// returning nil: defaults.
	stats func() *planner.Stats
	// reads chooses the log index a query reads at (see indexChooser).
	reads *indexChooser
	// apply applies one transaction through the log; the error of a
	// request the client must fix wraps ErrInvalid.
	apply func(ctx context.Context, req update.Request) (update.Result, error)
	// observe records a request's outcome in the metrics; nil: none.
	observe func(kind string, start time.Time, err error)
	// load reads the document of `LOAD <iri>`; nil: LOAD is refused.
	load func(ctx context.Context, iri string) ([]rdf.Triple, error)
	// names are the entity names the queries at the latest index share;
	// nil: each query resolves its own.
	names *engine.Names
}

// newSPARQLEndpoint is the Server's /sparql.
func (s *Server) newSPARQLEndpoint() *sparqlEndpoint {
	return &sparqlEndpoint{
		views:   func() engine.Views { return s.views },
		stats:   func() *planner.Stats { return s.stats.get() },
		reads:   s.reads,
		apply:   s.applyTx,
		observe: s.metrics.observe,
		load:    loadFile,
		names:   s.names,
	}
}

// sparqlRequest is one request to /sparql, its parameters read.
type sparqlRequest struct {
	query, update string
	isUpdate      bool
	params        QueryParams
	timeout       time.Duration
	accept        string
	format        string // the format= parameter, if any
	explain       bool   // explain=true: answer the query's plan, do not run it
}

// ServeHTTP implements http.Handler.
func (e *sparqlEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", LogIndexHeader)
	switch r.Method {
	case http.MethodOptions:
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		allow := "Accept, Content-Type"
		if asked := r.Header.Get("Access-Control-Request-Headers"); asked != "" {
			allow = asked // any header: the endpoint reads none but these
		}
		h.Set("Access-Control-Allow-Headers", allow)
		h.Set("Access-Control-Max-Age", "86400")
		h.Set("Allow", "GET, POST, OPTIONS")
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		h.Set("Allow", "GET, POST, OPTIONS")
		writeText(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed on /sparql: use GET or POST", r.Method))
		return
	}
	if isServiceDescriptionRequest(r) {
		serveServiceDescription(w, r)
		return
	}
	req, err := readSPARQLRequest(w, r)
	if err != nil {
		writeSPARQLError(w, err)
		return
	}
	if req.isUpdate {
		e.serveUpdate(w, r, req)
		return
	}
	e.serveQuery(w, r, req)
}

// Errors of the protocol that are not the evaluation's.
var (
	errMethod           = errors.New("method not allowed")
	errUnsupportedMedia = errors.New("unsupported media type")
)

// readSPARQLRequest reads the operation and parameters of a request: from
// the URL for GET, and from the URL and the body for POST (a form, or the
// query or update text itself).
func readSPARQLRequest(w http.ResponseWriter, r *http.Request) (*sparqlRequest, error) {
	params := r.URL.Query()
	var queries, updates []string
	if r.Method == http.MethodPost {
		var err error
		if queries, updates, err = readPOST(w, r, params); err != nil {
			return nil, err
		}
	}
	req := &sparqlRequest{accept: r.Header.Get("Accept"), format: params.Get("format")}
	if err := chooseOperation(req, r.Method, append(params["query"], queries...), append(params["update"], updates...)); err != nil {
		return nil, err
	}
	if err := checkUTF8([]byte(req.query + req.update)); err != nil {
		return nil, err
	}
	if err := readExtensions(params, req); err != nil {
		return nil, err
	}
	return req, nil
}

// readPOST reads a POST body: a form's fields join params; the text of a
// query or an update is returned.
func readPOST(w http.ResponseWriter, r *http.Request, params url.Values) (queries, updates []string, err error) {
	body, err := readLimitedBody(w, r)
	if err != nil {
		return nil, nil, err
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, fmt.Errorf("%w: the form body is not URL-encoded: %v", ErrInvalid, err)
		}
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
		return nil, nil, nil
	case "application/sparql-query":
		return []string{string(body)}, nil, nil
	case "application/sparql-update":
		return nil, []string{string(body)}, nil
	}
	return nil, nil, fmt.Errorf("%w: Content-Type %q: POST a form (application/x-www-form-urlencoded), application/sparql-query or application/sparql-update",
		errUnsupportedMedia, r.Header.Get("Content-Type"))
}

// chooseOperation sets the request's one query or update.
func chooseOperation(req *sparqlRequest, method string, queries, updates []string) error {
	switch {
	case len(queries)+len(updates) == 0:
		return fmt.Errorf("%w: no query: give query= (GET or POST) or update= (POST), or POST the text as application/sparql-query or application/sparql-update", ErrInvalid)
	case len(queries)+len(updates) > 1:
		return fmt.Errorf("%w: give exactly one query or update, not %d", ErrInvalid, len(queries)+len(updates))
	case len(updates) == 1 && method != http.MethodPost:
		return fmt.Errorf("%w: an update must be sent by POST", errMethod)
	case len(queries) == 1:
		req.query = queries[0]
	default:
		req.update, req.isUpdate = updates[0], true
	}
	return nil
}

// readLimitedBody reads a POST body of at most wire.MaxRequestBytes.
func readLimitedBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > wire.MaxRequestBytes {
		w.Header().Set("Connection", "close") // do not read the rest
		return nil, bodyTooLarge(r.ContentLength)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wire.MaxRequestBytes))
	var over *http.MaxBytesError
	if errors.As(err, &over) {
		return nil, bodyTooLarge(-1)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading body: %v", ErrInvalid, err)
	}
	return body, nil
}

// readExtensions reads the dataset parameters (refused: Akutan has only
// the default graph) and Akutan's own: index, consistency and timeout.
func readExtensions(params url.Values, req *sparqlRequest) error {
	for _, p := range []string{"default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri"} {
		if _, ok := params[p]; ok {
			return fmt.Errorf("%w: %s is not supported: Akutan has only the default graph (%w)", ErrInvalid, p, eval.ErrNotSupported)
		}
	}
	if v := params.Get("index"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%w: index %q is not a log index", ErrInvalid, v)
		}
		if req.isUpdate {
			return fmt.Errorf("%w: index applies to queries only: an update reads and writes at the log's end", ErrInvalid)
		}
		req.params.Index = n
	}
	if req.isUpdate && params.Get("consistency") != "" {
		return fmt.Errorf("%w: consistency applies to queries only: an update reads and writes at the log's end", ErrInvalid)
	}
	cons, err := ParseConsistency(params.Get("consistency"))
	if err != nil {
		return err
	}
	req.params.Consistency = cons
	if v := params.Get("explain"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil || req.isUpdate {
			return fmt.Errorf("%w: explain=%q: give explain=true with a query", ErrInvalid, v)
		}
		req.explain = b
	}
	req.timeout = DefaultQueryTimeout
	if v := params.Get("timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("%w: timeout %q is not a positive Go duration such as 30s or 2m", ErrInvalid, v)
		}
		req.timeout = d
	}
	return nil
}

// sparqlStatus is the HTTP status of an error that ends a request before
// its answer started.
func sparqlStatus(err error) int {
	var syntax *sparql.SyntaxError
	var notAcceptable *results.NotAcceptableError
	switch {
	case errors.Is(err, ErrRequestTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed
	case errors.Is(err, errUnsupportedMedia):
		return http.StatusUnsupportedMediaType
	case errors.As(err, &notAcceptable):
		return http.StatusNotAcceptable
	case errors.As(err, &syntax), errors.Is(err, eval.ErrNotSupported), errors.Is(err, ErrInvalid):
		return http.StatusBadRequest
	}
	return http.StatusServiceUnavailable
}

// writeSPARQLError answers with the error's status and its message as
// plain text.
func writeSPARQLError(w http.ResponseWriter, err error) {
	code := sparqlStatus(err)
	if code == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", "POST")
	}
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		msg += " (the request's timeout passed: raise it with timeout=, e.g. timeout=5m)"
	}
	writeText(w, code, msg)
}

func writeText(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg+"\n")
}

// record records a request's outcome in the metrics, if any.
func (e *sparqlEndpoint) record(kind string, start time.Time, err error) {
	if e.observe != nil {
		e.observe(kind, start, err)
	}
}

// graph is the stored graph as of index, as SPARQL evaluates it.
func (e *sparqlEndpoint) graph(views engine.Views, index uint64) *viewgraph.Graph {
	opts := []viewgraph.Option{viewgraph.WithNames(e.names)}
	if e.stats != nil {
		opts = append(opts, viewgraph.WithStats(e.stats))
	}
	return viewgraph.New(views, index, opts...)
}
