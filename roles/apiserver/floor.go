package apiserver

import (
	"context"

	"github.com/akutan-dev/akutan/cluster/floor"
	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/gossip"
)

// clusterName is the Akutan cluster this server serves (health.ClusterOf
// its --cluster and --dc).
func (s *Server) clusterName() string {
	return health.ClusterOf(gossip.Meta{Cluster: s.cfg.Cluster, DC: s.cfg.DC})
}

// startFloor registers the cluster's log floor every FloorEvery, until the
// server stops; it does nothing when FloorEvery is 0. Every API server of
// the cluster may do so: each registers a floor its views hold.
func (s *Server) startFloor(ctx context.Context) {
	if s.cfg.FloorEvery <= 0 {
		return
	}
	r := &floor.Registrar{
		Cluster: s.clusterName(), Copies: s.cfg.FloorViews, Every: s.cfg.FloorEvery,
		Members: s.gossip.Members, Log: s.logc, Logger: s.log,
		Registered: func(index uint64) { s.metrics.floor.Set(float64(index)) },
	}
	s.goRun(func() { r.Run(ctx) })
}
