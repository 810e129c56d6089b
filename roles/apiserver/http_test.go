package apiserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/akutan-dev/akutan/wire"
)

// decoded is what decodeBody made of one request.
type decoded struct {
	code int    // the status written, 0 if none
	json bool   // decoded as JSON into query
	raw  string // handed over as text
	req  QueryRequest
	body string // the response
}

func decode(t *testing.T, contentType, body string) decoded {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/v1/query", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	var d decoded
	rawCalled := false
	if decodeBody(w, r, &d.req, func(text string) { d.raw, rawCalled = text, true }) {
		d.json = !rawCalled
		return d
	}
	d.code, d.body = w.Code, w.Body.String()
	return d
}

func TestContentTypeIsMatchedByMediaType(t *testing.T) {
	const body = `{"query": "SELECT * WHERE { ?s ?p ?o }"}`
	for _, ct := range []string{"application/json", "Application/JSON", "application/json; charset=utf-8", "APPLICATION/JSON;CHARSET=UTF-8"} {
		if d := decode(t, ct, body); !d.json || d.req.Query != "SELECT * WHERE { ?s ?p ?o }" {
			t.Errorf("Content-Type %q: %+v; want the body decoded as JSON", ct, d)
		}
	}
	for _, ct := range []string{"application/jsonx", "text/plain"} {
		if d := decode(t, ct, body); d.json || d.raw != body {
			t.Errorf("Content-Type %q: %+v; want the body taken as text", ct, d)
		}
	}
	// No Content-Type, or curl -d's default: the body tells. A JSON object
	// is JSON; anything else is text.
	for _, ct := range []string{"", "application/x-www-form-urlencoded"} {
		if d := decode(t, ct, "\n  "+body); !d.json || d.req.Query != "SELECT * WHERE { ?s ?p ?o }" {
			t.Errorf("Content-Type %q, a JSON object: %+v; want the body decoded as JSON", ct, d)
		}
		const text = "SELECT * WHERE { ?s ?p ?o }"
		if d := decode(t, ct, text); d.json || d.raw != text {
			t.Errorf("Content-Type %q, text: %+v; want the body taken as text", ct, d)
		}
	}
	for ct, want := range map[string]string{
		"application/json; charset=latin1": "must be UTF-8",
		"application/json; =x":             "Content-Type",
		"/json":                            "Content-Type",
	} {
		if d := decode(t, ct, body); d.code != http.StatusBadRequest || !strings.Contains(d.body, want) {
			t.Errorf("Content-Type %q: %+v; want 400 saying %q", ct, d, want)
		}
	}
}

func TestInvalidUTF8IsRefused(t *testing.T) {
	cases := []struct{ contentType, body, want string }{
		{"application/json", "{\"query\": \"SELECT \xff\"}", "not valid UTF-8: byte 18 is 0xff"},
		{"application/json", `{"query": "a \ud800 b"}`, `\uD800 at byte 13 is half of a UTF-16 surrogate pair`},
		{"application/json", `{"query": "a \udc00"}`, `\uDC00 at byte 13`},
		{"application/json", `{"query": "\ud83d\ud83d"}`, `\uD83D at byte 11`},
		{"", "<a> <b> \"\xc3\x28\"\n", "not valid UTF-8: byte 9 is 0xc3"},
		{"text/turtle", "<a> <b> <c\xfe> .\n", "not valid UTF-8: byte 10 is 0xfe"},
	}
	for _, c := range cases {
		if d := decode(t, c.contentType, c.body); d.code != http.StatusBadRequest || !strings.Contains(d.body, c.want) {
			t.Errorf("body %q: %+v; want 400 saying %q", c.body, d, c.want)
		}
	}
	// Valid escapes pass: a surrogate pair, and an escaped backslash
	// before a u.
	for body, want := range map[string]string{
		`{"query": "\ud83d\ude00"}`: "\U0001F600",
		`{"query": "\\ud800"}`:      `\ud800`,
		`{"query": "é\u00e9"}`:      "éé",
	} {
		if d := decode(t, "application/json", body); !d.json || d.req.Query != want {
			t.Errorf("body %s: %+v; want query %q", body, d, want)
		}
	}
}

// TestGRPCRefusesInvalidUTF8 checks that a gRPC request cannot carry
// invalid UTF-8 into a string field: the protobuf runtime refuses to
// decode it, so the server never sees it.
func TestGRPCRefusesInvalidUTF8(t *testing.T) {
	b := protowire.AppendTag(nil, 2, protowire.BytesType) // InsertRequest.data
	b = protowire.AppendBytes(b, []byte("<a> <b> \"\xff\"\n"))
	if err := proto.Unmarshal(b, &wire.InsertRequest{}); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Fatalf("decoding an InsertRequest with invalid UTF-8: %v; want an error", err)
	}
}

func TestUnknownConsistencyIsRefused(t *testing.T) {
	s := &Server{metrics: newMetrics(prometheus.NewRegistry())}
	p := QueryParams{Text: "SELECT * WHERE { ?s ?p ?o }", Consistency: 99}
	err := s.QueryStream(context.Background(), p, nil)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("consistency 99: %v; want ErrInvalid", err)
	}
	st := status.Convert(grpcError(err))
	if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "consistency 99 is not a known value") {
		t.Fatalf("consistency 99 over gRPC: %v %q; want InvalidArgument naming the field and value", st.Code(), st.Message())
	}
}

// TestHTTPCutsOffSlowBody checks that a client sending half a body and
// then nothing loses its connection once the read timeout passes, instead
// of holding it (and a server goroutine) forever.
func TestHTTPCutsOffSlowBody(t *testing.T) {
	s := &Server{cfg: Config{Registry: prometheus.NewRegistry()}}
	srv := newHTTPServer(s.httpHandler(), Config{HTTPReadTimeout: 200 * time.Millisecond})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	t.Cleanup(func() {
		_ = srv.Close()
		<-served
	})

	conn, err := net.Dial("tcp", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	half := `{"query": "SELECT`
	fmt.Fprintf(conn, "POST /v1/query HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		2*len(half), half)
	// The test's own bound, far beyond the server's: reaching it means the
	// server kept the connection.
	if err := conn.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the server still holds the connection of a client that stopped sending its body")
		}
		return // the server closed the connection: cut off
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a half-sent body was answered %s, want 400", resp.Status)
	}
}

// TestConsoleShadowsNothing checks that the web console at / leaves every
// other path to its handler, and unknown paths 404.
func TestConsoleShadowsNothing(t *testing.T) {
	s := &Server{cfg: Config{Registry: prometheus.NewRegistry()}}
	h := s.httpHandler()
	for _, c := range []struct {
		method, path string
		want         int
		body         string
	}{
		{"GET", "/", http.StatusOK, "<html"},
		{"HEAD", "/", http.StatusOK, ""},
		{"GET", "/console/app.js", http.StatusOK, "import"},
		{"GET", "/healthz", http.StatusOK, `"ok"`},
		{"GET", "/nope", http.StatusNotFound, ""},
		{"GET", "/v1/nope", http.StatusNotFound, ""},
		{"GET", "/console/nope.js", http.StatusNotFound, ""},
		{"POST", "/", http.StatusMethodNotAllowed, ""},
		{"GET", "/v1/query", http.StatusMethodNotAllowed, ""},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(c.method, c.path, nil))
		if w.Code != c.want || !strings.Contains(w.Body.String(), c.body) {
			t.Errorf("%s %s: %d %.80q; want %d with %q", c.method, c.path, w.Code, w.Body.String(), c.want, c.body)
		}
	}
}
