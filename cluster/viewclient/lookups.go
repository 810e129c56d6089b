package viewclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
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

// Point is a lookup that one point of one space answers: where the facts
// it finds live (see space.Space.Hash).
type Point interface {
	Space() space.Space
	Hash() uint64
}

// Space returns HashSP: facts are found by subject and predicate there.
func (SP) Space() space.Space { return space.HashSP }

// Hash returns the point of HashSP that holds the facts l finds.
func (l SP) Hash() uint64 {
	return l.Space().Hash(storage.Fact{Subject: l.Subject, Predicate: l.Predicate})
}

// Space returns HashSP: facts are found by subject and predicate there.
func (SPO) Space() space.Space { return space.HashSP }

// Hash returns the point of HashSP that holds the facts l finds.
func (l SPO) Hash() uint64 {
	return l.Space().Hash(storage.Fact{Subject: l.Subject, Predicate: l.Predicate})
}

// Space returns HashPO: facts are found by predicate and object there.
func (PO) Space() space.Space { return space.HashPO }

// Hash returns the point of HashPO that holds the facts l finds.
func (l PO) Hash() uint64 {
	return l.Space().Hash(storage.Fact{Predicate: l.Predicate, Object: l.Object})
}

// Place returns the space that answers lookups and the point of each.
func Place[L Point](lookups []L) (space.Space, []uint64) {
	var zero L
	points := make([]uint64, len(lookups))
	for i, l := range lookups {
		points[i] = l.Hash()
	}
	return zero.Space(), points
}

// pointRPC asks one view about the lookups at the given positions, in one
// request.
type pointRPC func(ctx context.Context, v wire.ViewClient, positions []int) ([]*wire.Match, error)

// lookupSize is the encoded size of the lookup at a position in its
// request.
type lookupSize func(position int) int

// targets returns the function fanout uses to (re-)read the views of sp.
func (c *Client) targets(sp space.Space) func() []fanout.Target {
	return func() []fanout.Target { return c.Targets(sp) }
}

// points runs point lookups: item i lives at hash points[i] of sp, and
// takes size(i) bytes in a request.
func (c *Client) points(ctx context.Context, class string, sp space.Space, points []uint64, size lookupSize, emit Emit, rpc pointRPC) error {
	if len(points) == 0 {
		return nil
	}
	items := make([]space.Range, len(points))
	for i, h := range points {
		items[i] = fanout.Point(h)
	}
	req := fanout.Request{Class: class, Items: items, Targets: c.targets(sp), Call: c.pointCall(rpc, size, emit)}
	if err := c.fanout.Run(ctx, req); err != nil {
		return fmt.Errorf("%s lookups: %w", sp, err)
	}
	return nil
}

// pointCall asks one view about the lookups of the units given, holding
// the matches back until fanout delivers the call.
func (c *Client) pointCall(rpc pointRPC, size lookupSize, emit Emit) fanout.Call {
	return func(ctx context.Context, t fanout.Target, units []fanout.Unit) (fanout.Deliver, error) {
		positions := make([]int, len(units))
		for i, u := range units {
			positions[i] = u.Item
		}
		v, err := c.view(t.Addr)
		if err != nil {
			return nil, err
		}
		matches, err := batchedRPC(ctx, v, positions, size, rpc)
		if err != nil {
			c.failed(t.Addr, err)
			return nil, err
		}
		facts, err := decode(matches, len(positions))
		if err != nil {
			return nil, err
		}
		return func(done []fanout.Unit) { deliverPoints(done, positions, matches, facts, emit) }, nil
	}
}

// batchedRPC asks one view about the lookups at positions in requests of
// at most wire.ChunkBytes (a larger lookup goes alone), one after another,
// and returns their matches as if from one request: each match's Lookup
// indexes positions.
func batchedRPC(ctx context.Context, v wire.ViewClient, positions []int, size lookupSize, rpc pointRPC) ([]*wire.Match, error) {
	var all []*wire.Match
	for _, b := range splitBySize(positions, size) {
		matches, err := rpc(ctx, v, positions[b.start:b.end])
		if err != nil {
			return nil, err
		}
		for _, m := range matches {
			if int(m.Lookup) >= b.end-b.start {
				return nil, fmt.Errorf("a view answered lookup %d of a request of %d", m.Lookup, b.end-b.start)
			}
			m.Lookup += uint32(b.start)
		}
		all = append(all, matches...)
	}
	return all, nil
}

