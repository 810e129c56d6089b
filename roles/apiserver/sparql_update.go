package apiserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/akutan-dev/akutan/internal/ctxsleep"
	"github.com/akutan-dev/akutan/internal/tokens"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
	"github.com/akutan-dev/akutan/query/sparql/eval"
	"github.com/akutan-dev/akutan/query/sparql/results"
	"github.com/akutan-dev/akutan/query/sparql/viewgraph"
	"github.com/akutan-dev/akutan/query/update"
	"github.com/akutan-dev/akutan/storage"
)

// serveUpdate applies a SPARQL update as one transaction and answers
// with a line saying what changed.
func (e *sparqlEndpoint) serveUpdate(w http.ResponseWriter, r *http.Request, req *sparqlRequest) {
	// /sparql lets a read token in (auth.go); an update needs write.
	if err := tokens.Allowed(r.Context(), tokens.Write); err != nil {
		tokens.WriteHTTPError(w, err)
		return
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), req.timeout)
	defer cancel()
	res, err := e.runUpdate(ctx, req.update)
	e.record("sparql_update", start, err)
	if err != nil {
		writeSPARQLError(w, err)
		return
	}
	w.Header().Set(LogIndexHeader, strconv.FormatUint(res.Index, 10))
	writeText(w, http.StatusOK, fmt.Sprintf("deleted %d facts (%d not present), inserted %d facts (%d already present) at log index %d",
		res.Deleted, res.Missing, res.Inserted, res.Existing, res.Index))
}

// maxStale bounds how often an update is evaluated again because the
// graph it was evaluated over changed before it was applied; between
// tries it waits a random while of up to staleBackoff per try so far, so
// that updates contending for the same facts spread out.
const (
	maxStale     = 20
	staleBackoff = 10 * time.Millisecond
)

// runUpdate evaluates the update's operations over the graph at the log's
// last index (each seeing the ones before it) and applies their net
// change as one transaction: all of it or, on any error, nothing. The
// transaction commits only if evaluating the update just before it gives
// the same change; otherwise it is evaluated again at the new last index.
func (e *sparqlEndpoint) runUpdate(ctx context.Context, text string) (update.Result, error) {
	u, err := sparql.ParseUpdate(text, "")
	if err != nil {
		return update.Result{}, fmt.Errorf("parsing the update: %w", err)
	}
	opts := eval.Options{Load: e.load, Now: time.Now()} // one NOW() for every evaluation
	if opts.Load == nil {
		opts.Load = func(context.Context, string) ([]rdf.Triple, error) {
			return nil, fmt.Errorf("%w: LOAD is not available on this server", ErrInvalid)
		}
	}
	for attempt := 1; ; attempt++ {
		res, err := e.updateOnce(ctx, u, opts)
		if !errors.Is(err, update.ErrStale) || attempt == maxStale {
			return res, err
		}
		if err := ctxsleep.Sleep(ctx, rand.N(time.Duration(attempt)*staleBackoff)); err != nil {
			return res, fmt.Errorf("evaluating the update again: %w", err)
		}
	}
}

// updateOnce evaluates the update at the log's last index and applies its
// change, valid as long as evaluating it again gives the same change.
func (e *sparqlEndpoint) updateOnce(ctx context.Context, u *sparql.Update, opts eval.Options) (update.Result, error) {
	index, err := e.reads.readIndex(ctx, QueryParams{})
	if err != nil {
		return update.Result{}, err
	}
	views := e.views()
	g := e.graph(views, index)
	ch, err := eval.Update(ctx, u, g, opts)
	if err != nil {
		return update.Result{}, fmt.Errorf("evaluating the update at log index %d: %w", index, err)
	}
	req, err := changesRequest(g, ch)
	if err != nil {
		return update.Result{}, err
	}
	req.Valid = func(ctx context.Context, at uint64) (bool, error) {
		if at == index {
			return true, nil
		}
		again, err := eval.Update(ctx, u, e.graph(views, at), opts)
		if err != nil {
			return false, fmt.Errorf("evaluating the update again at log index %d: %w", at, err)
		}
		return sameChanges(ch, again), nil
	}
	res, err := e.apply(ctx, req)
	if err != nil {
		return res, fmt.Errorf("applying the update (%d deletions, %d insertions): %w", len(ch.Delete), len(ch.Insert), err)
	}
	return res, nil
}

// sameChanges reports whether two evaluations of one update change the
// graph the same way: the same triples, up to the labels of the blank
// nodes each minted (blank nodes from the graph must be the same).
func sameChanges(a, b eval.Changes) bool {
	return results.Isomorphic(pinBlanks(a.Delete, a.NewBlanks), pinBlanks(b.Delete, b.NewBlanks)) == nil &&
		results.Isomorphic(pinBlanks(a.Insert, a.NewBlanks), pinBlanks(b.Insert, b.NewBlanks)) == nil
}

