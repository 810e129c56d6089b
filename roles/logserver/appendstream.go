package logserver

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/akutan-dev/akutan/wire"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// maxStreamAppends bounds the appends of one AppendStream in progress
// (received and not yet answered). Beyond it the stream stops reading, and
// gRPC flow control holds the client back.
const maxStreamAppends = 1024

// AppendStream implements wire.LogServer: every request is submitted as
// Append submits it and answered on the stream when its batch commits.
func (s *Server) AppendStream(stream wire.Log_AppendStreamServer) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	out := &streamReplies{
		slots: make(chan struct{}, maxStreamAppends),
		queue: make(chan *wire.AppendStreamReply, maxStreamAppends),
	}
	// Recv blocks until the client sends or the stream ends, so it runs in
	// its own goroutine; it ends once this handler has returned, and Stop
	// waits for it.
	received := make(chan error, 1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		received <- s.receiveAppends(ctx, stream, out)
	}()
	return out.send(ctx, stream, received, s.stopc)
}

// receiveAppends submits the stream's requests until the client
// half-closes it (nil) or it fails.
func (s *Server) receiveAppends(ctx context.Context, stream wire.Log_AppendStreamServer, out *streamReplies) error {
	for {
		if err := out.acquire(ctx); err != nil {
			return err
		}
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			out.release()
			return nil
		}
		if err != nil {
			return err
		}
		s.submitStreamed(ctx, req, out)
	}
}

// submitStreamed submits one streamed request; its answer goes to out.
func (s *Server) submitStreamed(ctx context.Context, req *wire.AppendRequest, out *streamReplies) {
	start := time.Now()
	var deadline time.Time
	if req.TimeoutMs > 0 {
		deadline = start.Add(time.Duration(req.TimeoutMs) * time.Millisecond)
	}
	var r *appendReq
	r, err := newAppendReq(ctx, deadline, req, func(res opResult, err error) {
		err = s.appendDone(ctx, start, r, appendResult{res: res, err: err})
		out.put(streamReply(req, res, err))
	})
	if err != nil {
		out.put(streamReply(req, opResult{}, status.Error(codes.InvalidArgument, err.Error())))
		return
	}
	if err := s.checkEntries(ctx, req.Entries); err != nil {
		out.put(streamReply(req, opResult{}, err))
		return
	}
	if err := s.submit(ctx, r); err != nil {
		r.finish(opResult{}, err)
	}
}

func streamReply(req *wire.AppendRequest, res opResult, err error) *wire.AppendStreamReply {
	reply := &wire.AppendStreamReply{ClientId: req.ClientId, Seq: req.Seq}
	if err != nil {
		st := status.Convert(err)
		reply.Code, reply.Message = uint32(st.Code()), st.Message()
		return reply
	}
	reply.FirstIndex, reply.LastIndex = res.first, res.last
	return reply
}

// streamReplies carries one stream's answers from the batcher to its
// sender. Every request holds a slot from before it is received until its
// answer is sent, so queue, as large as slots, never fills (the batcher
// never blocks on it), and the slots taken are the answers owed.
type streamReplies struct {
	slots chan struct{}
	queue chan *wire.AppendStreamReply
}

func (o *streamReplies) acquire(ctx context.Context) error {
	select {
	case o.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (o *streamReplies) release() { <-o.slots }

func (o *streamReplies) put(r *wire.AppendStreamReply) { o.queue <- r }

// send sends answers until the client has half-closed the stream and had
// every answer (nil), or the stream fails, or stopc closes.
func (o *streamReplies) send(ctx context.Context, stream wire.Log_AppendStreamServer, received <-chan error, stopc <-chan struct{}) error {
	draining := false
	for !draining || len(o.slots) > 0 {
		select {
		case r := <-o.queue:
			if err := stream.Send(r); err != nil {
				return err
			}
			o.release()
		case err := <-received:
			if err != nil {
				return err
			}
			draining, received = true, nil
		case <-stopc:
			return status.Error(codes.Unavailable, errStopping.Error())
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
