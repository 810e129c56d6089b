package logserver

import (
	"context"
	"errors"
	"time"

	"github.com/akutan-dev/akutan/wire"
)

// Background truncation (Config.AutoTruncateEvery): every so often the
// leader discards the entries that every registered cluster has declared
// safe to lose, as the lowest floor stood AutoTruncateLag ago, so that the
// log stays a few minutes behind what it could discard (control_plane.md:
// "every few minutes, a few minutes behind the maximum deletable index").
// It goes through the same checked truncation as `ctl log truncate
// --before`, so the state machine refuses it past any floor registered
// now. With no floor registered it does nothing: a cluster that never
// registered one may still need everything.

// floorSample is the lowest registered floor at some time.
type floorSample struct {
	at    time.Time
	floor uint64
}

// floorSamples keeps the lowest floors seen, to answer the one that stood
// at least lag ago. The zero value with lag set is ready.
type floorSamples struct {
	lag     time.Duration
	samples []floorSample // in time order
}

// add records the lowest floor seen at now.
func (f *floorSamples) add(now time.Time, floor uint64) {
	f.samples = append(f.samples, floorSample{at: now, floor: floor})
}

// due returns the lowest floor as it stood lag before now: the newest
// sample at least lag old. Older samples are dropped; ok is false while
// no sample is that old.
func (f *floorSamples) due(now time.Time) (floor uint64, ok bool) {
	i := -1
	for j, s := range f.samples {
		if now.Sub(s.at) >= f.lag {
			i = j
		}
	}
	if i < 0 {
		return 0, false
	}
	f.samples = f.samples[i:]
	return f.samples[0].floor, true
}

// reset forgets every sample (this replica stopped leading: a new leader
// starts its own).
func (f *floorSamples) reset() { f.samples = nil }

// runAutoTruncate truncates every AutoTruncateEvery until Stop, while
// this replica leads.
func (s *Server) runAutoTruncate() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stopc:
			cancel()
		case <-ctx.Done():
		}
	}()
	samples := &floorSamples{lag: s.cfg.AutoTruncateLag}
	t := time.NewTicker(s.cfg.AutoTruncateEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.autoTruncate(ctx, samples, now)
		}
	}
}

// autoTruncate samples the lowest floor and, as leader, discards the
// entries below the one that stood the lag ago (never past the lowest
// floor now, which may have gone down since).
func (s *Server) autoTruncate(ctx context.Context, samples *floorSamples, now time.Time) {
	if leader, ok, err := s.nh.GetLeaderID(clusterID); err != nil || !ok || leader != s.cfg.ReplicaID {
		samples.reset()
		return
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	floors, ext, err := s.Floors(ctx)
	if err != nil {
		s.logger.Warn().Err(err).Msg("automatic truncation: reading the floors failed; retrying later")
		return
	}
	if len(floors) == 0 {
		s.logger.Debug().Msg("automatic truncation: no cluster has registered a floor; keeping the whole log")
		return
	}
	lowest, cluster := lowestOf(floors)
	samples.add(now, lowest)
	floor, ok := samples.due(now)
	if !ok {
		s.logger.Debug().Uint64("lowest_floor", lowest).Dur("lag", samples.lag).Msg("automatic truncation: no floor old enough yet")
		return
	}
	before := min(floor, lowest, ext.LastIndex) + 1
	if before <= ext.FirstIndex {
		s.logger.Debug().Uint64("before", before).Uint64("first", ext.FirstIndex).Msg("automatic truncation: nothing to discard")
		return
	}
	res, err := s.Truncate(ctx, wire.TruncateMode_TRUNCATE_BEFORE, before)
	switch {
	case errors.Is(err, ErrPastFloor):
		// A floor went down between Floors and Truncate: next time.
		s.logger.Debug().Err(err).Msg("automatic truncation: a floor moved; retrying later")
	case err != nil:
		s.logger.Warn().Err(err).Uint64("before", before).Msg("automatic truncation failed; retrying later")
	default:
		s.logger.Info().Uint64("first", res.FirstIndex).Uint64("last", res.LastIndex).
			Uint64("lowest_floor", lowest).Str("cluster", cluster).Msg("automatic truncation discarded the log prefix")
	}
}

// lowestOf is the lowest floor and its cluster (by name on ties).
func lowestOf(floors map[string]uint64) (uint64, string) {
	a := adminState{floors: floors}
	f, c, _ := a.lowestFloor()
	return f, c
}
