// Package inprocess serves a server's gRPC services to callers in the
// same process without a connection: `akutan local` runs every role in
// one process, and over loopback gRPC a small query spent more time in
// system calls, HTTP/2 framing, serialization and goroutine hand-offs
// than in the servers. It wraps grpchan's inprocgrpc.Channel (the same
// handlers, contexts, deadlines and status errors as over the network)
// with what the roles need around it:
//
//   - A stopping server refuses new calls with codes.Unavailable, as its
//     closed listener would, so that clients fail over the same way.
//   - Messages are handed over without copying (inprocgrpc copies every
//     message with proto.Merge, which cost 15% of a join's CPU): each
//     side must leave a message alone once it has sent it, which our
//     servers and clients do (they build a new message for each send).
//     The messages named to NewChannel as copied are still copied: an
//     append's entries belong to its caller, and a hedged attempt may
//     still be queued on another replica when the call returns.
package inprocess

import (
	"context"
	"fmt"
	"reflect"

	"github.com/fullstorydev/grpchan/inprocgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// NewChannel returns a channel on which to register services (it is a
// grpc.ServiceRegistrar and a grpc.ClientConnInterface). While stopping
// returns true, calls fail with codes.Unavailable and the message why.
// Messages of the types of copied are copied; all others are shared.
func NewChannel(stopping func() bool, why string, copied ...proto.Message) *inprocgrpc.Channel {
	refuse := status.Error(codes.Unavailable, why)
	return (&inprocgrpc.Channel{}).
		WithCloner(cloner{copied: copiedTypes(copied...)}).
		WithServerUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if stopping() {
				return nil, refuse
			}
			return h(ctx, req)
		}).
		WithServerStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if stopping() {
				return refuse
			}
			return h(srv, ss)
		})
}

func copiedTypes(copied ...proto.Message) map[reflect.Type]bool {
	types := map[reflect.Type]bool{}
	for _, m := range copied {
		types[reflect.TypeOf(m)] = true
	}
	return types
}

// cloner shares messages, except those of the copied types.
type cloner struct {
	copied map[reflect.Type]bool
}

// Copy makes out hold what in holds: its fields, or a deep copy of them.
func (c cloner) Copy(out, in any) error {
	if c.copied[reflect.TypeOf(in)] {
		return inprocgrpc.ProtoCloner{}.Copy(out, in)
	}
	o, i := reflect.ValueOf(out), reflect.ValueOf(in)
	if o.Kind() != reflect.Pointer || o.Type() != i.Type() || o.IsNil() || i.IsNil() {
		return fmt.Errorf("in-process call: cannot copy a %T into a %T", in, out)
	}
	o.Elem().Set(i.Elem())
	return nil
}

// Clone returns in itself, or a deep copy of it.
func (c cloner) Clone(in any) (any, error) {
	if c.copied[reflect.TypeOf(in)] {
		return inprocgrpc.ProtoCloner{}.Clone(in)
	}
	return in, nil
}
