package update

import (
	"context"
	"errors"
	"fmt"

	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// MaxEntryBytes bounds one insert's log entry.
const MaxEntryBytes = 4 << 20

// ErrTooLarge means a request cannot fit in one log entry.
var ErrTooLarge = errors.New("request too large to apply atomically")

// Log is what an insert needs from the log.
type Log interface {
	LastIndex(ctx context.Context) (uint64, error)
	Append(ctx context.Context, entries [][]byte) (first, last uint64, err error)
}

// Result says what an insert did.
type Result struct {
	Index    uint64 // the log index at which the request's outcome is visible
	Inserted int    // facts written
	Existing int    // facts that were already present
}

// Insert applies a parsed insert request atomically.
func Insert(ctx context.Context, views engine.Views, log Log, req *parser.Insert) (Result, error) {
	index, err := log.LastIndex(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("reading the log's last index: %w", err)
	}
	names, err := engine.ResolveNames(ctx, views, index, namesIn(req))
	if err != nil {
		return Result{}, err
	}
	b := newBuilder(names)
	if err := b.place(ctx, views, index, req.Facts); err != nil {
		return Result{}, err
	}
	res := Result{Index: index, Inserted: b.inserted, Existing: b.existing}
	if len(b.tx.Facts) == 0 {
		return res, nil
	}
	data, err := logentry.Encode(&wire.LogEntry{Command: &wire.LogEntry_Insert{Insert: b.tx}})
	if err != nil {
		return Result{}, err
	}
	if len(data) > MaxEntryBytes {
		return Result{}, fmt.Errorf("%w: %d bytes, limit %d: split the request", ErrTooLarge, len(data), MaxEntryBytes)
	}
	_, last, err := log.Append(ctx, [][]byte{data})
	if err != nil {
		return Result{}, fmt.Errorf("appending the insert to the log: %w", err)
	}
	res.Index = last
	return res, nil
}

func namesIn(req *parser.Insert) []string {
	var names []string
	for _, q := range req.Facts {
		for _, t := range []parser.Term{q.Subject, q.Predicate, q.Object} {
			switch v := t.(type) {
			case *parser.Entity:
				names = append(names, v.Name)
			case *parser.Literal:
				if e, ok := v.Unit.(*parser.Entity); ok {
					names = append(names, e.Name)
				}
			}
		}
	}
	return names
}

// builder accumulates the insert entry.
type builder struct {
	names    map[string]uint64 // existing entities
	newNames map[string]uint32 // entities this entry creates, by offset
	blanks   map[string]uint32
	vars     map[string]*wire.Ref // fact-ID variables
	seen     map[string]*wire.Ref // facts already placed in this request
	next     uint32
	tx       *wire.InsertTx
	inserted int
	existing int
}

func newBuilder(names map[string]uint64) *builder {
	return &builder{
		names: names, newNames: map[string]uint32{}, blanks: map[string]uint32{},
		vars: map[string]*wire.Ref{}, seen: map[string]*wire.Ref{}, tx: &wire.InsertTx{},
	}
}

func (b *builder) offset() (uint32, error) {
	if b.next >= storage.MaxOffset {
		return 0, fmt.Errorf("%w: more than %d new facts and entities", ErrTooLarge, storage.MaxOffset)
	}
	b.next++
	return b.next, nil
}
