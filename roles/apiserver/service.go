package apiserver

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/wire"
)

// rowsPerChunk bounds the rows in one streamed query reply; wire.ChunkBytes
// bounds its size.
const rowsPerChunk = 1000

type service struct {
	wire.UnimplementedAPIServer
	s *Server
}

func (a *service) Insert(ctx context.Context, req *wire.InsertRequest) (*wire.InsertReply, error) {
	res, err := a.s.Insert(ctx, req.Format, req.Data)
	if err != nil {
		return nil, grpcError(err)
	}
	return &wire.InsertReply{Index: res.Index, FactsInserted: uint64(res.Inserted), FactsExisting: uint64(res.Existing)}, nil
}

// Query streams the answer as the engine produces it: a header chunk, then
// rows in chunks of at most rowsPerChunk rows and wire.ChunkBytes bytes (a
// larger row goes alone), then (explain) operator stats.
func (a *service) Query(req *wire.QueryRequest, st wire.API_QueryServer) error {
	p := QueryParams{Text: req.Query, Index: req.Index, Consistency: req.Consistency, Explain: req.Explain}
	err := a.s.QueryStream(st.Context(), p, func(c *engine.Chunk) error {
		return sendChunk(st, c)
	})
	if err != nil {
		return grpcError(err)
	}
	return nil
}

// chunkSender is the sending half of a query stream.
type chunkSender interface {
	Send(*wire.QueryChunk) error
}

// sendChunk sends an engine chunk as one or more wire chunks: the first
// carries its header, every one at most rowsPerChunk rows and
// wire.ChunkBytes bytes of rows unless it holds a single larger row.
func sendChunk(st chunkSender, c *engine.Chunk) error {
	out := &wire.QueryChunk{Index: c.Index, Columns: c.Columns, Plan: c.Plan, Analysis: c.Analysis}
	for i, op := range c.Operators {
		w := wireOperator(op)
		w.Id = uint32(i)
		out.Operators = append(out.Operators, w)
	}
	budget := wire.Chunker{MaxItems: rowsPerChunk}
	for _, r := range c.Rows {
		row := wireRow(r)
		n := row.SizeVT()
		if !budget.Fits(n) {
			if err := st.Send(out); err != nil {
				return err
			}
			out = &wire.QueryChunk{}
			budget.Reset()
		}
		out.Rows = append(out.Rows, row)
		budget.Add(n)
	}
	return st.Send(out)
}

func wireOperator(op engine.OperatorStats) *wire.OperatorStats {
	return &wire.OperatorStats{
		Depth: uint32(op.Depth), Operator: op.Label, EstRows: op.EstRows, EstCost: op.EstCost,
		Rows: op.Rows, Rpcs: op.RPCs, Lookups: op.Lookups, Nanos: op.Duration.Nanoseconds(),
	}
}

func wireRow(r []engine.Value) *wire.Row {
	out := &wire.Row{Values: make([]*wire.Value, len(r))}
	for i, v := range r {
		if v.Unbound {
			out.Values[i] = &wire.Value{Unbound: true}
			continue
		}
		out.Values[i] = &wire.Value{Object: wire.FromObject(v.Object), Text: v.Text}
	}
	return out
}

func grpcError(err error) error {
	switch {
	case errors.Is(err, ErrRequestTooLarge):
		return status.Error(codes.ResourceExhausted, err.Error())
	case errors.Is(err, ErrInvalid):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	}
	return status.Error(codes.Unavailable, err.Error())
}
