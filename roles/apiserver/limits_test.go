package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/wire"
)

// unknownLength hides a body's length, as a chunked upload does.
type unknownLength struct{ io.Reader }

// TestHTTPBodyOverTheLimit: a body over wire.MaxRequestBytes gets 413
// naming the limit, whether its Content-Length says so or it is chunked,
// on every route that reads a body. The server is a zero Server: the
// request must be refused before anything would use it.
func TestHTTPBodyOverTheLimit(t *testing.T) {
	s := &Server{}
	body := bytes.Repeat([]byte("x"), wire.MaxRequestBytes+1)
	routes := map[string]http.HandlerFunc{
		"/v1/insert": s.handleInsert, "/v1/query": s.handleQuery,
		"/v1/delete": s.handleChange(s.Delete), "/v1/update": s.handleChange(s.Update),
	}
	for path, h := range routes {
		for _, chunked := range []bool{false, true} {
			var r io.Reader = bytes.NewReader(body)
			if chunked {
				r = unknownLength{r}
			}
			req := httptest.NewRequest(http.MethodPost, path, r)
			if chunked {
				req.ContentLength = -1
			}
			rec := httptest.NewRecorder()
			h(rec, req)
			var reply map[string]string
			_ = json.Unmarshal(rec.Body.Bytes(), &reply)
			if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(reply["error"], fmt.Sprint(wire.MaxRequestBytes)) {
				t.Errorf("%s (chunked %v): %d %q, want 413 naming the limit", path, chunked, rec.Code, reply["error"])
			}
		}
	}
}

// TestGRPCRequestOverTheLimit: an API server refuses a request message
// over wire.MaxRequestBytes with ResourceExhausted naming the limit, and a
// client dialed with wire.APICallOptions refuses to send it at all.
func TestGRPCRequestOverTheLimit(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(wire.APIServerOptions()...)
	wire.RegisterAPIServer(srv, &service{s: &Server{}})
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	big := &wire.InsertRequest{Format: "tsv", Data: strings.Repeat("x", wire.MaxRequestBytes+1)}
	for _, limited := range []bool{false, true} {
		opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
		if limited {
			opts = append(opts, wire.APICallOptions())
		}
		conn, err := grpc.NewClient(lis.Addr().String(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = wire.NewAPIClient(conn).Insert(context.Background(), big)
		conn.Close()
		st, _ := status.FromError(err)
		if st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), fmt.Sprint(wire.MaxRequestBytes)) {
			t.Errorf("client limits %v: Insert = %v, want ResourceExhausted naming %d", limited, err, wire.MaxRequestBytes)
		}
	}
}
