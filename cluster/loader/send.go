package loader

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/internal/ctxsleep"
	"github.com/akutan-dev/akutan/query/update"
	"github.com/akutan-dev/akutan/wire"
)

// sendAll sends batches until the channel closes, skipping them once the
// load has failed.
func (l *Loader) sendAll(ctx context.Context, in <-chan *batch, fail func(error)) {
	for b := range in {
		if ctx.Err() != nil {
			continue
		}
		res, err := l.send(ctx, b.data, b.facts)
		if err != nil {
			fail(fmt.Errorf("%s: facts at %s to %s: %w", l.cfg.Name, b.start, b.end, err))
			continue
		}
		b.data = nil // only its count is needed from now on
		l.completed(b, res)
	}
}

// result adds up what the server did with a batch.
type result struct {
	inserted, existing, index uint64
}

// send inserts N-Triples data of n facts, splitting it in two if the
// server finds it too large for one log entry, and retrying a few times
// while the server is unavailable.
func (l *Loader) send(ctx context.Context, data []byte, n int) (result, error) {
	var err error
	for try := 1; try <= unavailableTries; try++ {
		var res *wire.InsertReply
		res, err = l.insertOnce(ctx, data)
		if err == nil {
			return result{res.FactsInserted, res.FactsExisting, res.Index}, nil
		}
		if tooLarge(err) && n > 1 {
			return l.sendHalves(ctx, data, n)
		}
		if status.Code(err) != codes.Unavailable || ctx.Err() != nil {
			break
		}
		if ctxsleep.Sleep(ctx, time.Duration(try)*l.cfg.RetryBackoff) != nil {
			break
		}
	}
	return result{}, wire.APIError("insert failed", err)
}

// tooLarge reports whether the server refused a request because it does
// not fit one log entry.
func tooLarge(err error) bool {
	st, _ := status.FromError(err)
	return st.Code() == codes.InvalidArgument && strings.Contains(st.Message(), update.ErrTooLarge.Error())
}

func (l *Loader) insertOnce(ctx context.Context, data []byte) (*wire.InsertReply, error) {
	rctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	return l.api.Insert(rctx, &wire.InsertRequest{Format: l.format.String(), Data: string(data)})
}

// sendHalves sends the first and the second half of the lines of data.
func (l *Loader) sendHalves(ctx context.Context, data []byte, n int) (result, error) {
	cut := 0
	for range n / 2 {
		cut += bytes.IndexByte(data[cut:], '\n') + 1
	}
	a, err := l.send(ctx, data[:cut], n/2)
	if err != nil {
		return result{}, err
	}
	b, err := l.send(ctx, data[cut:], n-n/2)
	if err != nil {
		return result{}, err
	}
	return result{a.inserted + b.inserted, a.existing + b.existing, max(a.index, b.index)}, nil
}
