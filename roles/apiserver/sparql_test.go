package apiserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/engine/enginetest"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/update"
	"github.com/akutan-dev/akutan/wire"
)

const sparqlTestData = `
<http://ex/alice> <http://ex/knows> <http://ex/bob> .
<http://ex/alice> <http://ex/name> "Alice" .
<http://ex/bob> <http://ex/name> "Bob"@en .
<http://ex/bob> <http://ex/age> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .
_:c <http://ex/knows> <http://ex/alice> .
`

// fakeSPARQL is a /sparql endpoint over an in-memory graph whose
// transactions are recorded and their insertions added to the graph.
type fakeSPARQL struct {
	views *enginetest.Views
	ep    *sparqlEndpoint
	srv   *httptest.Server

	mu      sync.Mutex
	applied []update.Request
	// beforeApply, when set, runs before a transaction is applied, as
	// another writer getting in first.
	beforeApply func()
}

func newFakeSPARQL(t *testing.T, data string) *fakeSPARQL {
	t.Helper()
	triples, err := rdf.ReadAll(rdf.NewNTriplesReader(strings.NewReader(data)))
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSPARQL{views: enginetest.New()}
	if err := f.views.InsertParsed(rdf.Mapper{}.Insert(triples)); err != nil {
		t.Fatal(err)
	}
	f.ep = &sparqlEndpoint{
		views: func() engine.Views { return f.views },
		reads: &indexChooser{readIndex: func(_ context.Context, p QueryParams) (uint64, error) {
			last := f.views.Index()
			if p.Index > last {
				return 0, fmt.Errorf("%w: index %d is beyond the log's last index %d", ErrInvalid, p.Index, last)
			}
			if p.Index != 0 {
				return p.Index, nil
			}
			return last, nil
		}},
		apply: func(ctx context.Context, req update.Request) (update.Result, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.beforeApply != nil {
				f.beforeApply()
			}
			// As the Inserter does, read again at the last index.
			if req.Valid != nil {
				ok, err := req.Valid(ctx, f.views.Index())
				if err != nil {
					return update.Result{}, err
				}
				if !ok {
					return update.Result{}, update.ErrStale
				}
			}
			f.applied = append(f.applied, req)
			if err := f.views.InsertParsed(req.Insert); err != nil {
				return update.Result{}, err
			}
			return update.Result{Index: f.views.Index(), Inserted: len(req.Insert.Facts), Deleted: len(req.Delete.Facts)}, nil
		},
		load: loadFile,
	}
	f.srv = httptest.NewServer(f.ep)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSPARQL) requests() []update.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]update.Request(nil), f.applied...)
}

type answer struct {
	code int
	head http.Header
	body string
}

