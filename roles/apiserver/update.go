package apiserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/query/update"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// DefaultTxTimeout is how long a transaction may stay undecided before
// the API server's timer aborts it.
const DefaultTxTimeout = 10 * time.Second

// Delete removes the facts described in tsv data atomically.
func (s *Server) Delete(ctx context.Context, format, data string) (update.Result, error) {
	return s.change(ctx, "delete", func() (update.Request, error) {
		if format != "" && format != "tsv" {
			return update.Request{}, fmt.Errorf("%w: unknown delete format %q (supported: tsv)", ErrInvalid, format)
		}
		del, err := parser.ParseDelete(data)
		if err != nil {
			return update.Request{}, fmt.Errorf("%w: parsing delete: %v", ErrInvalid, err)
		}
		return update.Request{Delete: del}, nil
	})
}

// Update deletes and inserts atomically; data is
// `DELETE DATA { ... } ; INSERT DATA { ... }`.
func (s *Server) Update(ctx context.Context, format, data string) (update.Result, error) {
	return s.change(ctx, "update", func() (update.Request, error) {
		if format != "" && format != "sparql" {
			return update.Request{}, fmt.Errorf("%w: unknown update format %q (supported: sparql, i.e. DELETE DATA { ... } ; INSERT DATA { ... })", ErrInvalid, format)
		}
		up, err := parser.ParseUpdate(data)
		if err != nil {
			return update.Request{}, fmt.Errorf("%w: parsing update: %v", ErrInvalid, err)
		}
		return update.Request{Delete: up.Delete, Insert: up.Insert}, nil
	})
}

// change parses a request and applies it as one transaction.
func (s *Server) change(ctx context.Context, kind string, parse func() (update.Request, error)) (update.Result, error) {
	start := time.Now()
	res, err := func() (update.Result, error) {
		req, err := parse()
		if err != nil {
			return update.Result{}, err
		}
		return s.applyTx(ctx, req)
	}()
	s.metrics.observe(kind, start, err)
	return res, err
}

// applyTx applies req as one transaction; a request too large for one
// log entry is the client's to fix (ErrInvalid).
func (s *Server) applyTx(ctx context.Context, req update.Request) (update.Result, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	res, err := s.inserter.Apply(ctx, req)
	if errors.Is(err, update.ErrTooLarge) || errors.Is(err, update.ErrLiteralTooLarge) {
		return res, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return res, err
}

// startTimer runs the transaction timer and the floor registration, and
// records the server in the log's directory, until the server stops.
func (s *Server) startTimer() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopTimer = cancel
	timeout := s.cfg.TxTimeout
	if timeout <= 0 {
		timeout = DefaultTxTimeout
	}
	t := &update.Timer{Log: s.logc, Timeout: timeout, Pending: s.pendingTxs, Logger: s.log}
	s.goRun(func() { t.Run(ctx) })
	s.startFloor(ctx)
	// Recorded in the log so that `ctl log upgrade` knows which log
	// versions this server reads, even while it is down.
	s.goRun(func() {
		s.logc.KeepServerRecorded(ctx, &wire.ServerRecord{Role: "api", GrpcAddr: logclient.ServerName(s.GRPCAddr()),
			Cluster: s.cfg.Cluster, Dc: s.cfg.DC, MaxLogVersion: cmp.Or(s.cfg.MaxLogVersion, logentry.MaxSupportedVersion)},
			func(err error) {
				s.log.Warn().Err(err).Msg("could not record this API server in the log's directory; retrying")
			})
	})
}

func updateReply(res update.Result) *wire.UpdateReply {
	return &wire.UpdateReply{
		Index: res.Index, FactsInserted: uint64(res.Inserted), FactsExisting: uint64(res.Existing),
		FactsDeleted: uint64(res.Deleted), FactsMissing: uint64(res.Missing),
	}
}

func (a *service) Delete(ctx context.Context, req *wire.InsertRequest) (*wire.UpdateReply, error) {
	res, err := a.s.Delete(ctx, req.Format, req.Data)
	if err != nil {
		return nil, grpcError(err)
	}
	return updateReply(res), nil
}

func (a *service) Update(ctx context.Context, req *wire.InsertRequest) (*wire.UpdateReply, error) {
	res, err := a.s.Update(ctx, req.Format, req.Data)
	if err != nil {
		return nil, grpcError(err)
	}
	return updateReply(res), nil
}

// UpdateResponse is the JSON answer to a delete or update.
type UpdateResponse struct {
	Index    uint64 `json:"index"`
	Inserted int    `json:"inserted"`
	Existing int    `json:"existing"`
	Deleted  int    `json:"deleted"`
	Missing  int    `json:"missing"`
}

// handleChange serves POST /v1/delete and /v1/update, whose bodies are
// like /v1/insert's.
func (s *Server) handleChange(apply func(ctx context.Context, format, data string) (update.Result, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req InsertRequest
		if !decodeBody(w, r, &req, func(text string) { req.Data = text }) {
			return
		}
		res, err := apply(r.Context(), req.Format, req.Data)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, UpdateResponse{Index: res.Index, Inserted: res.Inserted, Existing: res.Existing, Deleted: res.Deleted, Missing: res.Missing})
	}
}

// pendingTxs collects the undecided transactions the views advertise.
func (s *Server) pendingTxs() []uint64 {
	var out []uint64
	for _, m := range s.gossip.Members() {
		if m.Meta.Role == "view" {
			out = append(out, m.Meta.PendingTxs...)
		}
	}
	return out
}