// pinBlanks turns the blank nodes that came from the graph into IRIs, so
// that an isomorphism may rename only the minted ones.
func pinBlanks(triples []rdf.Triple, minted map[string]bool) []rdf.Triple {
	pin := func(t rdf.Term) rdf.Term {
		if t.Kind == rdf.Blank && !minted[t.Value] {
			return rdf.NewIRI("urn:akutan:graph-blank:" + t.Value)
		}
		return t
	}
	out := make([]rdf.Triple, len(triples))
	for i, t := range triples {
		out[i] = rdf.Triple{S: pin(t.S), P: t.P, O: pin(t.O)}
	}
	return out
}

// changesRequest turns the net change of an update into a transaction.
// IRIs are entities by external name (new ones are created); blank nodes
// the update minted are new entities, and blank nodes that came from the
// graph are the entities they came from.
func changesRequest(g *viewgraph.Graph, ch eval.Changes) (update.Request, error) {
	conv := termConverter{g: g, fresh: ch.NewBlanks}
	del, err := conv.insert(ch.Delete)
	if err != nil {
		return update.Request{}, fmt.Errorf("%w: deleting: %v", ErrInvalid, err)
	}
	ins, err := conv.insert(ch.Insert)
	if err != nil {
		return update.Request{}, fmt.Errorf("%w: inserting: %v", ErrInvalid, err)
	}
	return update.Request{Delete: del, Insert: ins}, nil
}

// termConverter maps RDF terms to the terms of a transaction.
type termConverter struct {
	g     *viewgraph.Graph
	fresh map[string]bool
}

func (c termConverter) insert(triples []rdf.Triple) (*parser.Insert, error) {
	ins := &parser.Insert{Facts: make([]*parser.Quad, len(triples))}
	for i, t := range triples {
		q := &parser.Quad{}
		var err error
		for _, part := range []struct {
			term rdf.Term
			out  *parser.Term
		}{{t.S, &q.Subject}, {t.P, &q.Predicate}, {t.O, &q.Object}} {
			if *part.out, err = c.term(part.term); err != nil {
				return nil, fmt.Errorf("%s: %w", rdf.FormatTriple(t), err)
			}
		}
		ins.Facts[i] = q
	}
	return ins, nil
}

func (c termConverter) term(t rdf.Term) (parser.Term, error) {
	switch t.Kind {
	case rdf.IRI:
		if _, internal := storage.WellKnownKID(t.Value); internal {
			return nil, fmt.Errorf("<%s> names an entity internal to Akutan", t.Value)
		}
		if strings.HasPrefix(t.Value, "_:") {
			return nil, fmt.Errorf("<%s>: an IRI starting with _: cannot be stored (that spelling names blank nodes)", t.Value)
		}
		return &parser.Entity{Name: t.Value}, nil
	case rdf.Blank:
		if c.fresh[t.Value] {
			return &parser.BlankNode{Name: t.Value}, nil
		}
		if kid, ok := c.g.KID(t); ok {
			return &parser.KID{ID: kid}, nil
		}
		return nil, fmt.Errorf("blank node _:%s is neither new nor in the graph", t.Value)
	case rdf.Literal:
		return &parser.Literal{Value: rdf.LiteralObject(t)}, nil
	}
	return nil, fmt.Errorf("a term of unknown kind %d", t.Kind)
}

// maxLoadBytes bounds the (uncompressed) document one LOAD reads; its
// facts must fit one log entry anyway (update.MaxEntryBytes).
const maxLoadBytes = 64 << 20

// loadFile reads the document of `LOAD <file:PATH>`, a file the API
// server can read: N-Triples (.nt) or Turtle (.ttl), optionally
// gzip-compressed (.gz). Its errors are the client's to fix.
func loadFile(ctx context.Context, iri string) ([]rdf.Triple, error) {
	triples, err := readLoadFile(ctx, iri)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return triples, nil
}

func readLoadFile(ctx context.Context, iri string) ([]rdf.Triple, error) {
	u, err := url.Parse(iri)
	if err != nil || u.Scheme != "file" || u.Path == "" {
		return nil, fmt.Errorf("only file: IRIs of files the API server can read can be loaded (%w)", eval.ErrNotSupported)
	}
	name := strings.TrimSuffix(u.Path, ".gz")
	format := ""
	switch {
	case strings.HasSuffix(name, ".nt"):
		format = "ntriples"
	case strings.HasSuffix(name, ".ttl"):
		format = "turtle"
	default:
		return nil, fmt.Errorf("%s: the file name must end in .nt or .ttl (optionally .gz)", u.Path)
	}
	f, err := os.Open(u.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(u.Path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", u.Path, err)
		}
		defer gz.Close()
		r = gz
	}
	data, err := io.ReadAll(io.LimitReader(r, maxLoadBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", u.Path, err)
	}
	if len(data) > maxLoadBytes {
		return nil, fmt.Errorf("%s is over the limit of %d MiB for one LOAD", u.Path, maxLoadBytes>>20)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rd rdf.Reader = rdf.NewNTriplesReader(strings.NewReader(string(data)))
	if format == "turtle" {
		rd = rdf.NewTurtleReader(strings.NewReader(string(data)), iri)
	}
	triples, err := rdf.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", u.Path, err)
	}
	return triples, nil
}