// do sends a request to /sparql; body "" sends none.
func (f *fakeSPARQL) do(t *testing.T, method, query, contentType, body, accept string) answer {
	t.Helper()
	u := f.srv.URL + "/sparql"
	if query != "" {
		u += "?" + query
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, u, err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func form(k, v string) string { return url.Values{k: {v}}.Encode() }

const countQuery = `SELECT (COUNT(*) AS ?n) WHERE { ?x <http://ex/knows> ?y }`

func TestSPARQLQueryWaysAndFormats(t *testing.T) {
	f := newFakeSPARQL(t, sparqlTestData)
	index := fmt.Sprint(f.views.Index())
	for _, c := range []struct {
		name                      string
		method, query, ctype, bod string
		accept, wantType, want    string
	}{
		{"GET csv", "GET", form("query", countQuery), "", "", "text/csv", "text/csv", "n\r\n2\r\n"},
		{"form POST tsv", "POST", "", "application/x-www-form-urlencoded", form("query", countQuery), "text/tab-separated-values", "text/tab-separated-values", "?n\n2\n"},
		{"sparql-query json", "POST", "", "application/sparql-query", countQuery, "application/sparql-results+json", "application/sparql-results+json",
			`"n":{"type":"literal","value":"2","datatype":"http://www.w3.org/2001/XMLSchema#integer"}`},
		{"xml", "GET", form("query", countQuery), "", "", "application/sparql-results+xml", "application/sparql-results+xml",
			`<literal datatype="http://www.w3.org/2001/XMLSchema#integer">2</literal>`},
		{"no Accept is JSON", "GET", form("query", "ASK { <http://ex/alice> ?p ?o }"), "", "", "", "application/sparql-results+json", `"boolean":true`},
		{"construct ntriples", "GET", form("query", "CONSTRUCT WHERE { <http://ex/bob> ?p ?o }"), "", "", "application/n-triples", "application/n-triples",
			"<http://ex/bob> <http://ex/name> \"Bob\"@en .\n"},
		{"construct turtle", "GET", form("query", "CONSTRUCT WHERE { <http://ex/bob> <http://ex/age> ?o }"), "", "", "text/turtle, */*;q=0.1", "text/turtle",
			"<http://ex/bob> <http://ex/age> \"42\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n"},
		{"describe", "GET", form("query", "DESCRIBE <http://ex/alice>"), "", "", "*/*", "text/turtle", "<http://ex/alice> <http://ex/name> \"Alice\" .\n"},
	} {
		a := f.do(t, c.method, c.query, c.ctype, c.bod, c.accept)
		if a.code != http.StatusOK {
			t.Errorf("%s: status %d: %s", c.name, a.code, a.body)
			continue
		}
		if got := a.head.Get("Content-Type"); !strings.HasPrefix(got, c.wantType) {
			t.Errorf("%s: Content-Type %q, want %s", c.name, got, c.wantType)
		}
		if !strings.Contains(a.body, c.want) {
			t.Errorf("%s: body %q lacks %q", c.name, a.body, c.want)
		}
		if a.head.Get(LogIndexHeader) != index || a.head.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: headers %v: want %s: %s and CORS", c.name, a.head, LogIndexHeader, index)
		}
	}
}

func TestSPARQLHidesInternalFacts(t *testing.T) {
	f := newFakeSPARQL(t, sparqlTestData)
	a := f.do(t, "GET", form("query", "SELECT ?p WHERE { ?s ?p ?o }"), "", "", "text/csv")
	if a.code != http.StatusOK || strings.Contains(a.body, "HasExternalID") || !strings.Contains(a.body, "http://ex/knows") {
		t.Fatalf("status %d, body %q: want the data's predicates and no HasExternalID", a.code, a.body)
	}
}

func TestSPARQLErrors(t *testing.T) {
	f := newFakeSPARQL(t, sparqlTestData)
	big := strings.Repeat("#", wire.MaxRequestBytes+1)
	for _, c := range []struct {
		name                       string
		method, query, ctype, body string
		accept                     string
		wantCode                   int
		wantText                   string
	}{
		{"syntax", "GET", form("query", "SELECT * WHERE { ?s ?p }"), "", "", "", 400, "line 1, column 24"},
		{"no query", "POST", "", "application/x-www-form-urlencoded", "timeout=5s", "", 400, "no query"},
		{"two queries", "GET", "query=ASK{}&query=ASK{}", "", "", "", 400, "exactly one"},
		{"update by GET", "GET", form("update", "CLEAR ALL"), "", "", "", 405, "POST"},
		{"PUT", "PUT", "", "", "", "", 405, "PUT"},
		{"media type", "POST", "", "text/plain", "ASK {}", "", 415, "Content-Type"},
		{"too large", "POST", "", "application/sparql-query", big, "", 413, "limit"},
		{"not acceptable", "GET", form("query", countQuery), "", "", "image/png", 406, "image/png"},
		{"graph not acceptable", "GET", form("query", "CONSTRUCT WHERE { ?s ?p ?o }"), "", "", "application/sparql-results+json", 406, "graph"},
		{"default-graph-uri", "GET", form("query", countQuery) + "&default-graph-uri=http://g", "", "", "", 400, "not supported"},
		{"FROM", "GET", form("query", "SELECT * FROM <http://g> WHERE { ?s ?p ?o }"), "", "", "", 400, "not supported"},
		{"GRAPH", "GET", form("query", "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"), "", "", "", 400, "not supported"},
		{"SERVICE", "GET", form("query", "SELECT * WHERE { SERVICE <http://x> { ?s ?p ?o } }"), "", "", "", 400, "not supported"},
		{"index beyond", "GET", form("query", countQuery) + "&index=999999", "", "", "", 400, "beyond"},
		{"bad index", "GET", form("query", countQuery) + "&index=x", "", "", "", 400, "index"},
		{"bad timeout", "GET", form("query", countQuery) + "&timeout=soon", "", "", "", 400, "timeout"},
		{"bad consistency", "GET", form("query", countQuery) + "&consistency=eventual", "", "", "", 400, "consistency"},
	} {
		a := f.do(t, c.method, c.query, c.ctype, c.body, c.accept)
		if a.code != c.wantCode || !strings.Contains(a.body, c.wantText) {
			t.Errorf("%s: status %d, body %q; want %d containing %q", c.name, a.code, a.body, c.wantCode, c.wantText)
		}
		if a.code != 200 && !strings.HasPrefix(a.head.Get("Content-Type"), "text/plain") {
			t.Errorf("%s: error Content-Type %q, want text/plain", c.name, a.head.Get("Content-Type"))
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d transactions applied by rejected requests", n)
	}
}

func TestSPARQLPreflight(t *testing.T) {
	f := newFakeSPARQL(t, sparqlTestData)
	a := f.do(t, "OPTIONS", "", "", "", "")
	if a.code != http.StatusNoContent || !strings.Contains(a.head.Get("Access-Control-Allow-Methods"), "POST") ||
		a.head.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(a.head.Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Fatalf("OPTIONS: %d %v", a.code, a.head)
	}
}

func TestSPARQLReadsAtIndex(t *testing.T) {
	f := newFakeSPARQL(t, sparqlTestData)
	before := f.views.Index()
	f.views.Insert("<http://ex/carol> <http://ex/knows> <http://ex/bob>\n")
	a := f.do(t, "GET", form("query", countQuery)+fmt.Sprintf("&index=%d", before), "", "", "text/csv")
	if a.code != 200 || a.body != "n\r\n2\r\n" || a.head.Get(LogIndexHeader) != fmt.Sprint(before) {
		t.Fatalf("at index %d: %d %q %v; want 2 rows", before, a.code, a.body, a.head)
	}
	a = f.do(t, "GET", form("query", countQuery), "", "", "text/csv")
	if a.body != "n\r\n3\r\n" {
		t.Fatalf("at the last index: %q, want 3", a.body)
	}
}

// countingViews fails every lookup after the first ok ones.
type countingViews struct {
	*enginetest.Views
	ok    int64
	calls atomic.Int64
}

var errViewDown = errors.New("view down")

func (c *countingViews) fail() error {
	if c.calls.Add(1) > c.ok {
		return errViewDown
	}
	return nil
}

func (c *countingViews) LookupSP(ctx context.Context, index uint64, l []viewclient.SP, emit viewclient.Emit) error {
	if err := c.fail(); err != nil {
		return err
	}
	return c.Views.LookupSP(ctx, index, l, emit)
}

func (c *countingViews) LookupPO(ctx context.Context, index uint64, l []viewclient.PO, emit viewclient.Emit) error {
	if err := c.fail(); err != nil {
		return err
	}
	return c.Views.LookupPO(ctx, index, l, emit)
}

func (c *countingViews) LookupP(ctx context.Context, index uint64, p []uint64, emit viewclient.Emit) error {
	if err := c.fail(); err != nil {
		return err
	}
	return c.Views.LookupP(ctx, index, p, emit)
}

func TestSPARQLFailureIsNeverAnAnswer(t *testing.T) {
	var data strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&data, "<http://ex/s%d> <http://ex/p> \"a value long enough to fill the buffers quickly %d\" .\n", i, i)
	}
	f := newFakeSPARQL(t, data.String())
	q := form("query", `SELECT ?s ?o WHERE { ?s <http://ex/p> ?o . ?s <http://ex/p> ?o2 }`)

	// Failing before the answer starts: a 503 naming the cause.
	cv := &countingViews{Views: f.views, ok: 0}
	f.ep.views = func() engine.Views { return cv }
	a := f.do(t, "GET", q, "", "", "text/csv")
	if a.code != http.StatusServiceUnavailable || !strings.Contains(a.body, "view down") {
		t.Fatalf("failing at once: %d %q; want 503 naming the cause", a.code, a.body)
	}

	// Failing at the last lookup, after rows went out: the transfer
	// breaks. (A full answer counts the lookups.)
	cv = &countingViews{Views: f.views, ok: math.MaxInt64}
	f.ep.views = func() engine.Views { return cv }
	if a := f.do(t, "GET", q, "", "", "text/csv"); a.code != http.StatusOK {
		t.Fatalf("not failing: %d %q", a.code, a.body)
	}
	cv = &countingViews{Views: f.views, ok: cv.calls.Load() - 1}
	f.ep.views = func() engine.Views { return cv }
	resp, err := f.srv.Client().Get(f.srv.URL + "/sparql?" + q)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || err == nil {
		t.Fatalf("failing part-way: status %d, %d bytes read, read error %v after %d lookups; want 200 and a broken transfer", resp.StatusCode, len(body), err, cv.calls.Load())
	}
}

