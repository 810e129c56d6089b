package apiserver

import (
	"net/http/httptest"
	"testing"

	"github.com/akutan-dev/akutan/internal/tokens"
	"github.com/akutan-dev/akutan/wire"
)

func TestRoles(t *testing.T) {
	grpcCases := map[string]tokens.Role{
		wire.API_Query_FullMethodName:          tokens.Read,
		wire.Status_Status_FullMethodName:      tokens.Read,
		wire.API_Insert_FullMethodName:         tokens.Write,
		wire.API_Delete_FullMethodName:         tokens.Write,
		wire.API_Update_FullMethodName:         tokens.Write,
		wire.Status_ForgetLost_FullMethodName:  tokens.Admin,
		"/akutan.wire.API/SomethingAddedLater": tokens.Admin,
	}
	for m, want := range grpcCases {
		if got := grpcRole(m); got != want {
			t.Errorf("grpcRole(%s) = %s, want %s", m, got, want)
		}
	}
	httpCases := []struct {
		method, path string
		want         tokens.Role
	}{
		{"GET", "/healthz", tokens.None},
		{"GET", "/metrics", tokens.None},
		{"OPTIONS", "/sparql", tokens.None},
		{"GET", "/sparql", tokens.Read},
		{"POST", "/sparql", tokens.Read}, // an update checks write itself
		{"POST", "/v1/query", tokens.Read},
		{"GET", "/v1/status", tokens.Read},
		{"GET", "/v1/floors", tokens.Read},
		{"GET", "/", tokens.None},
		{"GET", "/console/app.js", tokens.None},
		{"POST", "/", tokens.Admin},
		{"GET", "/v1/export", tokens.Read},
		{"GET", "/v1/changes", tokens.Read},
		{"POST", "/v1/insert", tokens.Write},
		{"POST", "/v1/delete", tokens.Write},
		{"POST", "/v1/update", tokens.Write},
		{"GET", "/v1/insert", tokens.Admin},
		{"POST", "/v1/new", tokens.Admin},
	}
	for _, c := range httpCases {
		if got := httpRole(httptest.NewRequest(c.method, c.path, nil)); got != c.want {
			t.Errorf("httpRole(%s %s) = %s, want %s", c.method, c.path, got, c.want)
		}
	}
}
