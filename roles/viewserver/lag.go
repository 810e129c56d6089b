package viewserver

import (
	"cmp"
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// logEndEvery is how often the view polls the log's last index for its
// lag gauge.
const logEndEvery = 2 * time.Second

// registerLag exports akutan_view_log_lag_entries: how many entries the
// view is behind the log's last index, labelled (besides the view's space,
// range and directory) with the replica's advertised gRPC address, which
// is known once the view listens.
func (s *Server) registerLag() error {
	reg := viewRegisterer(s.cfg)
	if reg == nil {
		return nil
	}
	return reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "akutan_view_log_lag_entries",
		Help:        "Log entries the view has not applied yet: the log's last index (polled every 2 s) minus the view's applied index.",
		ConstLabels: prometheus.Labels{"replica": cmp.Or(s.cfg.AdvertiseAddr, s.GRPCAddr())},
	}, s.logLag))
}

// logLag is the log's last index as last polled minus the applied index.
func (s *Server) logLag() float64 {
	last, applied := s.logLast.Load(), s.applied.Load()
	if last <= applied {
		return 0
	}
	return float64(last - applied)
}

// watchLogEnd polls the log's last index until ctx ends; failures leave
// the last value (the view's own reads report an unreachable log).
func (s *Server) watchLogEnd(ctx context.Context) {
	for {
		callCtx, cancel := context.WithTimeout(ctx, logEndEvery)
		info, err := s.logc.Info(callCtx, false)
		cancel()
		if err == nil {
			s.logLast.Store(info.LastIndex)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(logEndEvery):
		}
	}
}
