package viewserver

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/akutan-dev/akutan/storage/viewstore"
	"github.com/akutan-dev/akutan/wire"
)

// Statistics refresh: a scan reads the whole store, so it runs at most
// once per statsInterval, and never more than about 1/statsDutyCycle of
// the time however long scans take. A view whose applied index has not
// moved skips the scan.
const (
	statsInterval  = 30 * time.Second
	statsDutyCycle = 20
)

// Reply size bounds: a few thousand heavy keys are enough for the planner
// to recognize the expensive lookups; the rest are "small".
const (
	statsHeavyKeys  = 2000
	statsPredicates = 5000
)

// statsService serves wire.ViewStats from the last finished scan.
type statsService struct {
	wire.UnimplementedViewStatsServer
	s    *Server
	last atomic.Pointer[wire.StatsReply]
}

// startStats starts the background scans, owned by the server (stopped by
// ctx, waited for by Stop), and returns the service to register.
func (s *Server) startStats(ctx context.Context) *statsService {
	svc := &statsService{s: s}
	s.goRun(func() { svc.refresh(ctx) })
	return svc
}

func (v *statsService) refresh(ctx context.Context) {
	scanned := uint64(0)
	first := true
	for {
		wait := statsInterval
		if applied := v.s.applied.Load(); first || applied != scanned {
			start := time.Now()
			if err := v.scan(ctx, applied); err != nil {
				if ctx.Err() != nil {
					return
				}
				v.s.log.Warn().Err(err).Msg("statistics scan failed")
			} else {
				scanned, first = applied, false
			}
			wait = max(wait, statsDutyCycle*time.Since(start))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (v *statsService) scan(ctx context.Context, index uint64) error {
	st, err := v.s.store.ComputeStats(ctx, index, viewstore.StatsLimits{HeavyKeys: statsHeavyKeys, Predicates: statsPredicates})
	if err != nil {
		return err
	}
	v.last.Store(v.reply(st))
	return nil
}

func (v *statsService) reply(st viewstore.Stats) *wire.StatsReply {
	cfg := v.s.store.Config()
	out := &wire.StatsReply{
		Space: string(v.s.cfg.Space), RangeStart: cfg.RangeStart, RangeEnd: cfg.RangeEnd,
		Ready: true, AsOfIndex: st.Index, ScannedUnixNanos: time.Now().UnixNano(),
		Facts: st.Facts, MinListedCount: st.MinListed, OtherPredicates: st.OtherPredicates,
	}
	for _, k := range st.Heavy {
		kc := &wire.KeyCount{Subject: k.Subject, Predicate: k.Predicate, Count: k.Count}
		if k.Object.Kind != 0 {
			kc.Object = wire.FromObject(k.Object)
		}
		out.Heavy = append(out.Heavy, kc)
	}
	for _, p := range st.Predicates {
		out.Predicates = append(out.Predicates, &wire.PredicateCount{
			Predicate: p.Predicate, Facts: p.Facts, Keys: p.Keys, EntityObjects: p.EntityObjects,
		})
	}
	return out
}

// Stats returns the last scan's statistics; Ready is false before the
// first scan finishes.
func (v *statsService) Stats(context.Context, *wire.StatsRequest) (*wire.StatsReply, error) {
	if last := v.last.Load(); last != nil {
		return last, nil
	}
	cfg := v.s.store.Config()
	return &wire.StatsReply{Space: string(v.s.cfg.Space), RangeStart: cfg.RangeStart, RangeEnd: cfg.RangeEnd}, nil
}
