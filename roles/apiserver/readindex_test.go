package apiserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/wire"
)

// fakeLog is a log whose last index a test sets; confirm, when set, is
// closed by the test to let the confirmation return.
type fakeLog struct {
	last    uint64
	known   uint64
	err     error
	confirm chan struct{}
}

func (f *fakeLog) chooser() *indexChooser {
	return &indexChooser{
		readIndex: func(ctx context.Context, p QueryParams) (uint64, error) {
			if f.confirm != nil {
				select {
				case <-f.confirm:
				case <-ctx.Done():
					return 0, ctx.Err()
				}
			}
			if p.Index != 0 {
				return p.Index, nil
			}
			return f.last, f.err
		},
		known: func() uint64 { return f.known },
	}
}

// chunkedRead is a read that sends one chunk per row, recording what each
// index it ran at sent.
func chunkedRead(rows int, ran *[]uint64) func(ctx context.Context, index uint64, gate *readGate, send func(*engine.Chunk) error) error {
	return func(ctx context.Context, index uint64, gate *readGate, send func(*engine.Chunk) error) error {
		*ran = append(*ran, index)
		hold, flush := gatedSend(ctx, gate, send)
		for i := 0; i < rows; i++ {
			if err := hold(&engine.Chunk{Index: index, Rows: [][]engine.Value{{{Text: fmt.Sprint(index)}}}}); err != nil {
				return err
			}
		}
		return flush()
	}
}

func runAnswer(t *testing.T, c *indexChooser, p QueryParams, rows int) (ran []uint64, sent []uint64, err error) {
	t.Helper()
	read := chunkedRead(rows, &ran)
	err = c.run(context.Background(), p, func(ctx context.Context, index uint64, gate *readGate) error {
		return read(ctx, index, gate, func(ch *engine.Chunk) error {
			sent = append(sent, ch.Index)
			return nil
		})
	})
	return ran, sent, err
}

func TestRightGuessRunsOnce(t *testing.T) {
	f := &fakeLog{last: 7, known: 7}
	ran, sent, err := runAnswer(t, f.chooser(), QueryParams{}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ran) != "[7]" || fmt.Sprint(sent) != "[7 7 7]" {
		t.Fatalf("ran at %v, sent %v; want one run at 7 sending 3 chunks", ran, sent)
	}
}

func TestWrongGuessSendsNothingOfIt(t *testing.T) {
	for _, rows := range []int{0, 1, maxHeldRows + 5} {
		t.Run(fmt.Sprint("rows=", rows), func(t *testing.T) {
			f := &fakeLog{last: 9, known: 7}
			c := f.chooser()
			ran, sent, err := runAnswer(t, c, QueryParams{}, rows)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(ran) != "[7 9]" {
				t.Fatalf("ran at %v; want the guess 7, then the confirmed 9", ran)
			}
			for _, i := range sent {
				if i != 9 {
					t.Fatalf("sent a chunk read at %d; want only 9s (sent %d chunks)", i, len(sent))
				}
			}
			if len(sent) != rows {
				t.Fatalf("sent %d chunks, want %d", len(sent), rows)
			}
			// After a miss, the next reads wait for the log.
			f.known = 9
			if ran, _, _ := runAnswer(t, c, QueryParams{}, 1); fmt.Sprint(ran) != "[9]" {
				t.Fatalf("after a miss ran at %v, want [9]", ran)
			}
			if n := c.unguessed.Load(); n != missCooldown-1 {
				t.Fatalf("reads left without a guess: %d, want %d", n, missCooldown-1)
			}
		})
	}
}

func TestHeldRowsWaitForTheConfirmation(t *testing.T) {
	f := &fakeLog{last: 5, known: 5, confirm: make(chan struct{})}
	c := f.chooser()
	var ran []uint64
	read := chunkedRead(maxHeldRows+1, &ran)
	done := make(chan error, 1)
	var sent atomic.Int32
	go func() {
		done <- c.run(context.Background(), QueryParams{}, func(ctx context.Context, index uint64, gate *readGate) error {
			return read(ctx, index, gate, func(*engine.Chunk) error { sent.Add(1); return nil })
		})
	}()
	// The read holds maxHeldRows rows, then waits: nothing is sent
	// until the log answers.
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("read ended before the log confirmed its index: %v", err)
	default:
	}
	sentBefore := sent.Load()
	close(f.confirm)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if sentBefore != 0 || sent.Load() != maxHeldRows+1 {
		t.Fatalf("sent %d before the confirmation and %d in all; want 0 and %d", sentBefore, sent.Load(), maxHeldRows+1)
	}
}

func TestReadIndexFailureFailsTheRead(t *testing.T) {
	f := &fakeLog{known: 4, err: errors.New("no quorum")}
	_, sent, err := runAnswer(t, f.chooser(), QueryParams{}, 2)
	if err == nil || err.Error() != "no quorum" {
		t.Fatalf("err = %v, want the log's failure", err)
	}
	if len(sent) != 0 {
		t.Fatalf("sent %d chunks of a read whose index was not confirmed", len(sent))
	}
}

func TestNoGuessWhereTheIndexIsChosen(t *testing.T) {
	f := &fakeLog{last: 8, known: 8}
	for _, p := range []QueryParams{{Index: 3}, {Consistency: wire.Consistency_CONSISTENCY_RECENT}} {
		f.known = 100 // a guess would show
		ran, _, err := runAnswer(t, f.chooser(), p, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(ran) != 1 || ran[0] == 100 {
			t.Fatalf("%+v ran at %v; want one run at the chosen index", p, ran)
		}
	}
	f.known = 0 // nothing seen yet: wait for the log
	if ran, _, _ := runAnswer(t, f.chooser(), QueryParams{}, 1); fmt.Sprint(ran) != "[8]" {
		t.Fatalf("with nothing known ran at %v, want [8]", ran)
	}
}

func TestGatedWriterHoldsBytes(t *testing.T) {
	gate := &readGate{guess: 3, done: make(chan struct{})}
	var out bytes.Buffer
	w := &gatedWriter{ctx: context.Background(), gate: gate, w: &out}
	if _, err := w.Write([]byte("head ")); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("wrote %q before the confirmation", out.String())
	}
	gate.index = 3
	close(gate.done)
	if _, err := w.Write([]byte("row")); err != nil {
		t.Fatal(err)
	}
	if err := w.release(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "head row" {
		t.Fatalf("wrote %q, want %q", out.String(), "head row")
	}
	wrong := &readGate{guess: 3, index: 4, done: make(chan struct{})}
	close(wrong.done)
	var none bytes.Buffer
	w = &gatedWriter{ctx: context.Background(), gate: wrong, w: &none}
	w.Write([]byte("x"))
	if err := w.release(); !errors.Is(err, errWrongGuess) || none.Len() != 0 {
		t.Fatalf("release = %v with %q written; want errWrongGuess and nothing", err, none.String())
	}
}
