package viewserver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/akutan-dev/akutan/storage/viewstore"
	"github.com/akutan-dev/akutan/wire"
)

// Statistics refresh: a scan reads the whole store, so it runs once per
// statsInterval, and (but for the scans after bursts, below) never more
// than about 1/statsDutyCycle of the time however long scans take. A
// view whose applied index has not moved skips the scan. Sooner than statsInterval, a view rescans once a burst of
// writes has ended (nothing applied for statsPoll) if the burst changed at
// least a tenth of the facts the last scan counted (and statsMinChange):
// after a bulk load the planner sees the loaded data within seconds, not
// half a minute later (by then, a query planned on the statistics of the
// empty store had scanned a whole class to check one author's papers).
const (
	statsInterval  = 30 * time.Second
	statsDutyCycle = 20
	statsPoll      = time.Second
	statsMinChange = 1000
)

// Reply size bounds: a few thousand heavy keys are enough for the planner
// to recognize the expensive lookups; the rest are "small".
const (
	statsHeavyKeys  = 2000
	statsPredicates = 5000
)

// statsFile is where a view keeps its last scan's statistics, in its
// store's directory (so that a wiped store takes them along), as the
// encoded wire.StatsReply. A restarted view serves them at once, before
// its first scan of the store finishes: without them the API servers'
// planners would pick plans blind for the first seconds after a restart.
// If the store is still at the index they were taken at, they are exact,
// and the view does not scan it until it changes.
const statsFile = "akutan-stats.pb"

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
	if last, err := svc.load(); err != nil {
		s.log.Info().Err(err).Msg("no saved statistics to serve until the first scan")
	} else if last != nil {
		svc.last.Store(last)
		s.statsIndex.Store(last.AsOfIndex)
		s.log.Info().Uint64("as_of_index", last.AsOfIndex).Msg("serving the statistics saved by the last run until the first scan")
	}
	s.goRun(func() { svc.refresh(ctx) })
	return svc
}

// load reads the statistics saved by an earlier run, if any, for this
// view's space and range.
func (v *statsService) load() (*wire.StatsReply, error) {
	b, err := os.ReadFile(filepath.Join(v.s.cfg.Dir, statsFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading saved statistics: %w", err)
	}
	var r wire.StatsReply
	if err := proto.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decoding saved statistics %s: %w", filepath.Join(v.s.cfg.Dir, statsFile), err)
	}
	cfg := v.s.store.Config()
	if r.Space != string(v.s.cfg.Space) || r.RangeStart != cfg.RangeStart || r.RangeEnd != cfg.RangeEnd || !r.Ready {
		return nil, nil // another layout's: the store was rebuilt since
	}
	return &r, nil
}

// save writes r for the next run, replacing the file whole (a crash
// leaves the old file or the new one, never half of one).
func (v *statsService) save(r *wire.StatsReply) error {
	b, err := proto.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding statistics: %w", err)
	}
	path := filepath.Join(v.s.cfg.Dir, statsFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("saving statistics: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("saving statistics: %w", err)
	}
	return nil
}

func (v *statsService) refresh(ctx context.Context) {
	var (
		scanned     uint64    // the applied index of the last scan
		scannedAt   time.Time // when the last scan ended
		gap         time.Duration
		changedThen uint64 // v.s.changedFacts at the last scan
		seen        = v.s.applied.Load()
		first       = true
	)
	// Statistics saved at the index the store is still at describe it
	// exactly: a restart that finds them does not scan the store again
	// (each view of akutan local scanned its whole store in the first
	// seconds after a restart, slowing the first queries).
	if last := v.last.Load(); last != nil && last.AsOfIndex == seen {
		scanned, scannedAt, first = seen, time.Now(), false
	}
	for {
		applied, changed := v.s.applied.Load(), v.s.changedFacts.Load()
		quiet := applied == seen // nothing applied since the last poll
		seen = applied
		facts := uint64(0)
		if last := v.last.Load(); last != nil {
			facts = last.Facts
		}
		burstEnded := quiet && changed-changedThen >= max(statsMinChange, facts/10)
		due := first || applied != scanned && (time.Since(scannedAt) >= statsInterval || burstEnded)
		// The duty cycle bounds the scans of a store that keeps changing a
		// little; a burst's scan is bounded by the burst itself (a tenth of
		// the store at least), so it does not wait for the duty cycle,
		// which an earlier scan in the middle of a load would otherwise
		// stretch to many seconds after it.
		if due && (burstEnded || time.Since(scannedAt) >= gap) {
			start := time.Now()
			if err := v.scan(ctx, applied); err != nil {
				if ctx.Err() != nil {
					return
				}
				v.s.log.Warn().Err(err).Msg("statistics scan failed")
			} else {
				scanned, first, changedThen = applied, false, changed
			}
			scannedAt, gap = time.Now(), statsDutyCycle*time.Since(start)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(statsPoll):
		}
	}
}

func (v *statsService) scan(ctx context.Context, index uint64) error {
	st, err := v.s.store.ComputeStats(ctx, index, viewstore.StatsLimits{HeavyKeys: statsHeavyKeys, Predicates: statsPredicates})
	if err != nil {
		return err
	}
	r := v.reply(st)
	v.last.Store(r)
	v.s.statsIndex.Store(r.AsOfIndex)
	if err := v.save(r); err != nil {
		v.s.log.Info().Err(err).Msg("statistics not saved for the next start")
	}
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
