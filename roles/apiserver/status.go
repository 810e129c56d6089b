package apiserver

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/internal/jsontext"
	"github.com/akutan-dev/akutan/wire"
)

// statusLogTimeout bounds the log Info behind one status report, so that a
// report on a cluster whose log is down arrives (saying so) in seconds.
const statusLogTimeout = 3 * time.Second

// Status reports coverage and health as this server sees it: the log (its
// linearizable Info and every replica's own Info), and the clusters of its
// gossip members. Servers of other Akutan clusters gossip in their own
// pools, so an API server judges its own cluster (and any other that
// shares its pool) and the log, which every cluster reaches.
func (s *Server) Status(ctx context.Context, maxLag uint64) health.Report {
	ctx, cancel := context.WithTimeout(ctx, statusLogTimeout)
	defer cancel()
	return health.Check(ctx, s.logc, s.gossip.Members, health.Options{MaxLag: maxLag, ReportedBy: s.gossip.Name(), Memory: &s.replicas, Lost: &s.lost})
}

// statusService is the Status gRPC service.
type statusService struct {
	wire.UnimplementedStatusServer
	s *Server
}

func (st *statusService) Status(ctx context.Context, req *wire.StatusRequest) (*wire.StatusReply, error) {
	maxLag := uint64(health.DefaultMaxLag)
	if req.MaxLag != nil {
		maxLag = req.GetMaxLag()
	}
	b, err := jsontext.Marshal(st.s.Status(ctx, maxLag))
	if err != nil {
		return nil, status.Error(codes.Internal, fmt.Sprintf("encoding status: %v", err))
	}
	return &wire.StatusReply{Json: b}, nil
}

// handleStatus serves GET /v1/status[?max_lag=N]: the same document as the
// Status gRPC service. It answers 200 whatever the verdict: the verdict is
// in the document, and /healthz is the liveness check.
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	maxLag := uint64(health.DefaultMaxLag)
	if v := r.URL.Query().Get("max_lag"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeError(w, fmt.Errorf("%w: max_lag %q is not a number of log entries", ErrInvalid, v))
			return
		}
		maxLag = n
	}
	writeJSON(w, http.StatusOK, s.Status(r.Context(), maxLag))
}

// ForgetLost implements wire.StatusServer: it drops a server from this API
// server's list of lost servers (see health.LostMemory).
func (st *statusService) ForgetLost(_ context.Context, req *wire.ForgetLostRequest) (*wire.ForgetLostReply, error) {
	if req.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "forget lost: no name")
	}
	return &wire.ForgetLostReply{Forgotten: st.s.lost.Forget(req.GetName())}, nil
}

// FloorsResponse is the answer to GET /v1/floors: the log's extent and the
// floor each cluster registered (see package cluster/floor).
type FloorsResponse struct {
	FirstIndex uint64       `json:"first_index"`
	LastIndex  uint64       `json:"last_index"`
	Floors     []FloorEntry `json:"floors"`
}

// FloorEntry is one cluster's registered log floor.
type FloorEntry struct {
	Cluster string `json:"cluster"`
	Index   uint64 `json:"index"`
}

// handleFloors serves GET /v1/floors: the log's registered floors, as
// `akutan ctl log floors` lists them, for the web console.
func (s *Server) handleFloors(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), statusLogTimeout)
	defer cancel()
	reply, err := s.logc.Floors(ctx)
	if err != nil {
		writeError(w, fmt.Errorf("reading the log floors: %w", err))
		return
	}
	out := FloorsResponse{FirstIndex: reply.FirstIndex, LastIndex: reply.LastIndex, Floors: []FloorEntry{}}
	for _, f := range reply.Floors {
		out.Floors = append(out.Floors, FloorEntry{Cluster: f.Cluster, Index: f.Index})
	}
	writeJSON(w, http.StatusOK, out)
}
