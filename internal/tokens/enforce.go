package tokens

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Policy names the role each request needs: by full gRPC method name
// ("/akutan.wire.API/Insert") or by HTTP request. A policy should answer
// Admin for what it does not know.
type (
	MethodPolicy  func(fullMethod string) Role
	RequestPolicy func(r *http.Request) Role
)

// grpcCheck authorizes the gRPC call in ctx.
func (s *Store) grpcCheck(ctx context.Context, method string, policy MethodPolicy) (context.Context, error) {
	var auth string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("authorization"); len(v) > 0 {
			auth = v[0]
		}
	}
	id, err := s.Check(auth, policy(method))
	if err != nil {
		s.log.Info().Str("method", method).Str("token", id.Name).Err(err).Msg("refused a request")
		return ctx, GRPCError(err)
	}
	return WithIdentity(ctx, id), nil
}

// GRPCError is err as a gRPC status: Unauthenticated or PermissionDenied.
func GRPCError(err error) error {
	if errors.Is(err, ErrPermissionDenied) {
		return status.Error(codes.PermissionDenied, err.Error())
	}
	return status.Error(codes.Unauthenticated, err.Error())
}

// UnaryInterceptor refuses unary calls the policy does not allow.
func (s *Store) UnaryInterceptor(policy MethodPolicy) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := s.grpcCheck(ctx, info.FullMethod, policy)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamInterceptor refuses streaming calls the policy does not allow.
func (s *Store) StreamInterceptor(policy MethodPolicy) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := s.grpcCheck(ss.Context(), info.FullMethod, policy)
		if err != nil {
			return err
		}
		return handler(srv, &identityStream{ServerStream: ss, ctx: ctx})
	}
}

type identityStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *identityStream) Context() context.Context { return s.ctx }

// Handler refuses HTTP requests the policy does not allow, with 401 (and
// WWW-Authenticate: Bearer) or 403 and a text/plain reason.
func (s *Store) Handler(policy RequestPolicy, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := s.Check(r.Header.Get("Authorization"), policy(r))
		if err != nil {
			s.log.Info().Str("path", r.URL.Path).Str("token", id.Name).Err(err).Msg("refused a request")
			WriteHTTPError(w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
	})
}

// WriteHTTPError answers err with 401 or 403.
func WriteHTTPError(w http.ResponseWriter, err error) {
	code := http.StatusUnauthorized
	if errors.Is(err, ErrPermissionDenied) {
		code = http.StatusForbidden
	} else {
		w.Header().Set("WWW-Authenticate", `Bearer realm="akutan"`)
	}
	http.Error(w, err.Error(), code)
}

// Allowed reports whether the identity in ctx (set by Handler or the
// interceptors) has role need, for a handler that learns only from the
// request's body what it needs (a SPARQL update). Without a Store in
// front (no identity in ctx) everything is allowed.
func Allowed(ctx context.Context, need Role) error {
	id, ok := FromContext(ctx)
	if !ok || id.Role >= need {
		return nil
	}
	return deniedError(need, id)
}

func deniedError(need Role, id Identity) error {
	return fmt.Errorf("%w: this needs the %s role; the token%s has the %s role", ErrPermissionDenied, need, named(id.Name), id.Role)
}
