package boot

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/wire"
)

// AskDigest asks the view at addr for its state digest as of index (0: its
// applied index); `akutan ctl verify` compares replicas with it, and a
// backup checks each range it streamed against it.
// opts come after the defaults (plaintext): e.g. TLS credentials.
func AskDigest(ctx context.Context, addr string, index uint64, opts ...grpc.DialOption) (*wire.DigestReply, error) {
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()), wire.CallOptions()}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("connecting to view %s: %w", addr, err)
	}
	defer conn.Close()
	reply, err := wire.NewViewBootClient(conn).Digest(ctx, &wire.DigestRequest{Index: index})
	if err != nil {
		return nil, wire.APIError(fmt.Sprintf("asking view %s for its digest", addr), err)
	}
	return reply, nil
}
