package boot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/storage/viewstore"
	"github.com/akutan-dev/akutan/wire"
)

// ScanFunc reads raw fact keys and their values in key order: the
// signature of (*viewstore.Store).ScanKeys. The carousel calls it once per
// batch, so each call may read a newer snapshot of the store.
type ScanFunc func(after []byte, max int, fn func(key, value []byte) error) (last []byte, end bool, err error)

// Want is what one load asks a source for: the keys whose hash lies in
// Range with a log index at most Index and above After (0: all).
type Want struct {
	Range space.Range
	Index uint64
	After uint64
}

// Summary totals what a ride delivered.
type Summary struct {
	Keys   uint64
	Bytes  uint64 // key and value bytes
	Digest uint64 // sum of viewstore.EntryDigest over the keys and values
}

// add totals a chunk of keys and values (nil: all empty).
func (s *Summary) add(keys, values [][]byte) {
	for i, k := range keys {
		var v []byte
		if values != nil {
			v = values[i]
		}
		s.Bytes += uint64(len(k) + len(v))
		s.Digest += viewstore.EntryDigest(k, v)
	}
	s.Keys += uint64(len(keys))
}

// splitEntries splits a chunk of entries (see viewstore.AppendEntry) into
// keys and values; values is nil when every value is empty.
func splitEntries(entries [][]byte) (keys, values [][]byte, err error) {
	keys = make([][]byte, len(entries))
	values = make([][]byte, len(entries))
	anyValue := false
	for i, e := range entries {
		if keys[i], values[i], err = viewstore.SplitEntry(e); err != nil {
			return nil, nil, err
		}
		anyValue = anyValue || len(values[i]) > 0
	}
	if !anyValue {
		values = nil
	}
	return keys, values, nil
}

// CarouselConfig configures a Carousel.
type CarouselConfig struct {
	Scan      ScanFunc
	BatchKeys int // keys read per Scan call; default 8192
	// ChunkBytes bounds the encoded size of the chunks handed to riders
	// (one key larger than that goes alone); default 1 MiB, at most
	// wire.ChunkBytes.
	ChunkBytes int
	Buffer     int // chunks buffered per rider; default 4
}

// ErrStopped is returned by rides on a stopped carousel.
var ErrStopped = errors.New("carousel stopped")

// Carousel serves concurrent loads from one store with one pass over it.
// A pass starts with the first rider and ends when no rider is left; a
// rider that joins a running pass sees the keys from where the scan is to
// the end, then, in the next revolution, from the start back to where it
// joined. Riders never wait for each other except through a full buffer:
// a slow rider slows the pass (as in the original design, which notes
// that a slow consumer could be moved to a dedicated scan if needed).
type Carousel struct {
	cfg CarouselConfig

	mu      sync.Mutex
	waiting []*rider
	running bool
	stopped bool

	done chan struct{} // closed by Stop
	wg   sync.WaitGroup

	revolutions atomic.Uint64
	scanned     atomic.Uint64
	onBoard     atomic.Int64
}

// NewCarousel returns an idle carousel over cfg.Scan.
func NewCarousel(cfg CarouselConfig) *Carousel {
	if cfg.BatchKeys <= 0 {
		cfg.BatchKeys = 8192
	}
	if cfg.ChunkBytes <= 0 {
		cfg.ChunkBytes = 1 << 20
	}
	cfg.ChunkBytes = min(cfg.ChunkBytes, wire.ChunkBytes)
	if cfg.Buffer <= 0 {
		cfg.Buffer = 4
	}
	return &Carousel{cfg: cfg, done: make(chan struct{})}
}

// Stop ends the running pass, failing its rides with ErrStopped, and waits
// for it. Later rides fail at once.
func (c *Carousel) Stop() {
	c.mu.Lock()
	if !c.stopped {
		c.stopped = true
		close(c.done)
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// Riders is how many rides are in progress (on board or about to board).
func (c *Carousel) Riders() int64 { return c.onBoard.Load() }

// Revolutions counts completed revolutions, over all passes.
func (c *Carousel) Revolutions() uint64 { return c.revolutions.Load() }

// Scanned counts the keys the carousel has read from the store.
func (c *Carousel) Scanned() uint64 { return c.scanned.Load() }

// rider is one load on the carousel. The pass owns every field but out,
// finished, gone and err, which hand results to Ride.
type rider struct {
	want     Want
	out      chan [][]byte // chunks, in order
	finished chan struct{} // closed by the pass after the last chunk
	gone     chan struct{} // closed by Ride when it returns
	err      error         // why the ride failed; set before finished closes

	joinAfter []byte // the last key scanned before boarding; nil: at a revolution start
	lapped    bool   // a revolution ended since boarding
	off       bool   // let off: finished is closed
}

// Ride boards the carousel and calls send, in the caller's goroutine, with
// every chunk of keys the want asks for and their values (nil when every
// value in the chunk is empty), until the carousel has gone all the way
// around. It returns the totals of what was sent.
func (c *Carousel) Ride(ctx context.Context, want Want, send func(keys, values [][]byte) error) (Summary, error) {
	r := &rider{
		want: want, out: make(chan [][]byte, c.cfg.Buffer),
		finished: make(chan struct{}), gone: make(chan struct{}),
	}
	defer close(r.gone)
	if err := c.board(r); err != nil {
		return Summary{}, err
	}
	defer c.onBoard.Add(-1)
	var sum Summary
	deliver := func(entries [][]byte) error {
		keys, values, err := splitEntries(entries)
		if err != nil {
			return fmt.Errorf("%w: %v", viewstore.ErrCorrupt, err)
		}
		if err := send(keys, values); err != nil {
			return fmt.Errorf("sending %d keys: %w", len(keys), err)
		}
		sum.add(keys, values)
		return nil
	}
	for {
		select {
		case keys := <-r.out:
			if err := deliver(keys); err != nil {
				return sum, err
			}
		case <-r.finished:
			return sum, drain(r, deliver)
		case <-ctx.Done():
			return sum, fmt.Errorf("riding the carousel: %w", ctx.Err())
		}
	}
}

// drain delivers the chunks left in a finished rider's buffer.
func drain(r *rider, deliver func([][]byte) error) error {
	for {
		select {
		case keys := <-r.out:
			if err := deliver(keys); err != nil {
				return err
			}
		default:
			return r.err
		}
	}
}

// board queues r and starts a pass if none is running.
func (c *Carousel) board(r *rider) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return ErrStopped
	}
	c.onBoard.Add(1)
	c.waiting = append(c.waiting, r)
	if !c.running {
		c.running = true
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			newPass(c).run()
		}()
	}
	return nil
}

// takeWaiting hands the queued riders to the pass. With no rider left on
// board (onBoard false) and none queued, it marks the pass as ended, so
// that the next rider starts a new one, and returns ok false.
func (c *Carousel) takeWaiting(onBoard bool) (riders []*rider, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	riders, c.waiting = c.waiting, nil
	if len(riders) == 0 && !onBoard {
		c.running = false
		return nil, false
	}
	return riders, true
}