func TestSPARQLUpdate(t *testing.T) {
	f := newFakeSPARQL(t, sparqlTestData)
	a := f.do(t, "POST", "", "application/sparql-update",
		`PREFIX ex: <http://ex/> INSERT DATA { ex:carol ex:knows ex:alice , _:n . _:n ex:name "N" }`, "")
	if a.code != 200 || !strings.Contains(a.body, "inserted 3 facts") || a.head.Get(LogIndexHeader) == "" {
		t.Fatalf("INSERT DATA: %d %q %v", a.code, a.body, a.head)
	}
	reqs := f.requests()
	if len(reqs) != 1 || len(reqs[0].Insert.Facts) != 3 {
		t.Fatalf("applied %+v, want one transaction of 3 facts", reqs)
	}
	blanks := 0
	for _, q := range reqs[0].Insert.Facts {
		if _, ok := q.Object.(*parser.BlankNode); ok {
			blanks++
		}
		if _, ok := q.Subject.(*parser.BlankNode); ok {
			blanks++
		}
	}
	if blanks != 2 {
		t.Errorf("the new blank node appears %d times as a BlankNode, want 2", blanks)
	}

	// A blank node from the graph is written back as its entity.
	a = f.do(t, "POST", "", "application/x-www-form-urlencoded",
		form("update", `DELETE { ?c <http://ex/knows> ?x } INSERT { ?c <http://ex/likes> ?x } WHERE { ?c <http://ex/knows> ?x FILTER(isBlank(?c)) }`), "")
	if a.code != 200 {
		t.Fatalf("DELETE/INSERT WHERE: %d %q", a.code, a.body)
	}
	reqs = f.requests()
	last := reqs[len(reqs)-1]
	if len(last.Delete.Facts) != 1 || len(last.Insert.Facts) != 1 {
		t.Fatalf("DELETE/INSERT WHERE applied %d deletions and %d insertions, want 1 and 1", len(last.Delete.Facts), len(last.Insert.Facts))
	}
	if _, ok := last.Delete.Facts[0].Subject.(*parser.KID); !ok {
		t.Errorf("the graph's blank node became %T, want its KID", last.Delete.Facts[0].Subject)
	}
	if e, ok := last.Insert.Facts[0].Predicate.(*parser.Entity); !ok || e.Name != "http://ex/likes" {
		t.Errorf("new predicate became %#v, want the entity http://ex/likes", last.Insert.Facts[0].Predicate)
	}
}

