package health

import (
	"sort"
	"sync"
	"time"

	"github.com/akutan-dev/akutan/gossip"
)

// MaxLost bounds how many lost servers a LostMemory keeps; beyond it the
// oldest are dropped.
const MaxLost = 1000

// Lost is a view or API server that dropped out of gossip without a
// graceful stop (it crashed, was killed, or is cut off), as an API server
// remembers it.
type Lost struct {
	Name    string `json:"name"` // gossip name: role-grpcaddr
	Role    string `json:"role"`
	Cluster string `json:"cluster"`
	DC      string `json:"dc,omitempty"`
	Addr    string `json:"addr"` // gRPC address
	Space   string `json:"space,omitempty"`
	Range   string `json:"range,omitempty"`
	// Since is when gossip gave up on it.
	Since time.Time `json:"since"`
}

// LostMemory remembers the views and API servers that departed gossip
// without a graceful stop, until a server with the same name comes back
// (see Prune) or an operator forgets it (Forget). It is safe for concurrent
// use; the zero value is ready.
type LostMemory struct {
	mu   sync.Mutex
	lost map[string]Lost
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Depart records a member gone from gossip; it is a gossip.Node OnDepart
// callback. Graceful departures and log servers are not recorded, and a
// graceful departure forgets an earlier loss under the same name.
func (l *LostMemory) Depart(m gossip.Member, graceful bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if graceful || (m.Meta.Role != "view" && m.Meta.Role != "api") {
		delete(l.lost, m.Name)
		return
	}
	if l.lost == nil {
		l.lost = make(map[string]Lost)
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	e := Lost{Name: m.Name, Role: m.Meta.Role, Cluster: ClusterOf(m.Meta), DC: m.Meta.DC,
		Addr: m.Meta.GRPCAddr, Since: now().UTC()}
	if m.Meta.Role == "view" {
		e.Space, e.Range = m.Meta.Space, m.Meta.Range().String()
	}
	l.lost[m.Name] = e
	for len(l.lost) > MaxLost {
		oldest := ""
		for name, x := range l.lost {
			if oldest == "" || x.Since.Before(l.lost[oldest].Since) {
				oldest = name
			}
		}
		delete(l.lost, oldest)
	}
}

// Prune forgets the lost servers that came back: a live member has the
// same gossip name, that is the same role and gRPC address (names are
// role-grpcaddr). A replacement at another address is not recognized as
// such (a view of the same space and range may as well be another
// replica): the operator forgets the old one (`akutan ctl forget-lost`).
func (l *LostMemory) Prune(members []gossip.Member) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range members {
		delete(l.lost, m.Name)
	}
}

// Forget drops the lost server name; it reports whether it was listed.
func (l *LostMemory) Forget(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.lost[name]
	delete(l.lost, name)
	return ok
}

// List returns the lost servers, oldest first.
func (l *LostMemory) List() []Lost {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Lost, 0, len(l.lost))
	for _, x := range l.lost {
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Since.Equal(out[j].Since) {
			return out[i].Since.Before(out[j].Since)
		}
		return out[i].Name < out[j].Name
	})
	return out
}
