package apiserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/wire"
)

// indexChooser chooses the log index each read runs at. A linearizable
// read must see every write acknowledged before it began, so it needs the
// log's last index confirmed through Raft (a ReadIndex round) after it
// began: about a third of a small query's time. So that the read does
// not wait for it, the read starts at once at a guessed index, the
// highest this server has seen the log reach, while the log confirms.
// If the confirmed index is the guess, the answer at the guess is the
// answer at the confirmed index; otherwise the read runs again at the
// confirmed index. Nothing of a guessed read leaves the server before
// the confirmation (readGate), so a wrong guess is never seen.
type indexChooser struct {
	// readIndex chooses the index without guessing (Server.readIndex).
	readIndex func(ctx context.Context, p QueryParams) (uint64, error)
	// known returns an index the log has reached, 0 if none; nil: never
	// guess.
	known func() uint64
	// unguessed counts the reads left to run without a guess after a
	// wrong one: while others write, guesses keep missing, and each miss
	// costs the read twice.
	unguessed atomic.Int32
}

// missCooldown is how many reads run without a guess after a wrong guess.
const missCooldown = 16

// errWrongGuess ends a guessed read whose index the log did not confirm.
var errWrongGuess = errors.New("the guessed read index was not the log's last index")

// run runs read at the index p asks for. read must call gate.open before
// anything of its answer leaves the server, and stop when it fails.
func (c *indexChooser) run(ctx context.Context, p QueryParams, read func(ctx context.Context, index uint64, gate *readGate) error) error {
	guess := c.guess(p)
	if guess == 0 {
		index, err := c.readIndex(ctx, p)
		if err != nil {
			return err
		}
		return read(ctx, index, confirmedGate(index))
	}
	gate := &readGate{guess: guess, done: make(chan struct{})}
	go func() {
		defer close(gate.done)
		gate.index, gate.err = c.readIndex(ctx, p)
	}()
	readCtx, cancel := context.WithCancel(ctx)
	err := read(readCtx, guess, gate)
	cancel()
	<-gate.done // ends with ctx at the latest
	switch {
	case gate.err != nil:
		return gate.err
	case gate.index == guess:
		return err
	}
	c.unguessed.Store(missCooldown)
	return read(ctx, gate.index, confirmedGate(gate.index))
}

// guess returns the index to start a read at before the log confirms it,
// or 0 to wait for the log.
func (c *indexChooser) guess(p QueryParams) uint64 {
	if c.known == nil || p.Index != 0 || p.Consistency != wire.Consistency_CONSISTENCY_LINEARIZABLE {
		return 0
	}
	if n := c.unguessed.Load(); n > 0 {
		c.unguessed.CompareAndSwap(n, n-1)
		return 0
	}
	return c.known()
}

// readGate holds a guessed read's answer until the log confirms its index.
type readGate struct {
	guess uint64
	done  chan struct{} // closed once index and err are set
	index uint64
	err   error
}

// confirmedGate is the gate of a read at a confirmed index: always open.
func confirmedGate(index uint64) *readGate {
	g := &readGate{guess: index, index: index, done: make(chan struct{})}
	close(g.done)
	return g
}

// confirmed reports, without waiting, whether the log has answered.
func (g *readGate) confirmed() bool {
	select {
	case <-g.done:
		return true
	default:
		return false
	}
}

// open waits for the log and returns nil if the answer may leave: the
// read's index is the confirmed one. Otherwise the read must stop with
// the error.
func (g *readGate) open(ctx context.Context) error {
	select {
	case <-g.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	switch {
	case g.err != nil:
		return g.err
	case g.index != g.guess:
		return fmt.Errorf("%w (guessed %d, confirmed %d)", errWrongGuess, g.guess, g.index)
	}
	return nil
}

// maxHeldRows bounds the rows a guessed read holds before it waits for
// the log's confirmation.
const maxHeldRows = 4096

// gatedSend returns a send that holds chunks until gate opens (sending
// them then in order), and the flush to call once the read has ended
// without error.
func gatedSend(ctx context.Context, gate *readGate, send func(*engine.Chunk) error) (hold func(*engine.Chunk) error, flush func() error) {
	var held []*engine.Chunk
	rows, open := 0, false
	release := func() error {
		if err := gate.open(ctx); err != nil {
			return err
		}
		open = true
		for _, c := range held {
			if err := send(c); err != nil {
				return err
			}
		}
		held = nil
		return nil
	}
	hold = func(c *engine.Chunk) error {
		if !open {
			if rows+len(c.Rows) <= maxHeldRows && !gate.confirmed() {
				held = append(held, c)
				rows += len(c.Rows)
				return nil
			}
			if err := release(); err != nil {
				return err
			}
		}
		return send(c)
	}
	flush = func() error {
		if open {
			return nil
		}
		return release()
	}
	return hold, flush
}

// gatedWriter holds what a guessed read writes until gate opens.
type gatedWriter struct {
	ctx  context.Context
	gate *readGate
	w    io.Writer
	held []byte
	open bool
}

// maxHeldBytes bounds the bytes a guessed read holds before it waits for
// the log's confirmation.
const maxHeldBytes = 256 << 10

func (g *gatedWriter) Write(p []byte) (int, error) {
	if !g.open {
		if len(g.held)+len(p) <= maxHeldBytes && !g.gate.confirmed() {
			g.held = append(g.held, p...)
			return len(p), nil
		}
		if err := g.release(); err != nil {
			return 0, err
		}
	}
	return g.w.Write(p)
}

// release waits for the gate and writes what was held.
func (g *gatedWriter) release() error {
	if g.open {
		return nil
	}
	if err := g.gate.open(g.ctx); err != nil {
		return err
	}
	g.open = true
	if len(g.held) == 0 {
		return nil
	}
	_, err := g.w.Write(g.held)
	g.held = nil
	return err
}
