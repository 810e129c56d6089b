package update

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/akutan-dev/akutan/wire"
)

// fieldDecide is LogEntry.decide's field number, to spot a decision
// without decoding the whole entry.
const fieldDecide protowire.Number = 4

// command returns the LogEntry field number an encoded entry carries.
func command(data []byte) (protowire.Number, []byte) {
	num, typ, n := protowire.ConsumeTag(data)
	if n < 0 || typ != protowire.BytesType {
		return 0, nil
	}
	body, m := protowire.ConsumeBytes(data[n:])
	if m < 0 {
		return 0, nil
	}
	return num, body
}

// IsDecide reports whether an encoded entry is a Decide.
func IsDecide(data []byte) bool {
	num, _ := command(data)
	return num == fieldDecide
}

// Timer aborts transactions whose client went away: views advertise the
// undecided transactions they hold (gossip), and the timer appends an
// abort for every one it has seen undecided for longer than Timeout.
// Several timers (one per API server) may run; only the first decision for
// a transaction counts, so their extra aborts are harmless. Because views
// keep undecided transactions across restarts, a transaction orphaned by a
// whole-cluster crash is still found.
type Timer struct {
	Log     Log
	Timeout time.Duration
	// Pending returns the undecided transactions the views report.
	Pending func() []uint64
	Logger  zerolog.Logger
}

// Run aborts expired transactions until ctx ends.
func (t *Timer) Run(ctx context.Context) {
	firstSeen := map[uint64]time.Time{}
	lastAbort := map[uint64]time.Time{}
	tick := time.NewTicker(max(t.Timeout/4, 50*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		current := map[uint64]bool{}
		for _, tx := range t.Pending() {
			current[tx] = true
			if _, ok := firstSeen[tx]; !ok {
				firstSeen[tx] = now
			}
			if now.Sub(firstSeen[tx]) > t.Timeout && now.Sub(lastAbort[tx]) > t.Timeout {
				lastAbort[tx] = now
				t.abort(ctx, tx)
			}
		}
		for tx := range firstSeen {
			if !current[tx] {
				delete(firstSeen, tx)
				delete(lastAbort, tx)
			}
		}
	}
}

func (t *Timer) abort(ctx context.Context, tx uint64) {
	_, err := appendEntry(ctx, t.Log, &wire.LogEntry{Command: &wire.LogEntry_Decide{Decide: &wire.Decide{TxIndex: tx}}})
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			t.Logger.Warn().Err(err).Uint64("tx", tx).Msg("transaction timer: appending an abort failed")
		}
		return
	}
	t.Logger.Info().Uint64("tx", tx).Msg("transaction timer: aborted an abandoned transaction")
}
