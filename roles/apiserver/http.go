package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/akutan-dev/akutan/internal/jsontext"
	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/roles/apiserver/console"
	"github.com/akutan-dev/akutan/wire"
)

func (s *Server) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/query", s.handleQuery)
	mux.HandleFunc("POST /v1/insert", s.handleInsert)
	mux.HandleFunc("POST /v1/delete", s.handleChange(s.Delete))
	mux.HandleFunc("POST /v1/update", s.handleChange(s.Update))
	mux.Handle("/sparql", s.newSPARQLEndpoint())
	mux.HandleFunc("GET /v1/export", s.handleExport)
	mux.HandleFunc("GET /v1/changes", s.handleChanges)
	mux.HandleFunc("GET /v1/members", s.handleMembers)
	mux.HandleFunc("GET /v1/status", s.handleStatus)
	mux.HandleFunc("GET /v1/floors", s.handleFloors)
	// The web console: the page at / exactly, its assets under /console/.
	page := console.Handler()
	mux.Handle("GET /{$}", page)
	mux.Handle("GET /console/", page)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	gatherers := append(prometheus.Gatherers{s.cfg.Registry}, s.cfg.Gatherers...)
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherers, promhttp.HandlerOpts{}))
	return mux
}

// QueryRequest is the body of POST /v1/query. A body that is not JSON (by
// its Content-Type, or, without one, by starting with "{") is
// taken as the query text.
type QueryRequest struct {
	Query string `json:"query"`
	Index uint64 `json:"index"`
	// Consistency is "linearizable" (the default) or "recent".
	Consistency string `json:"consistency"`
	Explain     bool   `json:"explain"`
}

// QueryResponse is the JSON answer to a query; unbound values are null.
type QueryResponse struct {
	Index    uint64      `json:"index"`
	Columns  []string    `json:"columns"`
	Rows     [][]*string `json:"rows"`
	Plan     string      `json:"plan,omitempty"`
	Analysis string      `json:"analysis,omitempty"`
}

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request) {
	var req QueryRequest
	if !decodeBody(w, r, &req, func(text string) { req.Query = text }) {
		return
	}
	cons, err := ParseConsistency(req.Consistency)
	if err != nil {
		writeError(w, err)
		return
	}
	out := QueryResponse{Rows: [][]*string{}}
	err = s.QueryStream(r.Context(), QueryParams{Text: req.Query, Index: req.Index, Consistency: cons, Explain: req.Explain},
		func(c *engine.Chunk) error {
			if c.Columns != nil {
				out.Index, out.Columns, out.Plan = c.Index, c.Columns, c.Plan
			}
			out.Analysis += c.Analysis
			for _, row := range c.Rows {
				out.Rows = append(out.Rows, jsonRow(row))
			}
			return nil
		})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// jsonRow turns a row into JSON cells: text, or null when unbound.
func jsonRow(row []engine.Value) []*string {
	out := make([]*string, len(row))
	for j, v := range row {
		if !v.Unbound {
			text := v.Text
			out[j] = &text
		}
	}
	return out
}

// ParseConsistency reads a consistency name: "" or "linearizable", or
// "recent".
func ParseConsistency(name string) (wire.Consistency, error) {
	switch strings.ToLower(name) {
	case "", "linearizable":
		return wire.Consistency_CONSISTENCY_LINEARIZABLE, nil
	case "recent":
		return wire.Consistency_CONSISTENCY_RECENT, nil
	}
	return 0, fmt.Errorf("%w: consistency must be linearizable or recent, not %q", ErrInvalid, name)
}

// InsertRequest is the body of POST /v1/insert. A body that is not JSON is
// taken as TSV data.
type InsertRequest struct {
	Format string `json:"format"`
	Data   string `json:"data"`
}

// InsertResponse is the JSON answer to an insert.
type InsertResponse struct {
	Index    uint64 `json:"index"`
	Inserted int    `json:"inserted"`
	Existing int    `json:"existing"`
}

func (s *Server) handleInsert(w http.ResponseWriter, r *http.Request) {
	var req InsertRequest
	if !decodeBody(w, r, &req, func(text string) { req.Data = text }) {
		return
	}
	res, err := s.Insert(r.Context(), req.Format, req.Data)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, InsertResponse{Index: res.Index, Inserted: res.Inserted, Existing: res.Existing})
}

// ErrRequestTooLarge marks a request over wire.MaxRequestBytes (HTTP 413).
var ErrRequestTooLarge = errors.New("request too large")

// bodyTooLarge is the error for a body over the limit; size is its length
// when known, else -1.
func bodyTooLarge(size int64) error {
	if size < 0 {
		return fmt.Errorf("%w: the body is over the limit of %d bytes (%d MiB)", ErrRequestTooLarge, wire.MaxRequestBytes, wire.MaxRequestBytes>>20)
	}
	return fmt.Errorf("%w: the body of %d bytes is over the limit of %d bytes (%d MiB)", ErrRequestTooLarge, size, wire.MaxRequestBytes, wire.MaxRequestBytes>>20)
}

// decodeBody reads a JSON body into v, or hands a non-JSON body to raw.
// Either must be UTF-8 (see checkUTF8). A body over wire.MaxRequestBytes is
// refused with 413: at once when its Content-Length says so, else as soon
// as the limit is read.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, raw func(string)) bool {
	isJSON, err := jsonContent(r.Header.Get("Content-Type"))
	if err != nil {
		writeError(w, err)
		return false
	}
	if r.ContentLength > wire.MaxRequestBytes {
		w.Header().Set("Connection", "close") // do not read the rest
		writeError(w, bodyTooLarge(r.ContentLength))
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wire.MaxRequestBytes))
	var over *http.MaxBytesError
	if errors.As(err, &over) {
		writeError(w, bodyTooLarge(-1))
		return false
	}
	if err != nil {
		writeError(w, fmt.Errorf("%w: reading body: %v", ErrInvalid, err))
		return false
	}
	if err := checkUTF8(body); err != nil {
		writeError(w, err)
		return false
	}
	if isJSON || sniffJSON(r.Header.Get("Content-Type"), body) {
		if err := json.Unmarshal(body, v); err != nil {
			writeError(w, fmt.Errorf("%w: decoding JSON body: %v", ErrInvalid, err))
			return false
		}
		if err := checkJSONEscapes(body); err != nil {
			writeError(w, err)
			return false
		}
		return true
	}
	raw(string(body))
	return true
}

func writeError(w http.ResponseWriter, err error) {
	code := http.StatusServiceUnavailable
	switch {
	case errors.Is(err, ErrRequestTooLarge):
		code = http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrInvalid):
		code = http.StatusBadRequest
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = jsontext.Encode(w, v, true)
}
