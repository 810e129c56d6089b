package floor

import (
	"context"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/akutan-dev/akutan/gossip"
)

// Setter records a cluster's floor in the log (logclient.Client does).
type Setter interface {
	SetFloor(ctx context.Context, cluster string, index uint64, remove bool) error
}

// Registrar registers a cluster's floor in the log every Every.
type Registrar struct {
	Cluster string                 // the cluster's name (health.ClusterOf)
	Copies  int                    // K; 0 means DefaultCopies
	Every   time.Duration          // must be positive
	Members func() []gossip.Member // what gossip shows now
	Log     Setter
	Logger  zerolog.Logger
	// Registered, if set, is told each floor registered.
	Registered func(index uint64)
}

// attemptTimeout bounds one registration, so that a log without a leader
// delays the next one by at most this much.
const attemptTimeout = 10 * time.Second

// Run registers the floor every Every until ctx ends.
func (r *Registrar) Run(ctx context.Context) {
	t := time.NewTicker(r.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.Once(ctx)
		}
	}
}

// Once computes the floor and registers it if the cluster has one. It
// returns the result computed and whether a floor was registered.
func (r *Registrar) Once(ctx context.Context) (Result, bool) {
	copies := r.Copies
	if copies <= 0 {
		copies = DefaultCopies
	}
	res := Compute(r.Members(), r.Cluster, copies)
	if !res.OK() {
		r.Logger.Debug().Str("cluster", r.Cluster).Int("copies", copies).Str("short", strings.Join(res.Short, "; ")).
			Msg("not registering a log floor: some ranges have too few views; the last floor stands")
		return res, false
	}
	actx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	if err := r.Log.SetFloor(actx, r.Cluster, res.Floor, false); err != nil {
		if ctx.Err() == nil {
			r.Logger.Warn().Err(err).Str("cluster", r.Cluster).Uint64("floor", res.Floor).Msg("registering the cluster's log floor failed; retrying later")
		}
		return res, false
	}
	r.Logger.Debug().Str("cluster", r.Cluster).Uint64("floor", res.Floor).Msg("registered the cluster's log floor")
	if r.Registered != nil {
		r.Registered(res.Floor)
	}
	return res, true
}