func TestSPARQLRejectedUpdateAppliesNothing(t *testing.T) {
	f := newFakeSPARQL(t, sparqlTestData)
	for _, c := range []struct{ update, want string }{
		{`INSERT DATA { <http://ex/a> <http://ex/b> <http://ex/c> } ; INSERT DATA { GRAPH <http://g> { <http://ex/a> <http://ex/b> <http://ex/c> } }`, "not supported"},
		{`INSERT DATA { <http://ex/a> <http://ex/b> }`, "line 1"},
		{`INSERT DATA { <HasExternalID> <http://ex/b> "x" }`, "internal"},
		{`LOAD <http://example.org/data.nt>`, "file:"},
		{`LOAD <file:///nonexistent/data.nt>`, "no such file"},
	} {
		a := f.do(t, "POST", "", "application/sparql-update", c.update, "")
		if a.code != 400 || !strings.Contains(a.body, c.want) {
			t.Errorf("%s: %d %q; want 400 containing %q", c.update, a.code, a.body, c.want)
		}
	}
	for _, param := range []string{"index=1", "consistency=recent"} {
		if a := f.do(t, "POST", param, "application/sparql-update", "CLEAR ALL", ""); a.code != 400 {
			t.Errorf("update with %s: %d %q, want 400", param, a.code, a.body)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Fatalf("%d transactions applied by rejected updates", n)
	}
}

func TestSPARQLLoadAndClear(t *testing.T) {
	f := newFakeSPARQL(t, sparqlTestData)
	dir := t.TempDir()
	nt := filepath.Join(dir, "d.nt")
	ttl := filepath.Join(dir, "d.ttl")
	os.WriteFile(nt, []byte("<http://ex/x> <http://ex/y> _:b .\n_:b <http://ex/y> \"z\" .\n"), 0o644)
	os.WriteFile(ttl, []byte("@prefix ex: <http://ex/> . ex:x ex:y 1 , 2 .\n"), 0o644)
	a := f.do(t, "POST", "", "application/sparql-update", fmt.Sprintf("LOAD <file://%s> ; LOAD <file://%s>", nt, ttl), "")
	if a.code != 200 || !strings.Contains(a.body, "inserted 4 facts") {
		t.Fatalf("LOAD: %d %q", a.code, a.body)
	}
	a = f.do(t, "POST", "", "application/sparql-update", "CLEAR DEFAULT", "")
	reqs := f.requests()
	if a.code != 200 || len(reqs) != 2 || len(reqs[1].Delete.Facts) != 9 {
		t.Fatalf("CLEAR DEFAULT: %d %q, want 9 deletions (5 + 4 loaded)", a.code, a.body)
	}
}

// slowViews answers each LookupP after a delay.
type slowViews struct {
	*enginetest.Views
	delay time.Duration
}

func (s slowViews) LookupP(ctx context.Context, index uint64, p []uint64, emit viewclient.Emit) error {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Views.LookupP(ctx, index, p, emit)
}

// A query may run longer than the server's HTTP read timeout, which
// bounds only receiving the request (net/http clears the read deadline
// once the body is read).
func TestSPARQLOutlivesReadTimeout(t *testing.T) {
	f := newFakeSPARQL(t, sparqlTestData)
	f.ep.views = func() engine.Views { return slowViews{f.views, 600 * time.Millisecond} }
	srv := httptest.NewUnstartedServer(f.ep)
	srv.Config = newHTTPServer(f.ep, Config{HTTPReadTimeout: 200 * time.Millisecond})
	srv.Start()
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/sparql?" + form("query", countQuery))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 || !strings.Contains(string(body), "2") {
		t.Fatalf("status %d, body %q, error %v; want the count", resp.StatusCode, body, err)
	}
}