// span is positions[start:end].
type span struct{ start, end int }

// splitBySize cuts positions into runs whose lookups fit wire.ChunkBytes.
func splitBySize(positions []int, size lookupSize) []span {
	var out []span
	var budget wire.Chunker
	start := 0
	for i, p := range positions {
		n := size(p)
		if !budget.Fits(n) {
			out = append(out, span{start, i})
			start = i
			budget.Reset()
		}
		budget.Add(n)
	}
	return append(out, span{start, len(positions)})
}

// deliverPoints emits the matches of the lookups whose units are done.
func deliverPoints(done []fanout.Unit, positions []int, matches []*wire.Match, facts []storage.Fact, emit Emit) {
	var want map[int]bool // nil: every lookup of the call
	if len(done) < len(positions) {
		want = make(map[int]bool, len(done))
		for _, u := range done {
			want[u.Item] = true
		}
	}
	for i, m := range matches {
		if p := positions[m.Lookup]; want == nil || want[p] {
			emit(p, facts[i])
		}
	}
}

// LookupSP finds the facts with each subject and predicate as of index.
func (c *Client) LookupSP(ctx context.Context, index uint64, lookups []SP, emit Emit) error {
	sp, points := Place(lookups)
	size := func(p int) int {
		return (&wire.SP{Subject: lookups[p].Subject, Predicate: lookups[p].Predicate}).SizeVT()
	}
	return c.points(ctx, "LookupSP", sp, points, size, emit, func(ctx context.Context, v wire.ViewClient, pos []int) ([]*wire.Match, error) {
		req := &wire.LookupSPRequest{Index: index}
		for _, p := range pos {
			req.Lookups = append(req.Lookups, &wire.SP{Subject: lookups[p].Subject, Predicate: lookups[p].Predicate})
		}
		return drain(v.LookupSP(ctx, req))
	})
}

// LookupSPO finds the facts with each subject, predicate and object.
func (c *Client) LookupSPO(ctx context.Context, index uint64, lookups []SPO, emit Emit) error {
	sp, points := Place(lookups)
	size := func(p int) int {
		l := lookups[p]
		return (&wire.SPO{Subject: l.Subject, Predicate: l.Predicate, Object: wire.FromObject(l.Object)}).SizeVT()
	}
	return c.points(ctx, "LookupSPO", sp, points, size, emit, func(ctx context.Context, v wire.ViewClient, pos []int) ([]*wire.Match, error) {
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
	sp, points := Place(lookups)
	size := func(p int) int {
		return (&wire.PO{Predicate: lookups[p].Predicate, Object: wire.FromObject(lookups[p].Object)}).SizeVT()
	}
	return c.points(ctx, "LookupPO", sp, points, size, emit, func(ctx context.Context, v wire.ViewClient, pos []int) ([]*wire.Match, error) {
		req := &wire.LookupPORequest{Index: index}
		for _, p := range pos {
			req.Lookups = append(req.Lookups, &wire.PO{Predicate: lookups[p].Predicate, Object: wire.FromObject(lookups[p].Object)})
		}
		return drain(v.LookupPO(ctx, req))
	})
}

// coverRPC opens the stream of one view's reply to every lookup of a
// request.
type coverRPC func(ctx context.Context, v wire.ViewClient) (chunkStream, error)

// StreamAfter is how many matches of a view's reply a cover call
// (LookupS, LookupP, LookupPOCmp, Scan) holds back: a longer reply is
// streamed (see coverCall). WithStreamAfter changes it.
const StreamAfter = 64 << 10

// cover runs n lookups that need every view range of sp: the fanout cuts
// the whole space at view boundaries, each call asks one view for all n
// lookups, and only facts hashing into the call's delivered units are
// kept, so each fact is reported once even mid-reshard.
//
// A reply that turned out too large to hold is streamed while fanout
// delivers it (see coverCall); if its stream then fails, cover fails
// with that error, whatever fanout made of the rest.
func (c *Client) cover(ctx context.Context, class string, sp space.Space, n int, emit Emit, rpc coverRPC) error {
	if n == 0 {
		return nil
	}
	// Every stream is opened under ctx, so that it outlives its call's
	// context (fanout cancels that before it delivers); returning closes
	// the ones no Deliver read to the end.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st := &coverState{ctx: ctx, cancel: cancel, pending: map[*pendingStream]struct{}{}}
	req := fanout.Request{Class: class, Items: []space.Range{space.Full()}, Targets: c.targets(sp), Call: c.coverCall(st, n, sp, rpc, emit)}
	err := c.fanout.Run(ctx, req)
	if ferr := st.failure(); ferr != nil {
		return fmt.Errorf("%s lookups: %w", sp, ferr)
	}
	if err != nil {
		return fmt.Errorf("%s lookups: %w", sp, err)
	}
	return nil
}

// coverState is what the calls of one cover share: the failure of a
// streamed reply, and the streamed replies not delivered yet.
type coverState struct {
	ctx    context.Context // the cover's: streams are opened under it
	cancel context.CancelFunc

	mu        sync.Mutex
	err       error                       // the first streamed reply that failed
	delivered []fanout.Unit               // units delivered so far
	pending   map[*pendingStream]struct{} // streamed replies awaiting Deliver
}

// pendingStream is a call that returned a streaming Deliver, which fanout
// may never call (another call, e.g. a hedge, answered its units first).
type pendingStream struct {
	units []fanout.Unit
	close context.CancelFunc
}

// fail records the failure of a streamed reply and ends the cover: its
// facts were emitted in part, so nothing may answer for them instead.
func (s *coverState) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	s.cancel()
}

func (s *coverState) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// wait registers a streamed reply that awaits its Deliver; it returns
// false (and closes the stream) when its units are delivered already.
func (s *coverState) wait(p *pendingStream) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.answered(p.units) {
		p.close()
		return false
	}
	s.pending[p] = struct{}{}
	return true
}

