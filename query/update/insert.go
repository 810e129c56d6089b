package update

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// namesIn lists the external names a request mentions.
func namesIn(req Request) []string {
	var names []string
	for _, q := range append(append([]*parser.Quad(nil), req.Delete.Facts...), req.Insert.Facts...) {
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

// builder accumulates one attempt's transaction, and a record of every
// read it made: the transaction is valid at a later index exactly when
// the same reads give the same record there.
type builder struct {
	names    map[string]uint64 // existing entities
	newNames map[string]uint32 // entities this entry creates, by offset
	blanks   map[string]uint32
	vars     map[string]*wire.Ref // fact-ID variables
	seen     map[string]*wire.Ref // facts already placed in this request
	deleted  map[uint64]bool      // fact IDs this request deletes
	// absentVars are delete-line fact-ID variables whose fact is missing.
	absentVars map[string]bool
	next       uint32
	tx         *wire.UpdateTx
	reads      strings.Builder
	res        Result
}

func newBuilder(names map[string]uint64) *builder {
	b := &builder{
		names: names, newNames: map[string]uint32{}, blanks: map[string]uint32{},
		vars: map[string]*wire.Ref{}, seen: map[string]*wire.Ref{}, deleted: map[uint64]bool{}, absentVars: map[string]bool{},
		tx: &wire.UpdateTx{},
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		fmt.Fprintf(&b.reads, "%q=%d;", n, names[n])
	}
	return b
}

// build makes the transaction for req from the graph as of index.
func build(ctx context.Context, views engine.Views, index uint64, req Request) (*builder, error) {
	names, err := engine.ResolveNames(ctx, views, index, distinct(namesIn(req)))
	if err != nil {
		return nil, err
	}
	return buildWith(ctx, views, index, req, names)
}

// buildWith is build given the external names that exist at index.
func buildWith(ctx context.Context, views engine.Views, index uint64, req Request, names map[string]uint64) (*builder, error) {
	b := newBuilder(names)
	b.tx.ReadIndex = index
	if err := b.placeDeletes(ctx, views, index, req.Delete.Facts); err != nil {
		return nil, err
	}
	if err := b.place(ctx, views, index, req.Insert.Facts); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *builder) empty() bool { return len(b.tx.Deletes) == 0 && len(b.tx.Inserts) == 0 }

func (b *builder) offset() (uint32, error) {
	if b.next >= storage.MaxOffset {
		return 0, fmt.Errorf("%w: more than %d new facts and entities", ErrTooLarge, storage.MaxOffset)
	}
	b.next++
	return b.next, nil
}