// An update whose WHERE changes between its evaluation and its
// transaction is evaluated again: the change applied is the one of the
// graph it lands on.
func TestSPARQLUpdateEvaluatedAgainWhenStale(t *testing.T) {
	f := newFakeSPARQL(t, sparqlTestData)
	f.beforeApply = func() {
		f.beforeApply = nil
		f.views.Insert("<http://ex/dan> <http://ex/knows> <http://ex/bob>\n")
	}
	a := f.do(t, "POST", "", "application/sparql-update",
		`INSERT { ?x <http://ex/tagged> "y" } WHERE { ?x <http://ex/knows> ?y . FILTER(isIRI(?x)) }`, "")
	if a.code != 200 {
		t.Fatalf("%d %q", a.code, a.body)
	}
	reqs := f.requests()
	if len(reqs) != 1 || len(reqs[0].Insert.Facts) != 2 {
		t.Fatalf("applied %d transactions, the last of %d facts; want one of 2 (alice and the new dan)", len(reqs), len(reqs[len(reqs)-1].Insert.Facts))
	}
}

// TestSPARQLExplain: explain=true answers the plan as text, with each
// pattern's estimate, and runs nothing; it is refused with an update.
func TestSPARQLExplain(t *testing.T) {
	f := newFakeSPARQL(t, sparqlTestData)
	q := "SELECT ?n WHERE { ?p <http://ex/name> ?n . ?p <http://ex/age> 42 }"
	a := f.do(t, "GET", form("query", q)+"&explain=true", "", "", "")
	if a.code != 200 || !strings.HasPrefix(a.head.Get("Content-Type"), "text/plain") {
		t.Fatalf("explain: %d %s: %s", a.code, a.head.Get("Content-Type"), a.body)
	}
	if !strings.Contains(a.body, "bgp") || !strings.Contains(a.body, "~") || a.head.Get(LogIndexHeader) == "" {
		t.Errorf("explain answered:\n%s\nwant a bgp with estimates and the log index header", a.body)
	}
	if strings.Contains(a.body, "Alice") {
		t.Errorf("explain ran the query:\n%s", a.body)
	}
	bad := f.do(t, "POST", "explain=true", "application/sparql-update", `INSERT DATA { <http://ex/a> <http://ex/b> "c" }`, "")
	if bad.code != 400 || len(f.requests()) != 0 {
		t.Errorf("explain with an update: %d %q, %d transactions; want 400 and none", bad.code, bad.body, len(f.requests()))
	}
}

