package apiserver

import (
	"net/http"
	"strings"

	"google.golang.org/grpc"

	"github.com/akutan-dev/akutan/internal/tokens"
	"github.com/akutan-dev/akutan/wire"
)

// The role each request needs when the server has a tokens file
// (Config.Tokens; see internal/tokens and docs/security.md): read for what
// only reads (queries, SPARQL queries, status, members, export, the change
// feed, the log floors), write for what changes the graph (insert, delete,
// update, SPARQL update), admin for everything else (forgetting a lost
// server, and any method added later until it is classified here).
// /healthz, /metrics, the web console's static files (/ and /console/...;
// the page sends the user's token with its own requests) and the CORS
// preflight of /sparql stay open: they read nothing.

// grpcRole is the role a gRPC method of the API server needs.
func grpcRole(method string) tokens.Role {
	switch method {
	case wire.API_Query_FullMethodName, wire.Status_Status_FullMethodName, wire.Status_GossipMembers_FullMethodName:
		return tokens.Read
	case wire.API_Insert_FullMethodName, wire.API_Delete_FullMethodName, wire.API_Update_FullMethodName:
		return tokens.Write
	}
	return tokens.Admin
}

// httpRole is the role an HTTP request needs. A SPARQL update is told from
// a query only by its body, so /sparql needs read here and the update
// path checks write itself (tokens.Allowed in serveUpdate).
func httpRole(r *http.Request) tokens.Role {
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case r.URL.Path == "/healthz" || r.URL.Path == "/metrics":
		return tokens.None
	case get && (r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, "/console/")):
		return tokens.None // the console's static files; it sends the user's token itself
	case r.URL.Path == "/sparql" && r.Method == http.MethodOptions:
		return tokens.None
	case r.URL.Path == "/sparql":
		return tokens.Read
	case r.Method == http.MethodPost && r.URL.Path == "/v1/query":
		return tokens.Read
	case get && (r.URL.Path == "/v1/export" || r.URL.Path == "/v1/changes" || r.URL.Path == "/v1/members" || r.URL.Path == "/v1/status" || r.URL.Path == "/v1/floors"):
		return tokens.Read
	case r.Method == http.MethodPost && (r.URL.Path == "/v1/insert" || r.URL.Path == "/v1/delete" || r.URL.Path == "/v1/update"):
		return tokens.Write
	}
	return tokens.Admin
}

// authOptions are the gRPC interceptors enforcing grpcRole, or none
// without a tokens file.
func (s *Server) authOptions() []grpc.ServerOption {
	if s.cfg.Tokens == nil {
		return nil
	}
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(s.cfg.Tokens.UnaryInterceptor(grpcRole)),
		grpc.ChainStreamInterceptor(s.cfg.Tokens.StreamInterceptor(grpcRole)),
	}
}

// authHandler is h behind httpRole, or h without a tokens file.
func (s *Server) authHandler(h http.Handler) http.Handler {
	if s.cfg.Tokens == nil {
		return h
	}
	return s.cfg.Tokens.Handler(httpRole, h)
}
