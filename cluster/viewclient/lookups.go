package viewclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

func isEOF(err error) bool { return errors.Is(err, io.EOF) }

// SP is a lookup by subject and predicate.
type SP struct{ Subject, Predicate uint64 }

// SPO is a lookup by subject, predicate and object.
type SPO struct {
	Subject, Predicate uint64
	Object             storage.Object
}

// PO is a lookup by predicate and object.
type PO struct {
	Predicate uint64
	Object    storage.Object
}

// points runs point lookups: item i lives at hash points[i] of sp.
func (c *Client) points(ctx context.Context, sp space.Space, points []uint64, emit Emit,
	rpc func(ctx context.Context, v wire.ViewClient, positions []int) ([]*wire.Match, error)) error {
	if len(points) == 0 {
		return nil
	}
	col := collector{mu: &sync.Mutex{}, emit: emit}
	err := fanout.Run(ctx, c.Targets(sp), points, func(ctx context.Context, t fanout.Target, positions []int) error {
		v, err := c.view(t.Addr)
		if err != nil {
			return err
		}
		matches, err := rpc(ctx, v, positions)
		if err != nil {
			return err
		}
		return col.commit(matches, positions, nil)
	})
	if err != nil {
		return fmt.Errorf("%s lookups: %w", sp, err)
	}
	return nil
}

// LookupSP finds the facts with each subject and predicate as of index.
func (c *Client) LookupSP(ctx context.Context, index uint64, lookups []SP, emit Emit) error {
	points := make([]uint64, len(lookups))
	for i, l := range lookups {
		points[i] = storage.HashSP(l.Subject, l.Predicate)
	}
	return c.points(ctx, space.HashSP, points, emit, func(ctx context.Context, v wire.ViewClient, pos []int) ([]*wire.Match, error) {
		req := &wire.LookupSPRequest{Index: index}
		for _, p := range pos {
			req.Lookups = append(req.Lookups, &wire.SP{Subject: lookups[p].Subject, Predicate: lookups[p].Predicate})
		}
		return drain(v.LookupSP(ctx, req))
	})
}

// LookupSPO finds the facts with each subject, predicate and object.
func (c *Client) LookupSPO(ctx context.Context, index uint64, lookups []SPO, emit Emit) error {
	points := make([]uint64, len(lookups))
	for i, l := range lookups {
		points[i] = storage.HashSP(l.Subject, l.Predicate)
	}
	return c.points(ctx, space.HashSP, points, emit, func(ctx context.Context, v wire.ViewClient, pos []int) ([]*wire.Match, error) {
		req := &wire.LookupSPORequest{Index: index}
		for _, p := range pos {
			l := lookups[p]
			req.Lookups = append(req.Lookups, &wire.SPO{Subject: l.Subject, Predicate: l.Predicate, Object: wire.FromObject(l.Object)})
		}
		return drain(v.LookupSPO(ctx, req))
	})
}

// LookupPO finds the facts with each predicate and object.
func (c *Client) LookupPO(ctx context.Context, index uint64, lookups []PO, emit Emit) error {
	points := make([]uint64, len(lookups))
	for i, l := range lookups {
		points[i] = storage.HashPO(l.Predicate, l.Object)
	}
	return c.points(ctx, space.HashPO, points, emit, func(ctx context.Context, v wire.ViewClient, pos []int) ([]*wire.Match, error) {
		req := &wire.LookupPORequest{Index: index}
		for _, p := range pos {
			req.Lookups = append(req.Lookups, &wire.PO{Predicate: lookups[p].Predicate, Object: wire.FromObject(lookups[p].Object)})
		}
		return drain(v.LookupPO(ctx, req))
	})
}

// cover runs lookups that need every view range of sp: each call asks one
// view for all items and keeps only facts hashing into the sub-ranges the
// fanout assigned to it.
func (c *Client) cover(ctx context.Context, sp space.Space, n int, emit Emit, hash func(storage.Fact) uint64,
	rpc func(ctx context.Context, v wire.ViewClient) ([]*wire.Match, error)) error {
	if n == 0 {
		return nil
	}
	targets := c.Targets(sp)
	ranges := make([]space.Range, len(targets))
	for i, t := range targets {
		ranges[i] = t.Range
	}
	if gaps := space.Uncovered(ranges); len(gaps) > 0 {
		return fmt.Errorf("%s lookups: range %s: %w", sp, gaps[0], fanout.ErrUncovered)
	}
	points, subranges := fanout.Cover(targets)
	identity := make([]int, n)
	for i := range identity {
		identity[i] = i
	}
	col := collector{mu: &sync.Mutex{}, emit: emit}
	err := fanout.Run(ctx, targets, points, func(ctx context.Context, t fanout.Target, positions []int) error {
		v, err := c.view(t.Addr)
		if err != nil {
			return err
		}
		matches, err := rpc(ctx, v)
		if err != nil {
			return err
		}
		mine := make([]space.Range, len(positions))
		for i, p := range positions {
			mine[i] = subranges[p]
		}
		return col.commit(matches, identity, func(f storage.Fact) bool { return inAny(mine, hash(f)) })
	})
	if err != nil {
		return fmt.Errorf("%s lookups: %w", sp, err)
	}
	return nil
}

func inAny(ranges []space.Range, h uint64) bool {
	for _, r := range ranges {
		if r.Contains(h) {
			return true
		}
	}
	return false
}

func hashSP(f storage.Fact) uint64 { return storage.HashSP(f.Subject, f.Predicate) }
func hashPO(f storage.Fact) uint64 { return storage.HashPO(f.Predicate, f.Object) }

// LookupS finds the facts with each subject, asking every HashSP range.
func (c *Client) LookupS(ctx context.Context, index uint64, subjects []uint64, emit Emit) error {
	return c.cover(ctx, space.HashSP, len(subjects), emit, hashSP, func(ctx context.Context, v wire.ViewClient) ([]*wire.Match, error) {
		return drain(v.LookupS(ctx, &wire.LookupSRequest{Index: index, Subjects: subjects}))
	})
}

// LookupPOCmp finds the facts matching each comparison, asking every
// HashPO range.
func (c *Client) LookupPOCmp(ctx context.Context, index uint64, lookups []*wire.POCmp, emit Emit) error {
	return c.cover(ctx, space.HashPO, len(lookups), emit, hashPO, func(ctx context.Context, v wire.ViewClient) ([]*wire.Match, error) {
		return drain(v.LookupPOCmp(ctx, &wire.LookupPOCmpRequest{Index: index, Lookups: lookups}))
	})
}
