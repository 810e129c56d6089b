package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/akutan-dev/akutan/cluster/changefeed"
)

// changesKeepalive is how often an idle change feed sends an SSE comment,
// so that proxies and clients can tell an idle feed from a dead one.
const changesKeepalive = 15 * time.Second

// handleChanges is GET /v1/changes?from=N[&follow=true]: the committed
// transactions after log index N, in order, as server-sent events (see
// package changefeed for the order and the RDF Patch of each). A
// Last-Event-ID header (an EventSource reconnecting) wins over from.
//
// Events:
//
//	id: N            the transaction's log index (its tag)
//	event: patch
//	data: ...        one line of RDF Patch per data line
//
//	event: end       without follow: every change through the log's last
//	data: N          index at the start was sent; N is the last tag
//
//	event: error     the feed failed; data is the message
//
// and a comment line (": keepalive") every 15 s. A from below the log's
// first retained index is refused before the stream starts with 410 Gone,
// naming the first index (and, with Config.LogArchive, what the log
// archive holds).
func (s *Server) handleChanges(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fromText := q.Get("from")
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		fromText = id
	}
	var from uint64
	if fromText != "" {
		n, err := strconv.ParseUint(fromText, 10, 64)
		if err != nil {
			writeError(w, fmt.Errorf("%w: from %q is not a log index", ErrInvalid, fromText))
			return
		}
		from = n
	}
	follow := false
	switch strings.ToLower(q.Get("follow")) {
	case "", "false", "0":
	case "true", "1":
		follow = true
	default:
		writeError(w, fmt.Errorf("%w: follow must be true or false, not %q", ErrInvalid, q.Get("follow")))
		return
	}
	info, err := s.logc.Info(r.Context(), false)
	if err != nil {
		writeError(w, fmt.Errorf("starting the change feed: %w", err))
		return
	}
	if first := max(info.FirstIndex, 1); from+1 < first {
		e := &changefeed.ErrBeforeFirst{From: from, First: first}
		if s.cfg.LogArchive != "" {
			e.Archive = changefeed.ArchiveNote(s.cfg.LogArchive)
		}
		writeJSON(w, http.StatusGone, map[string]string{"error": e.Error()})
		return
	}
	rc := http.NewResponseController(w)
	// A feed outlives the server's read timeout, which would otherwise
	// cancel the request's context once it passes.
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusOK)
	sse := &sseWriter{w: w, rc: rc}
	ctx, cancel := s.streamContext(r.Context()) // ends when the server stops, too
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sse.keepalive(ctx, changesKeepalive)
	}()
	defer wg.Wait() // after cancel: no write outlives the handler
	start := time.Now()
	if err := sse.comment(fmt.Sprintf("akutan change feed after log index %d", from)); err != nil {
		return
	}
	var text []byte
	last, err := changefeed.Run(ctx, s.logc, s.views, changefeed.Request{From: from, Follow: follow, MaxVersion: s.cfg.MaxLogVersion},
		func(p changefeed.Patch) error {
			text = p.AppendText(text[:0])
			return sse.event("patch", strconv.FormatUint(p.Index, 10), text)
		})
	s.metrics.observe("changes", start, err)
	switch {
	case err == nil:
		_ = sse.event("end", "", []byte(strconv.FormatUint(last, 10)))
	case r.Context().Err() != nil || errors.Is(err, errClientGone):
		// The client left.
	case ctx.Err() != nil:
		_ = sse.event("error", "", []byte("the API server is stopping: resume from the last patch on another one"))
	default:
		s.log.Warn().Err(err).Uint64("from", from).Uint64("last", last).Msg("change feed failed")
		_ = sse.event("error", "", []byte(err.Error()))
	}
}

// errClientGone marks a write to a client that left.
var errClientGone = errors.New("the client went away")

// sseWriter writes server-sent events; it is safe for concurrent use (the
// keepalive writes from its own goroutine).
type sseWriter struct {
	mu  sync.Mutex
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf []byte
}

// event writes one event; each line of data becomes a data line.
func (s *sseWriter) event(name, id string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buf[:0]
	if id != "" {
		b = append(append(append(b, "id: "...), id...), '\n')
	}
	b = append(append(append(b, "event: "...), name...), '\n')
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		b = append(append(append(b, "data: "...), line...), '\n')
	}
	b = append(b, '\n')
	s.buf = b
	return s.flush(b)
}

// comment writes an SSE comment line, which clients ignore.
func (s *sseWriter) comment(text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flush([]byte(": " + text + "\n\n"))
}

func (s *sseWriter) flush(b []byte) error {
	if _, err := s.w.Write(b); err != nil {
		return fmt.Errorf("%w: %v", errClientGone, err)
	}
	if err := s.rc.Flush(); err != nil {
		return fmt.Errorf("%w: %v", errClientGone, err)
	}
	return nil
}

// keepalive writes a comment every interval until ctx ends.
func (s *sseWriter) keepalive(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if s.comment("keepalive") != nil {
				return
			}
		}
	}
}
