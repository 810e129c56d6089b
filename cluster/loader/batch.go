package loader

import (
	"context"
	"io"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/update"
	"github.com/akutan-dev/akutan/storage"
)

// batch is a run of facts sent as one request, re-serialized as N-Triples
// (so Turtle needs no support on the server and its positions stay here).
type batch struct {
	seq        int
	facts      int
	data       []byte
	start, end rdf.Position // of the batch's first and last facts
	read       int64        // input bytes read when the batch was cut
}

// reader is the parser for the load's input.
func (l *Loader) reader(turtle bool) rdf.Reader {
	if turtle {
		return rdf.NewTurtleReader(l.in, l.cfg.Base)
	}
	return rdf.NewNTriplesReader(l.in)
}

// produce parses the input into batches until it ends, it fails, or ctx
// is cancelled. A syntax error sends nothing of the batch it falls in,
// nor anything at all while the batches before it are still held back
// (the first Config.PreScanBytes of them).
func (l *Loader) produce(ctx context.Context, turtle bool, out chan<- *batch) error {
	r := l.reader(turtle)
	var n uint64
	held := &heldBatches{limit: l.cfg.PreScanBytes}
	b := &batch{}
	for {
		t, err := r.Next()
		if err == io.EOF {
			if b.facts > 0 {
				b.read = l.in.BytesRead()
				held.add(b)
			}
			held.release(ctx, out)
			return ctx.Err()
		}
		if err != nil {
			return err // dropping b and whatever is held
		}
		if n++; n <= l.cfg.Skip {
			continue
		}
		if err := l.checkSize(t); err != nil {
			if b.facts > 0 {
				b.read = l.in.BytesRead()
				emit(ctx, b, out)
			}
			return err
		}
		mark := len(b.data)
		b.data = rdf.AppendNTriples(b.data, t)
		if b.facts > 0 && len(b.data) > l.cfg.MaxBatchBytes {
			// The line starts the next batch instead.
			line := append([]byte(nil), b.data[mark:]...)
			b.data = b.data[:mark]
			b.read = l.in.BytesRead()
			if !emit(ctx, b, out) {
				return ctx.Err()
			}
			b = l.nextBatch(b)
			b.data = append(b.data, line...)
		}
		if b.facts == 0 {
			b.start = t.Pos
		}
		b.end = t.Pos
		if b.facts++; b.facts >= l.cfg.BatchFacts || len(b.data) >= l.cfg.MaxBatchBytes {
			b.read = l.in.BytesRead()
			held.add(b)
			if held.full() && !held.release(ctx, out) {
				return ctx.Err()
			}
			b = l.nextBatch(b)
		}
	}
}

// nextBatch starts the batch after prev, with room for as many bytes as
// prev holds and an eighth more: growing a megabyte by appends copied it
// several times over, a fifth of the loader's CPU.
func (l *Loader) nextBatch(prev *batch) *batch {
	return &batch{seq: prev.seq + 1, data: make([]byte, 0, min(len(prev.data)+len(prev.data)/8, l.cfg.MaxBatchBytes))}
}

// checkSize refuses a triple the server would refuse for a literal or
// name over storage.MaxLiteralBytes, naming its place in the input (the
// server only sees its place in a batch). Only triples long enough to come
// near the limit are mapped for the exact check.
func (l *Loader) checkSize(t rdf.Triple) error {
	const slack = 128 // more than a stored name adds to its IRI or label
	if len(t.S.Value)+len(t.P.Value)+len(t.O.Value)+len(t.O.Datatype) < storage.MaxLiteralBytes-slack {
		return nil
	}
	return update.CheckQuad(rdf.Mapper{LoadID: l.format.LoadID}.Quad(t))
}

// heldBatches are the first batches of a load, held back until limit
// bytes of them have parsed; once released, it holds nothing more.
type heldBatches struct {
	limit    int
	bytes    int
	batches  []*batch
	released bool
}

func (h *heldBatches) add(b *batch) {
	h.batches = append(h.batches, b)
	h.bytes += len(b.data)
}

func (h *heldBatches) full() bool { return h.released || h.bytes >= h.limit }

// release sends the held batches and holds none from then on; it reports
// false if ctx ended first.
func (h *heldBatches) release(ctx context.Context, out chan<- *batch) bool {
	h.released = true
	for len(h.batches) > 0 {
		if !emit(ctx, h.batches[0], out) {
			return false
		}
		h.batches = h.batches[1:]
	}
	return true
}

// emit hands b to the senders; it reports false if ctx ended first.
func emit(ctx context.Context, b *batch, out chan<- *batch) bool {
	select {
	case out <- b:
		return true
	case <-ctx.Done():
		return false
	}
}
