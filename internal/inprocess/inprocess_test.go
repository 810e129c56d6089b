package inprocess

import (
	"context"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

func TestCallsReachTheServerUntilItStops(t *testing.T) {
	var stopping atomic.Bool
	ch := NewChannel(stopping.Load, "server is stopping")
	srv := health.NewServer()
	srv.SetServingStatus("svc", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(ch, srv)
	client := healthpb.NewHealthClient(ch)

	reply, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{Service: "svc"})
	if err != nil {
		t.Fatal(err)
	}
	if reply.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("status %v, want SERVING", reply.Status)
	}
	if _, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{Service: "other"}); status.Code(err) != codes.NotFound {
		t.Fatalf("unknown service: %v, want the server's NotFound", err)
	}

	stopping.Store(true)
	_, err = client.Check(context.Background(), &healthpb.HealthCheckRequest{Service: "svc"})
	if status.Code(err) != codes.Unavailable || status.Convert(err).Message() != "server is stopping" {
		t.Fatalf("call to a stopping server: %v, want Unavailable: server is stopping", err)
	}
	st, err := client.Watch(context.Background(), &healthpb.HealthCheckRequest{Service: "svc"})
	if err == nil {
		_, err = st.Recv() // a stream may fail on its first receive
	}
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("stream to a stopping server: %v, want Unavailable", err)
	}
}

func TestCloner(t *testing.T) {
	c := cloner{}
	c.copied = copiedTypes(&healthpb.HealthCheckRequest{})

	shared := &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}
	got, err := c.Clone(shared)
	if err != nil || got != any(shared) {
		t.Fatalf("Clone of a shared message = %p, %v; want the message itself", got, err)
	}
	var out healthpb.HealthCheckResponse
	if err := c.Copy(&out, shared); err != nil || out.Status != shared.Status {
		t.Fatalf("Copy of a shared message gave %v, %v", out.Status, err)
	}
	if err := c.Copy(&healthpb.HealthCheckRequest{}, shared); err == nil {
		t.Fatal("Copy into another type succeeded")
	}

	req := &healthpb.HealthCheckRequest{Service: "svc"}
	got, err = c.Clone(req)
	if err != nil {
		t.Fatal(err)
	}
	if got == any(req) || !proto.Equal(got.(proto.Message), req) {
		t.Fatalf("Clone of a copied message = %v (same: %v), want an equal copy", got, got == any(req))
	}
	var outReq healthpb.HealthCheckRequest
	if err := c.Copy(&outReq, req); err != nil || outReq.Service != "svc" {
		t.Fatalf("Copy of a copied message gave %q, %v", outReq.Service, err)
	}
}
