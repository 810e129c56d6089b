package members

import (
	"context"
	"encoding/json"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/wire"
)

// Response is the JSON of GET /v1/members and of the Status.GossipMembers
// RPC: every live gossip member an API server knows, itself included,
// with what it advertises.
type Response struct {
	Members []Member `json:"members"`
}

// Member is one gossip member.
type Member struct {
	Name string      `json:"name"`
	Addr string      `json:"addr"` // gossip host:port
	Meta gossip.Meta `json:"meta"`
}

// Fetch asks the API server at addr (its gRPC address) for the gossip
// members it knows. opts come after the defaults (plaintext): e.g. TLS
// credentials and a bearer token.
func Fetch(ctx context.Context, addr string, opts ...grpc.DialOption) ([]Member, error) {
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()), wire.APICallOptions()}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("connecting to API %s: %w", addr, err)
	}
	defer conn.Close()
	reply, err := wire.NewStatusClient(conn).GossipMembers(ctx, &wire.GossipMembersRequest{})
	if err != nil {
		return nil, wire.APIError("asking "+addr+" for the cluster's members", err)
	}
	var out Response
	if err := json.Unmarshal(reply.Json, &out); err != nil {
		return nil, fmt.Errorf("decoding the members from %s: %w", addr, err)
	}
	return out.Members, nil
}
