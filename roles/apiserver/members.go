package apiserver

import (
	"net/http"

	"github.com/akutan-dev/akutan/gossip"
)

// MembersResponse is the body of GET /v1/members: every live gossip member
// this API server knows, itself included, with what it advertises. Tools
// that cannot join gossip themselves (such as `akutan ctl verify`) find
// the views through it.
type MembersResponse struct {
	Members []Member `json:"members"`
}

// Member is one gossip member.
type Member struct {
	Name string      `json:"name"`
	Addr string      `json:"addr"` // gossip host:port
	Meta gossip.Meta `json:"meta"`
}

func (s *Server) handleMembers(w http.ResponseWriter, _ *http.Request) {
	var out MembersResponse
	for _, m := range s.Members() {
		out.Members = append(out.Members, Member{Name: m.Name, Addr: m.Addr, Meta: m.Meta})
	}
	writeJSON(w, http.StatusOK, out)
}

// Members returns the live gossip members this API server knows, itself
// included.
func (s *Server) Members() []gossip.Member { return s.gossip.Members() }