// TestSPARQLServiceDescription: GET /sparql without a query answers a
// SPARQL 1.1 Service Description in Turtle that names the endpoint.
func TestSPARQLServiceDescription(t *testing.T) {
	f := newFakeSPARQL(t, sparqlTestData)
	a := f.do(t, "GET", "", "", "", "")
	if a.code != 200 || !strings.HasPrefix(a.head.Get("Content-Type"), "text/turtle") {
		t.Fatalf("GET /sparql: %d %s: %s", a.code, a.head.Get("Content-Type"), a.body)
	}
	triples, err := rdf.ReadAll(rdf.NewTurtleReader(strings.NewReader(a.body), f.srv.URL+"/sparql"))
	if err != nil {
		t.Fatalf("the service description is not Turtle: %v\n%s", err, a.body)
	}
	found := false
	for _, tr := range triples {
		if tr.P.Value == "http://www.w3.org/ns/sparql-service-description#endpoint" && tr.O.Value == f.srv.URL+"/sparql" {
			found = true
		}
	}
	if !found {
		t.Errorf("no sd:endpoint <%s/sparql> in:\n%s", f.srv.URL, a.body)
	}
	if got := serviceDescription("/x"); strings.Contains(got, "Federated") {
		t.Errorf("the description claims SERVICE, which is not supported:\n%s", got)
	}
}
