package apiserver

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/wire"
)

// rowsPerChunk bounds the rows in one streamed query reply.
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

func (a *service) Query(req *wire.QueryRequest, st wire.API_QueryServer) error {
	res, err := a.s.Query(st.Context(), req.Query, req.Index)
	if err != nil {
		return grpcError(err)
	}
	chunk := &wire.QueryChunk{Index: res.Index, Columns: res.Columns}
	for _, r := range res.Rows {
		chunk.Rows = append(chunk.Rows, wireRow(r))
		if len(chunk.Rows) == rowsPerChunk {
			if err := st.Send(chunk); err != nil {
				return err
			}
			chunk = &wire.QueryChunk{Index: res.Index}
		}
	}
	return st.Send(chunk)
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
	case errors.Is(err, ErrInvalid):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	}
	return status.Error(codes.Unavailable, err.Error())
}
