package update

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// Field numbers of LogEntry's commands, to classify an entry without
// decoding all of it.
const (
	fieldUpdate protowire.Number = 3
	fieldDecide protowire.Number = 4
	// fieldReadIndex is UpdateTx.read_index.
	fieldReadIndex protowire.Number = 1
)

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

// pendingTx reports whether an encoded entry at index starts a transaction
// that needs a decision (it did not land right after its read).
func pendingTx(index uint64, data []byte) bool {
	num, body := command(data)
	if num != fieldUpdate {
		return false
	}
	readIndex := uint64(0) // proto3 omits a zero read_index
	for len(body) > 0 {
		f, typ, n := protowire.ConsumeTag(body)
		if n < 0 {
			return false
		}
		body = body[n:]
		if f == fieldReadIndex && typ == protowire.VarintType {
			v, m := protowire.ConsumeVarint(body)
			if m < 0 {
				return false
			}
			readIndex = v
			break
		}
		m := protowire.ConsumeFieldValue(f, typ, body)
		if m < 0 {
			return false
		}
		body = body[m:]
	}
	return index != readIndex+1
}

// Timer aborts transactions whose client went away: it tails the log and
// appends an abort for every transaction still undecided after Timeout.
// Several timers (one per API server) may run; only the first decision
// for a transaction counts, so their extra aborts are harmless.
type Timer struct {
	Log     Log
	Timeout time.Duration
	// Lookback is how many entries before the log's end a starting timer
	// re-reads, to find transactions begun before it started.
	Lookback uint64
	Logger   zerolog.Logger

	mu      sync.Mutex
	pending map[uint64]time.Time // transaction index -> when seen
}

// Run tails the log and aborts expired transactions until ctx ends.
func (t *Timer) Run(ctx context.Context) {
	t.pending = map[uint64]time.Time{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t.expireLoop(ctx)
	}()
	t.follow(ctx)
	wg.Wait()
}

func (t *Timer) follow(ctx context.Context) {
	for ctx.Err() == nil {
		last, err := t.Log.LastIndex(ctx)
		if err == nil {
			start := uint64(1)
			if last > t.Lookback {
				start = last - t.Lookback
			}
			err = t.Log.Read(ctx, start, t.observe)
		}
		if ctx.Err() == nil {
			t.Logger.Warn().Err(err).Msg("transaction timer: reading the log failed; retrying")
			sleep(ctx, time.Second)
		}
	}
}

func (t *Timer) observe(index uint64, data []byte) error {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if pendingTx(index, data) {
		if _, ok := t.pending[index]; !ok {
			t.pending[index] = now
		}
		return nil
	}
	if IsDecide(data) {
		if e, err := logentry.Decode(data); err == nil {
			delete(t.pending, e.GetDecide().GetTxIndex())
		}
	}
	return nil
}

func (t *Timer) expireLoop(ctx context.Context) {
	tick := time.NewTicker(t.Timeout / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			for _, tx := range t.expired() {
				t.abort(ctx, tx)
			}
		}
	}
}

func (t *Timer) expired() []uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []uint64
	for tx, seen := range t.pending {
		if time.Since(seen) > t.Timeout {
			out = append(out, tx)
		}
	}
	return out
}

func (t *Timer) abort(ctx context.Context, tx uint64) {
	_, err := appendEntry(ctx, t.Log, &wire.LogEntry{Command: &wire.LogEntry_Decide{Decide: &wire.Decide{TxIndex: tx}}})
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Logger.Warn().Err(err).Uint64("tx", tx).Msg("transaction timer: appending an abort failed")
		return
	}
	t.Logger.Info().Uint64("tx", tx).Msg("transaction timer: aborted an abandoned transaction")
	t.mu.Lock()
	delete(t.pending, tx)
	t.mu.Unlock()
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