// delivering notes that p's Deliver runs for done, and closes the streams
// of the replies left with nothing to deliver: they would otherwise hold
// their views' streams open until the cover ends.
func (s *coverState) delivering(p *pendingStream, done []fanout.Unit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p != nil {
		delete(s.pending, p)
	}
	s.delivered = append(s.delivered, done...)
	for q := range s.pending {
		if s.answered(q.units) {
			q.close()
			delete(s.pending, q)
		}
	}
}

// answered reports whether each unit lies inside one delivered unit (a
// unit covered only by several pieces counts as not answered: its stream
// then stays open until the cover ends, which is safe).
func (s *coverState) answered(units []fanout.Unit) bool {
	for _, u := range units {
		in := false
		for _, d := range s.delivered {
			if d.Item == u.Item && d.Range.Contains(u.Range.Start) && d.Range.Contains(u.Range.End) {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	return true
}

// found is one match of a reply: a fact and the lookup it answers.
type found struct {
	lookup int
	f      storage.Fact
}

// coverCall asks one view for all n lookups; fanout delivers the facts
// that hash into the units the call won.
//
// The call holds up to streamAfter matches back. A reply that ends within
// them is delivered whole, as a point lookup's is: a stream that breaks
// before is discarded, and fanout asks another replica, or hedges a slow
// call, transparently. A larger reply is not held whole: the call returns
// once it holds more than streamAfter matches (at most a chunk more), and
// its Deliver emits them and then the rest of the stream as it arrives. Such a reply is no longer
// retried if its stream breaks (its first facts were emitted already and
// a retry would emit them again, or lose the ones in between); the
// failure is recorded and the cover fails with it: a query over a broken
// stream fails rather than answers short.
func (c *Client) coverCall(st *coverState, n int, sp space.Space, rpc coverRPC, emit Emit) fanout.Call {
	return func(ctx context.Context, t fanout.Target, units []fanout.Unit) (fanout.Deliver, error) {
		v, err := c.view(t.Addr)
		if err != nil {
			return nil, err
		}
		// The stream lives under the cover's context, and until the call
		// streams, also under the call's.
		sctx, closeStream := context.WithCancel(st.ctx)
		stop := context.AfterFunc(ctx, closeStream)
		stream, err := rpc(sctx, v)
		if err != nil {
			stop()
			closeStream()
			c.failed(t.Addr, err)
			return nil, err
		}
		held, more, err := fill(stream, n, c.streamAfter)
		if err != nil || !more {
			stop()
			closeStream()
		}
		if err != nil {
			c.failed(t.Addr, err)
			return nil, err
		}
		if !more {
			return func(done []fanout.Unit) {
				st.delivering(nil, done)
				emitFound(held, done, sp, emit)
			}, nil
		}
		if !stop() {
			// The call was cancelled (its units were answered elsewhere, or
			// the request ended), and with it the stream.
			closeStream()
			return nil, fmt.Errorf("view %s: streamed reply abandoned: %w", t.Addr, context.Cause(ctx))
		}
		p := &pendingStream{units: slices.Clone(units), close: closeStream}
		if !st.wait(p) {
			return nil, fmt.Errorf("view %s: streamed reply abandoned: its units were answered elsewhere", t.Addr)
		}
		return func(done []fanout.Unit) {
			defer closeStream()
			st.delivering(p, done)
			emitFound(held, done, sp, emit)
			read := len(held)
			held = nil // only the current chunk is held from here on
			for {
				chunk, err := stream.Recv()
				if err == nil {
					var more []found
					more, err = decodeFound(chunk.Matches, n)
					read += len(more)
					emitFound(more, done, sp, emit)
				}
				if err == nil {
					continue
				}
				if isEOF(err) {
					return
				}
				if cerr := st.ctx.Err(); cerr != nil {
					err = cerr // the request ended: that is why the stream broke
				} else {
					c.failed(t.Addr, err)
				}
				st.fail(fmt.Errorf("view %s failed after %d facts of a streamed reply (not retried: they were emitted already): %w", t.Addr, read, err))
				return
			}
		}, nil
	}
}

// fill reads a reply's stream to its end, or until it holds more than
// limit matches (at most limit and the chunk that passed it); more
// reports that the stream goes on.
func fill(st chunkStream, n, limit int) (held []found, more bool, err error) {
	for len(held) <= limit {
		chunk, err := st.Recv()
		if err != nil {
			if isEOF(err) {
				return held, false, nil
			}
			return nil, false, err
		}
		fs, err := decodeFound(chunk.Matches, n)
		if err != nil {
			return nil, false, err
		}
		held = append(held, fs...)
	}
	return held, true, nil
}

// decodeFound converts matches to facts, checking that each names one of
// the n lookups asked.
func decodeFound(matches []*wire.Match, n int) ([]found, error) {
	facts, err := decode(matches, n)
	if err != nil {
		return nil, err
	}
	out := make([]found, len(facts))
	for i, f := range facts {
		out[i] = found{lookup: int(matches[i].Lookup), f: f}
	}
	return out, nil
}

// emitFound emits the matches whose facts hash into the done units.
func emitFound(fs []found, done []fanout.Unit, sp space.Space, emit Emit) {
	for _, m := range fs {
		if inAny(done, sp.Hash(m.f)) {
			emit(m.lookup, m.f)
		}
	}
}

func inAny(units []fanout.Unit, h uint64) bool {
	for _, u := range units {
		if u.Range.Contains(h) {
			return true
		}
	}
	return false
}

// LookupS finds the facts with each subject, asking every HashSP range.
func (c *Client) LookupS(ctx context.Context, index uint64, subjects []uint64, emit Emit) error {
	return c.cover(ctx, "LookupS", space.HashSP, len(subjects), emit, func(ctx context.Context, v wire.ViewClient) (chunkStream, error) {
		return v.LookupS(ctx, &wire.LookupSRequest{Index: index, Subjects: subjects})
	})
}

// LookupPOCmp finds the facts matching each comparison, asking every
// HashPO range.
func (c *Client) LookupPOCmp(ctx context.Context, index uint64, lookups []*wire.POCmp, emit Emit) error {
	return c.cover(ctx, "LookupPOCmp", space.HashPO, len(lookups), emit, func(ctx context.Context, v wire.ViewClient) (chunkStream, error) {
		return v.LookupPOCmp(ctx, &wire.LookupPOCmpRequest{Index: index, Lookups: lookups})
	})
}

// LookupP finds every fact with each predicate, asking every HashPO range:
// a predicate's facts spread over all of HashPO, as their objects differ.
func (c *Client) LookupP(ctx context.Context, index uint64, predicates []uint64, emit Emit) error {
	return c.cover(ctx, "LookupP", space.HashPO, len(predicates), emit, func(ctx context.Context, v wire.ViewClient) (chunkStream, error) {
		return v.LookupP(ctx, &wire.LookupPRequest{Index: index, Predicates: predicates})
	})
}

// Scan finds every fact as of index, asking every HashSP range; each
// match is lookup 0.
func (c *Client) Scan(ctx context.Context, index uint64, emit Emit) error {
	return c.cover(ctx, "Scan", space.HashSP, 1, emit, func(ctx context.Context, v wire.ViewClient) (chunkStream, error) {
		return v.Scan(ctx, &wire.ScanRequest{Index: index})
	})
}
