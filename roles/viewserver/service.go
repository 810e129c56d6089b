package viewserver

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/viewstore"
	"github.com/akutan-dev/akutan/wire"
)

// chunkMatches bounds the matches in one streamed reply; wire.ChunkBytes
// bounds its size.
const chunkMatches = 1000

// service implements wire.ViewServer on top of the store.
type service struct {
	wire.UnimplementedViewServer
	s *Server
}

// stream is the sending half shared by every lookup RPC.
type stream interface {
	Context() context.Context
	Send(*wire.LookupChunk) error
}

// serve waits until the view has applied index, then runs n lookups, each
// through run, streaming the matches in chunks. Lookups that hit damaged
// data make the view stop serving and rebuild its store.
func (v *service) serve(kind string, index uint64, n int, st stream, run func(r *viewstore.Reader, i int, emit func(storage.Fact) error) error) error {
	ctx := st.Context()
	if err := v.s.waitApplied(ctx, index); err != nil {
		return lookupError(err)
	}
	v.s.metrics.lookup(kind, n)
	var gen uint64
	err := v.s.store.use(func(store *viewstore.Store, g uint64) error {
		gen = g
		reader := store.NewReader()
		defer reader.Release()
		return v.stream(ctx, kind, n, st, func(i int, emit func(storage.Fact) error) error {
			return run(reader, i, emit)
		})
	})
	if err != nil {
		v.s.reportCorrupt(gen, err)
		return lookupError(err)
	}
	return nil
}

// stream runs the n lookups, sending their matches in chunks.
func (v *service) stream(ctx context.Context, kind string, n int, st stream, run func(i int, emit func(storage.Fact) error) error) error {
	out := newMatchChunks(st)
	for i := 0; i < n; i++ {
		lookup := uint32(i)
		err := v.s.runDecided(ctx, func() error {
			return run(i, func(f storage.Fact) error {
				if err := out.add(&wire.Match{Lookup: lookup, Fact: wire.FromFact(f)}); err != nil {
					return err
				}
				return ctx.Err()
			})
		})
		if err != nil {
			return fmt.Errorf("%s lookup %d: %w", kind, i, err)
		}
	}
	return out.flush()
}

// matchChunks sends matches in chunks of at most chunkMatches matches and
// wire.ChunkBytes bytes; a match larger than that goes alone.
type matchChunks struct {
	st    stream
	chunk *wire.LookupChunk
	size  wire.Chunker
}

func newMatchChunks(st stream) *matchChunks {
	return &matchChunks{st: st, chunk: &wire.LookupChunk{}, size: wire.Chunker{MaxItems: chunkMatches}}
}

// add queues m, first sending the chunk it does not fit in, and sends the
// chunk once it is full.
func (c *matchChunks) add(m *wire.Match) error {
	n := m.SizeVT()
	if !c.size.Fits(n) {
		if err := c.flush(); err != nil {
			return err
		}
	}
	c.chunk.Matches = append(c.chunk.Matches, m)
	c.size.Add(n)
	if c.size.Full() {
		return c.flush()
	}
	return nil
}

// flush sends the queued matches, if any.
func (c *matchChunks) flush() error {
	if len(c.chunk.Matches) == 0 {
		return nil
	}
	n := len(c.chunk.Matches)
	err := c.st.Send(c.chunk)
	c.chunk = &wire.LookupChunk{}
	c.size.Reset()
	if err != nil {
		return fmt.Errorf("sending %d matches: %w", n, err)
	}
	return nil
}

func lookupError(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, viewstore.ErrCorrupt):
		return status.Error(codes.DataLoss, err.Error())
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.Unavailable, err.Error())
}

func (v *service) requireSpace(want byte, kind string) error {
	if v.s.store.Config().Space != want {
		return status.Errorf(codes.InvalidArgument, "%s is not served by a %s view", kind, v.s.cfg.Space)
	}
	return nil
}

func (v *service) LookupS(req *wire.LookupSRequest, st wire.View_LookupSServer) error {
	if err := v.requireSpace(storage.KeyPrefixSP, "LookupS"); err != nil {
		return err
	}
	return v.serve("S", req.Index, len(req.Subjects), st, func(r *viewstore.Reader, i int, emit func(storage.Fact) error) error {
		return r.LookupS(req.Index, req.Subjects[i], emit)
	})
}

func (v *service) LookupSP(req *wire.LookupSPRequest, st wire.View_LookupSPServer) error {
	if err := v.requireSpace(storage.KeyPrefixSP, "LookupSP"); err != nil {
		return err
	}
	return v.serve("SP", req.Index, len(req.Lookups), st, func(r *viewstore.Reader, i int, emit func(storage.Fact) error) error {
		l := req.Lookups[i]
		return r.LookupSP(req.Index, l.Subject, l.Predicate, emit)
	})
}

func (v *service) LookupSPO(req *wire.LookupSPORequest, st wire.View_LookupSPOServer) error {
	if err := v.requireSpace(storage.KeyPrefixSP, "LookupSPO"); err != nil {
		return err
	}
	return v.serve("SPO", req.Index, len(req.Lookups), st, func(r *viewstore.Reader, i int, emit func(storage.Fact) error) error {
		l := req.Lookups[i]
		o, err := wire.ToObject(l.Object)
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "object: %v", err)
		}
		return r.LookupSPO(req.Index, l.Subject, l.Predicate, o, emit)
	})
}

