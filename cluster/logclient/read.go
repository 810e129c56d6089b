package logclient

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/akutan-dev/akutan/internal/ctxsleep"
	"github.com/akutan-dev/akutan/wire"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// defaultReadSilence is how long a Read stream may deliver nothing before
// its replica is checked: replicas send a heartbeat every 200 ms while
// tailing, so three missed ones mean the replica, or the way to it, is
// stuck. An older replica sends no heartbeats; the check (an Info) keeps
// its idle streams open.
const defaultReadSilence = 600 * time.Millisecond

// minProbeTimeout is the least time a silent stream's replica gets to
// answer the check (half the read silence otherwise). A live replica too
// busy to answer in time loses the stream, which resumes elsewhere: that
// costs a new stream, never an entry.
const minProbeTimeout = 300 * time.Millisecond

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
	order, pos := c.order(false), 0
	for {
		if pos == len(order) {
			// Every replica of the order failed: take the current set,
			// which may have changed (see follow).
			order, pos = c.order(false), 0
		}
		r := order[pos]
		pos++
		before := next
		err := c.readFrom(ctx, r, &next, fn)
		var cbErr callbackError
		switch {
		case errors.As(err, &cbErr):
			return cbErr.err
		case ctx.Err() != nil:
			return fmt.Errorf("reading log at %d: %w", next, ctx.Err())
		case status.Code(err) == codes.OutOfRange:
			return fmt.Errorf("reading log at %d from %s: %w: %v", next, r.addr, ErrTruncated, err)
		case !retryable(err):
			return fmt.Errorf("reading log at %d from %s: %w", next, r.addr, err)
		}
		c.failed(r)
		if next != before {
			// The stream had worked: start over from the preferred
			// replicas, which may be back.
			backoff, order, pos = minBackoff, c.order(false), 0
		}
		if err := ctxsleep.Sleep(ctx, backoff); err != nil {
			return fmt.Errorf("reading log at %d: %w", next, err)
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// readFrom streams from replica r, delivering entries and advancing *next.
// A replica that stops without closing the stream (a frozen process) would
// leave it waiting for ever, so a watch abandons the stream when it has
// delivered nothing, not even a heartbeat, for the read silence and the
// replica does not answer an Info either.
func (c *Client) readFrom(ctx context.Context, r *replica, next *uint64, fn func(uint64, []byte) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := c.watchSilence(ctx, cancel, r)
	defer w.stop()
	stream, err := r.log.Read(ctx, &wire.ReadRequest{StartIndex: *next})
	if err != nil {
		return w.explain(err)
	}
	for {
		reply, err := stream.Recv()
		if err != nil {
			return w.explain(err)
		}
		w.heard()
		for _, e := range reply.Entries {
			if *next != 0 && e.Index != *next {
				return status.Errorf(codes.Internal, "replica sent index %d, expected %d", e.Index, *next)
			}
			if err := fn(e.Index, e.Data); err != nil {
				return callbackError{err}
			}
			*next = e.Index + 1
		}
		w.heard() // the time fn took is not the replica's silence
	}
}

// silenceWatch ends a Read stream whose replica has gone silent.
type silenceWatch struct {
	progress chan struct{} // a message arrived
	stopc    chan struct{}
	once     sync.Once
	done     chan struct{} // closed when the watch has ended
	err      error         // why it ended the stream; read after done
}

// watchSilence watches replica r's stream, calling end when the replica
// has gone silent.
func (c *Client) watchSilence(ctx context.Context, end context.CancelFunc, r *replica) *silenceWatch {
	w := &silenceWatch{progress: make(chan struct{}, 1), stopc: make(chan struct{}), done: make(chan struct{})}
	go w.run(ctx, c, end, r)
	return w
}

func (w *silenceWatch) run(ctx context.Context, c *Client, end context.CancelFunc, r *replica) {
	defer close(w.done)
	silence := c.opts.readSilence
	t := time.NewTimer(silence)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.stopc:
			return
		case <-w.progress:
			t.Reset(silence)
		case <-t.C:
			if err := c.probe(ctx, r, max(silence/2, minProbeTimeout)); err != nil && ctx.Err() == nil {
				w.err = status.Errorf(codes.Unavailable, "read stream from %s: nothing for %v, and Info failed: %v", r.addr, silence, err)
				end()
				return
			}
			t.Reset(silence)
		}
	}
}

// heard records that the stream delivered a message.
func (w *silenceWatch) heard() {
	select {
	case w.progress <- struct{}{}:
	default:
	}
}

// stop ends the watch and waits for it.
func (w *silenceWatch) stop() {
	w.once.Do(func() { close(w.stopc) })
	<-w.done
}

// explain returns why the stream failed with err: the watch's reason if it
// ended the stream.
func (w *silenceWatch) explain(err error) error {
	w.stop()
	if w.err != nil {
		return w.err
	}
	return err
}

// probe checks that replica r answers an Info within timeout.
func (c *Client) probe(ctx context.Context, r *replica, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := r.log.Info(ctx, &wire.InfoRequest{})
	return err
}
