package apiserver

import (
	"context"
	"net/http"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/cluster/members"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/internal/jsontext"
	"github.com/akutan-dev/akutan/wire"
)

// MembersResponse is the body of GET /v1/members: every live gossip member
// this API server knows, itself included, with what it advertises. Tools
// that cannot join gossip themselves (such as `akutan ctl verify`) find
// the views through it, with package members.
type MembersResponse = members.Response

// Member is one gossip member.
type Member = members.Member

func (s *Server) handleMembers(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.membersResponse())
}

// Members returns the live gossip members this API server knows, itself
// included.
func (s *Server) Members() []gossip.Member { return s.gossip.Members() }

// membersResponse lists the live gossip members for GET /v1/members and
// the Status.GossipMembers RPC.
func (s *Server) membersResponse() MembersResponse {
	var out MembersResponse
	for _, m := range s.Members() {
		out.Members = append(out.Members, Member{Name: m.Name, Addr: m.Addr, Meta: m.Meta})
	}
	return out
}

// GossipMembers implements wire.StatusServer.
func (st *statusService) GossipMembers(context.Context, *wire.GossipMembersRequest) (*wire.GossipMembersReply, error) {
	b, err := jsontext.Marshal(st.s.membersResponse())
	if err != nil {
		return nil, status.Errorf(codes.Internal, "encoding members: %v", err)
	}
	return &wire.GossipMembersReply{Json: b}, nil
}