func (v *service) LookupPO(req *wire.LookupPORequest, st wire.View_LookupPOServer) error {
	if err := v.requireSpace(storage.KeyPrefixPO, "LookupPO"); err != nil {
		return err
	}
	return v.serve("PO", req.Index, len(req.Lookups), st, func(r *viewstore.Reader, i int, emit func(storage.Fact) error) error {
		l := req.Lookups[i]
		o, err := wire.ToObject(l.Object)
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "object: %v", err)
		}
		return r.LookupPO(req.Index, l.Predicate, o, emit)
	})
}

func (v *service) LookupPOCmp(req *wire.LookupPOCmpRequest, st wire.View_LookupPOCmpServer) error {
	if err := v.requireSpace(storage.KeyPrefixPO, "LookupPOCmp"); err != nil {
		return err
	}
	return v.serve("POCmp", req.Index, len(req.Lookups), st, func(r *viewstore.Reader, i int, emit func(storage.Fact) error) error {
		c, err := ToCmp(req.Lookups[i])
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "%v", err)
		}
		return r.LookupPOCmp(req.Index, c, emit)
	})
}

// LookupP streams every fact with each predicate. The matches of a
// predicate go out in chunks as the scan reads them, so a predicate of any
// size never sits whole in the view's memory.
func (v *service) LookupP(req *wire.LookupPRequest, st wire.View_LookupPServer) error {
	if err := v.requireSpace(storage.KeyPrefixPO, "LookupP"); err != nil {
		return err
	}
	return v.serve("P", req.Index, len(req.Predicates), st, func(r *viewstore.Reader, i int, emit func(storage.Fact) error) error {
		return r.LookupP(req.Index, req.Predicates[i], emit)
	})
}

// Scan streams every fact of the view's range as one lookup, in chunks as
// the scan reads them.
func (v *service) Scan(req *wire.ScanRequest, st wire.View_ScanServer) error {
	if err := v.requireSpace(storage.KeyPrefixSP, "Scan"); err != nil {
		return err
	}
	return v.serve("Scan", req.Index, 1, st, func(r *viewstore.Reader, _ int, emit func(storage.Fact) error) error {
		return r.Scan(req.Index, emit)
	})
}

func (v *service) Status(context.Context, *wire.ViewStatusRequest) (*wire.ViewStatusReply, error) {
	cfg := v.s.store.Config()
	return &wire.ViewStatusReply{
		Space:        string(v.s.cfg.Space),
		RangeStart:   cfg.RangeStart,
		RangeEnd:     cfg.RangeEnd,
		AppliedIndex: v.s.applied.Load(),
		Serving:      v.s.serving(),
	}, nil
}

// Drain sets or (undo) clears the draining mark and advertises it at once.
func (v *service) Drain(_ context.Context, req *wire.DrainRequest) (*wire.DrainReply, error) {
	if v.s.draining.Swap(!req.Undo) != !req.Undo {
		if req.Undo {
			v.s.log.Info().Msg("view is no longer draining")
		} else {
			v.s.log.Info().Msg("view is draining: API servers send it lookups only when no other up-to-date view covers its range")
		}
	}
	reply := &wire.DrainReply{Draining: !req.Undo, Serving: v.s.serving()}
	if v.s.kit != nil {
		if err := v.s.kit.Advertise(); err != nil {
			return nil, status.Errorf(codes.Unavailable, "advertising the draining mark in gossip: %v", err)
		}
		if g := v.s.kit.Gossip(); g != nil {
			reply.GossipName = g.Name()
		}
	}
	return reply, nil
}

// ToCmp converts a wire comparison lookup to the store's form.
func ToCmp(w *wire.POCmp) (viewstore.Cmp, error) {
	c := viewstore.Cmp{Predicate: w.Predicate}
	switch w.Op {
	case wire.CmpOp_CMP_EQ:
		c.Op = viewstore.CmpEq
	case wire.CmpOp_CMP_NE:
		c.Op = viewstore.CmpNotEqual
	case wire.CmpOp_CMP_GT:
		c.Op = viewstore.CmpGt
	case wire.CmpOp_CMP_GTE:
		c.Op = viewstore.CmpGte
	case wire.CmpOp_CMP_LT:
		c.Op = viewstore.CmpLt
	case wire.CmpOp_CMP_LTE:
		c.Op = viewstore.CmpLte
	case wire.CmpOp_CMP_PREFIX:
		c.Op = viewstore.CmpPrefix
	case wire.CmpOp_CMP_RANGE:
		c.Op = viewstore.CmpRange
	case wire.CmpOp_CMP_ANY:
		c.Op = viewstore.CmpAny
		return c, nil
	default:
		return c, fmt.Errorf("unknown comparison operator %v", w.Op)
	}
	var err error
	if c.Value, err = wire.ToObject(w.Value); err != nil {
		return c, fmt.Errorf("comparison value: %w", err)
	}
	if c.Op == viewstore.CmpRange {
		if c.End, err = wire.ToObject(w.End); err != nil {
			return c, fmt.Errorf("range end: %w", err)
		}
	}
	return c, nil
}
