package apiserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/wire"
)

// QueryParams are one query request.
type QueryParams struct {
	Text string
	// Index is the log index to read at; 0 lets Consistency choose.
	Index       uint64
	Consistency wire.Consistency
	Explain     bool
}

// QueryStream parses and runs a query, sending its answer in chunks as the
// rows are produced (see engine.Stream).
func (s *Server) QueryStream(ctx context.Context, p QueryParams, send func(*engine.Chunk) error) error {
	start := time.Now()
	err := s.queryStream(ctx, p, send)
	s.metrics.observe("query", start, err)
	return err
}

func (s *Server) queryStream(ctx context.Context, p QueryParams, send func(*engine.Chunk) error) error {
	if _, known := wire.Consistency_name[int32(p.Consistency)]; !known {
		return fmt.Errorf("%w: consistency %d is not a known value (%d linearizable, %d recent)", ErrInvalid,
			p.Consistency, wire.Consistency_CONSISTENCY_LINEARIZABLE, wire.Consistency_CONSISTENCY_RECENT)
	}
	q, err := parser.ParseQuery(p.Text)
	if err != nil {
		return fmt.Errorf("%w: parsing query: %v", ErrInvalid, err)
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	err = s.reads.run(ctx, p, func(ctx context.Context, index uint64, gate *readGate) error {
		hold, flush := gatedSend(ctx, gate, send)
		if err := s.engine.Stream(ctx, q, index, engine.Options{Explain: p.Explain}, hold); err != nil {
			return err
		}
		return flush()
	})
	if errors.Is(err, engine.ErrInvalidQuery) {
		return invalid{err}
	}
	return err
}

// invalid marks an error as the client's to fix without changing its
// message.
type invalid struct{ error }

func (e invalid) Is(target error) bool { return target == ErrInvalid }
func (e invalid) Unwrap() error        { return e.error }

// Query runs a query and collects its whole answer.
func (s *Server) Query(ctx context.Context, p QueryParams) (*engine.Result, error) {
	res := &engine.Result{}
	err := s.QueryStream(ctx, p, func(c *engine.Chunk) error {
		if c.Columns != nil {
			res.Index, res.Columns = c.Index, c.Columns
		}
		res.Rows = append(res.Rows, c.Rows...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// readIndex chooses the log index a query reads at.
func (s *Server) readIndex(ctx context.Context, p QueryParams) (uint64, error) {
	if p.Index == 0 && p.Consistency == wire.Consistency_CONSISTENCY_RECENT {
		return s.recentIndex()
	}
	last, err := s.logc.LastIndex(ctx)
	if err != nil {
		return 0, fmt.Errorf("reading the log's last index: %w", err)
	}
	switch {
	case p.Index == 0:
		return last, nil
	case p.Index > last:
		return 0, fmt.Errorf("%w: index %d is beyond the log's last index %d", ErrInvalid, p.Index, last)
	}
	return p.Index, nil
}

// recentIndex is the newest index that every serving view of both spaces
// has applied, as gossip reports it: a query at that index never waits for
// a view, and the log is not asked. Every query needs both spaces (names
// are resolved through HashPO and printed through HashSP).
func (s *Server) recentIndex() (uint64, error) {
	var index uint64
	seen := map[string]bool{}
	for _, m := range s.gossip.Members() {
		if m.Meta.Role != "view" || !m.Meta.Serving {
			continue
		}
		if sp := space.Space(m.Meta.Space); sp != space.HashSP && sp != space.HashPO {
			continue
		}
		if !seen[m.Meta.Space] || m.Meta.AppliedIndex < index {
			index = m.Meta.AppliedIndex
		}
		seen[m.Meta.Space] = true
	}
	for _, sp := range []space.Space{space.HashSP, space.HashPO} {
		if !seen[string(sp)] {
			return 0, fmt.Errorf("choosing a recent index: no serving %s view is known", sp)
		}
	}
	return index, nil
}
