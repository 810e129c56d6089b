package logclient

import (
	"context"
	"sync"
	"time"

	"github.com/akutan-dev/akutan/wire"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Appends go over one long-lived AppendStream per replica instead of one
// call each: a call's headers, stream and server goroutine cost about as
// much CPU as the rest of an append's work on a busy leader. A stream is
// opened on first use and replaced after it breaks; a broken stream fails
// the appends waiting on it with Unavailable, which Append retries with
// the same idempotency key.

// appendKey names an append on a stream: its idempotency key.
type appendKey struct{ clientID, seq uint64 }

// appendStream is one open AppendStream and the appends waiting on it.
type appendStream struct {
	stream wire.Log_AppendStreamClient
	cancel context.CancelFunc
	// sending is held by the one append sending (gRPC allows one sender
	// at a time); a channel, so that waiting for it can end with a context.
	sending chan struct{}
	broken  chan struct{} // closed when the stream fails; err says why
	once    sync.Once     // closes broken

	mu      sync.Mutex
	waiting map[appendKey]chan *wire.AppendStreamReply
	err     error
}

// streamSlot is the stream of one replica: open, being opened, or neither.
type streamSlot struct {
	st      *appendStream
	opening chan struct{} // closed when the current open attempt ends
	// cancelOpen abandons the current open attempt (Close).
	cancelOpen context.CancelFunc
	openErr    error // why the last open attempt failed
	// unary is set once the replica has answered that it has no
	// AppendStream (an older version): appends to it use Append calls.
	unary bool
}

// appendOnStream appends req on replica r's stream, or with an Append call
// if the replica has no AppendStream.
func (c *Client) appendOnStream(ctx context.Context, r *replica, req *wire.AppendRequest) (*wire.AppendReply, error) {
	c.streamMu.Lock()
	unary := r.stream.unary
	c.streamMu.Unlock()
	if unary {
		return r.log.Append(ctx, req)
	}
	if n := proto.Size(req); n > wire.MaxMessageBytes {
		// gRPC would refuse it by ending the stream, failing every append
		// on it; refuse it alone.
		return nil, status.Errorf(codes.InvalidArgument, "append of %d bytes exceeds the %d-byte message limit", n, wire.MaxMessageBytes)
	}
	st, err := c.appendStream(ctx, r)
	if err != nil {
		return nil, err
	}
	req.TimeoutMs = 0
	if d, ok := ctx.Deadline(); ok {
		req.TimeoutMs = uint32(max(time.Until(d).Milliseconds(), 1))
	}
	reply, err := st.append(ctx, req)
	if status.Code(err) == codes.Unimplemented {
		c.streamMu.Lock()
		r.stream.unary = true
		c.streamMu.Unlock()
		return r.log.Append(ctx, req)
	}
	return reply, err
}

// appendStream returns replica r's open stream, opening it if needed.
func (c *Client) appendStream(ctx context.Context, r *replica) (*appendStream, error) {
	c.streamMu.Lock()
	slot := &r.stream
	if slot.st != nil {
		st := slot.st
		c.streamMu.Unlock()
		return st, nil
	}
	if c.closed {
		c.streamMu.Unlock()
		return nil, status.Error(codes.Canceled, "log client is closed")
	}
	if slot.opening == nil {
		ctx, cancel := context.WithCancel(context.Background())
		slot.opening, slot.cancelOpen = make(chan struct{}), cancel
		c.wg.Add(1)
		go c.openStream(ctx, cancel, r, slot.opening)
	}
	opening := slot.opening
	c.streamMu.Unlock()
	select {
	case <-opening:
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	c.streamMu.Lock()
	defer c.streamMu.Unlock()
	if slot.st != nil {
		return slot.st, nil
	}
	if slot.openErr != nil {
		return nil, slot.openErr
	}
	// Opened, then broken (and cleared) before this call got to use it.
	return nil, status.Error(codes.Unavailable, "the append stream ended as soon as it opened")
}

// openStream opens replica r's stream with ctx, which outlives any one
// call as the stream does (cancel ends it), then signals opening.
func (c *Client) openStream(ctx context.Context, cancel context.CancelFunc, r *replica, opening chan struct{}) {
	defer c.wg.Done()
	defer close(opening)
	stream, err := r.log.AppendStream(ctx)
	c.streamMu.Lock()
	defer c.streamMu.Unlock()
	slot := &r.stream
	slot.opening, slot.cancelOpen = nil, nil
	if err == nil && c.closed {
		err = status.Error(codes.Canceled, "log client is closed")
	}
	if err != nil {
		cancel()
		slot.openErr = err
		return
	}
	st := &appendStream{stream: stream, cancel: cancel, sending: make(chan struct{}, 1),
		broken: make(chan struct{}), waiting: make(map[appendKey]chan *wire.AppendStreamReply)}
	slot.st, slot.openErr = st, nil
	c.wg.Add(1)
	go c.receiveReplies(r, st)
}

// receiveReplies hands each answer on st to its waiting append until the
// stream fails, then fails the rest and forgets st.
func (c *Client) receiveReplies(r *replica, st *appendStream) {
	defer c.wg.Done()
	for {
		reply, err := st.stream.Recv()
		if err != nil {
			st.fail(err)
			c.streamMu.Lock()
			if r.stream.st == st {
				r.stream.st = nil
			}
			c.streamMu.Unlock()
			return
		}
		st.mu.Lock()
		ch := st.waiting[appendKey{reply.ClientId, reply.Seq}]
		st.mu.Unlock()
		if ch != nil {
			select {
			case ch <- reply:
			default: // a duplicate answer to a retry; the first one counts
			}
		}
	}
}

// fail records why st broke, if it is the first to, ends the stream and
// wakes its waiting appends.
func (st *appendStream) fail(err error) {
	if _, ok := status.FromError(err); !ok || status.Code(err) == codes.OK {
		err = status.Errorf(codes.Unavailable, "append stream: %v", err)
	}
	st.once.Do(func() {
		st.mu.Lock()
		st.err = err
		st.mu.Unlock()
		st.cancel()
		close(st.broken)
	})
}

// append sends req and waits for its answer.
func (st *appendStream) append(ctx context.Context, req *wire.AppendRequest) (*wire.AppendReply, error) {
	key := appendKey{req.ClientId, req.Seq}
	ch := make(chan *wire.AppendStreamReply, 1)
	st.mu.Lock()
	if st.err != nil {
		st.mu.Unlock()
		return nil, st.err
	}
	st.waiting[key] = ch
	st.mu.Unlock()
	defer func() {
		st.mu.Lock()
		delete(st.waiting, key)
		st.mu.Unlock()
	}()
	if err := st.send(ctx, req); err != nil {
		return nil, err
	}
	select {
	case reply := <-ch:
		if reply.Code != uint32(codes.OK) {
			return nil, status.Error(codes.Code(reply.Code), reply.Message)
		}
		return &wire.AppendReply{FirstIndex: reply.FirstIndex, LastIndex: reply.LastIndex}, nil
	case <-st.broken:
		return nil, st.err
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
}

// send sends req, waiting for its turn and for flow control no longer
// than ctx allows. A message cannot be taken back half sent, so a send
// that outlives ctx ends the whole stream; the appends waiting on it are
// retried with their keys.
func (st *appendStream) send(ctx context.Context, req *wire.AppendRequest) error {
	select {
	case st.sending <- struct{}{}:
	case <-st.broken:
		return st.err
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	}
	defer func() { <-st.sending }()
	stop := context.AfterFunc(ctx, func() { st.fail(status.FromContextError(ctx.Err()).Err()) })
	err := st.stream.Send(req)
	stop()
	if err != nil { // the stream failed; Recv learns why, unless ctx ended it
		<-st.broken
		return st.err
	}
	return nil
}

// stop ends the slot's stream and any attempt to open one; the caller
// holds Client.streamMu.
func (slot *streamSlot) stop() {
	if slot.st != nil {
		slot.st.cancel()
	}
	if slot.cancelOpen != nil {
		slot.cancelOpen()
	}
}

// closeStreams ends every stream and waits for their goroutines.
func (c *Client) closeStreams() {
	c.streamMu.Lock()
	c.closed = true
	for _, r := range c.replicas() {
		r.stream.stop()
	}
	for _, r := range c.retired {
		r.stream.stop()
	}
	c.streamMu.Unlock()
	c.wg.Wait()
}
