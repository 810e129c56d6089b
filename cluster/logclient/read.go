package logclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/akutan-dev/akutan/wire"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// callbackError marks an error returned by Read's callback.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }
func (e callbackError) Unwrap() error { return e.err }

// Read calls fn for each log entry from index start on (0 means the first
// retained entry), in order, and keeps tailing new entries until ctx ends,
// fn fails, or the log no longer holds the next index (ErrTruncated).
// Broken streams resume on another replica after the last delivered index.
// It returns fn's error as is, otherwise an error wrapping ctx.Err() or
// ErrTruncated.
func (c *Client) Read(ctx context.Context, start uint64, fn func(index uint64, data []byte) error) error {
	c.learnDCs(ctx)
	next := start
	backoff := minBackoff
	order := c.order(false)
	for attempt := 0; ; attempt++ {
		i := order[attempt%len(order)]
		before := next
		err := c.readFrom(ctx, i, &next, fn)
		var cbErr callbackError
		switch {
		case errors.As(err, &cbErr):
			return cbErr.err
		case ctx.Err() != nil:
			return fmt.Errorf("reading log at %d: %w", next, ctx.Err())
		case status.Code(err) == codes.OutOfRange:
			return fmt.Errorf("reading log at %d from %s: %w: %v", next, c.addrs[i], ErrTruncated, err)
		case !retryable(err):
			return fmt.Errorf("reading log at %d from %s: %w", next, c.addrs[i], err)
		}
		if next != before {
			// The stream had worked: start over from the preferred
			// replicas, which may be back.
			backoff, order, attempt = minBackoff, c.order(false), -1
		}
		if err := sleep(ctx, backoff); err != nil {
			return fmt.Errorf("reading log at %d: %w", next, err)
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// readFrom streams from replica i, delivering entries and advancing *next.
func (c *Client) readFrom(ctx context.Context, i int, next *uint64, fn func(uint64, []byte) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.logs[i].Read(ctx, &wire.ReadRequest{StartIndex: *next})
	if err != nil {
		return err
	}
	for {
		reply, err := stream.Recv()
		if err != nil {
			return err
		}
		for _, e := range reply.Entries {
			if *next != 0 && e.Index != *next {
				return status.Errorf(codes.Internal, "replica sent index %d, expected %d", e.Index, *next)
			}
			if err := fn(e.Index, e.Data); err != nil {
				return callbackError{err}
			}
			*next = e.Index + 1
		}
	}
}
