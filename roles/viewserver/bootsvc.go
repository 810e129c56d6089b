package viewserver

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/cluster/boot"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/storage/viewstore"
	"github.com/akutan-dev/akutan/wire"
)

// bootService implements wire.ViewBootServer: loads for booting peers, and
// digests for `akutan ctl verify`.
type bootService struct {
	wire.UnimplementedViewBootServer
	s *Server
}

// newCarousel returns the carousel serving loads from the view's store.
// It reads only while the view serves, so that a load never mixes a
// damaged or replaced store into its keys.
func (s *Server) newCarousel() *boot.Carousel {
	return boot.NewCarousel(boot.CarouselConfig{
		Scan: func(after []byte, max int, fn func(key, value []byte) error) ([]byte, bool, error) {
			if !s.serving() {
				return after, false, s.notServing()
			}
			return s.store.scanKeys(after, max, fn)
		},
	})
}

// Load implements wire.ViewBootServer.
func (b *bootService) Load(req *wire.LoadRequest, st wire.ViewBoot_LoadServer) error {
	want, err := b.want(req)
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	ctx := st.Context()
	if err := b.s.waitApplied(ctx, req.Index); err != nil {
		return lookupError(err)
	}
	if err := b.noPendingTx(req.Index); err != nil {
		return err
	}
	gen := b.s.store.generation()
	b.s.metrics.loadsServed.Inc()
	sum, err := b.s.carousel.Ride(ctx, want, func(keys, values [][]byte) error {
		return st.Send(&wire.LoadChunk{Keys: keys, Values: values})
	})
	b.s.metrics.loadKeysSent.Add(float64(sum.Keys))
	if err != nil {
		b.s.reportCorrupt(gen, err)
		return lookupError(fmt.Errorf("serving a load of %s as of %d: %w", want.Range, want.Index, err))
	}
	// The keys are only trustworthy if they all came from the store that
	// was serving when the load began.
	if !b.s.serving() || b.s.store.generation() != gen {
		return status.Error(codes.Unavailable, "the view stopped serving during the load")
	}
	var version viewstore.LogVersion
	if err := b.s.store.use(func(st *viewstore.Store, _ uint64) error {
		version = st.LogVersionInfo()
		return nil
	}); err != nil {
		return lookupError(err)
	}
	return st.Send(&wire.LoadChunk{Done: true, Count: sum.Keys, Digest: sum.Digest,
		LogVersion: version.Version, LogVersionIndex: version.Index})
}

// noPendingTx refuses a load while a transaction at or below its index is
// undecided. Such a transaction's keys are held aside, not stored as facts
// the load would stream, so the loaded view would miss them when it later
// applies the decision. Once no transaction at or below the index is
// pending, none can become pending (later ones have later indexes), and
// the keys of those decided are plain facts in every snapshot the ride
// reads. Transactions are decided quickly (the API's timer aborts
// abandoned ones), so the booting view just retries.
func (b *bootService) noPendingTx(index uint64) error {
	var tx uint64
	err := b.s.store.use(func(st *viewstore.Store, _ uint64) error {
		if p := st.Pending(); len(p) > 0 && p[0] <= index {
			tx = p[0]
		}
		return nil
	})
	if err != nil {
		return lookupError(err)
	}
	if tx != 0 {
		return status.Errorf(codes.Unavailable, "transaction %d, at or below the load's index %d, is undecided: retry after its decision", tx, index)
	}
	return nil
}

// want checks a load request against what the view holds.
func (b *bootService) want(req *wire.LoadRequest) (boot.Want, error) {
	own := b.s.cfg.Range
	r := space.Range{Start: req.RangeStart, End: req.RangeEnd}
	switch {
	case req.Space != string(b.s.cfg.Space):
		return boot.Want{}, fmt.Errorf("this view serves %s, not %q", b.s.cfg.Space, req.Space)
	case !r.Valid():
		return boot.Want{}, fmt.Errorf("range %s is empty", r)
	case r.Start < own.Start || r.End > own.End:
		return boot.Want{}, fmt.Errorf("range %s is not within this view's range %s", r, own)
	}
	if req.AfterIndex >= req.Index && req.AfterIndex != 0 {
		return boot.Want{}, fmt.Errorf("after_index %d is not below index %d", req.AfterIndex, req.Index)
	}
	return boot.Want{Range: r, Index: req.Index, After: req.AfterIndex}, nil
}

// Digest implements wire.ViewBootServer.
func (b *bootService) Digest(ctx context.Context, req *wire.DigestRequest) (*wire.DigestReply, error) {
	index := req.Index
	if index == 0 {
		index = b.s.applied.Load()
	}
	if err := b.s.waitApplied(ctx, index); err != nil {
		return nil, lookupError(err)
	}
	var digest, gen uint64
	err := b.s.store.use(func(st *viewstore.Store, g uint64) error {
		gen = g
		var err error
		digest, err = st.Digest(ctx, index)
		return err
	})
	if err != nil {
		b.s.reportCorrupt(gen, err)
		if errors.Is(err, viewstore.ErrNotApplied) {
			return nil, status.Error(codes.FailedPrecondition, err.Error())
		}
		return nil, lookupError(fmt.Errorf("computing the digest at %d: %w", index, err))
	}
	return &wire.DigestReply{
		Space: string(b.s.cfg.Space), RangeStart: b.s.cfg.Range.Start, RangeEnd: b.s.cfg.Range.End,
		Index: index, Digest: digest, AppliedIndex: b.s.applied.Load(),
	}, nil
}
