package update

import (
	"context"
	"fmt"

	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// placeDeletes finds the stored facts that the delete lines describe, in
// rounds like place: a line waits for the lines binding its variables.
func (b *builder) placeDeletes(ctx context.Context, views engine.Views, index uint64, quads []*parser.Quad) error {
	pending := quads
	for len(pending) > 0 {
		var ready, rest []*parser.Quad
		var lookups []viewclient.SPO
		for _, q := range pending {
			l, state, err := b.deleteLookup(q)
			switch {
			case err != nil:
				return fmt.Errorf("line %d: %w", q.Pos.Line, err)
			case state == waiting || len(rest) > 0:
				rest = append(rest, q)
			case state == absent:
				b.missing(q)
			default:
				ready = append(ready, q)
				lookups = append(lookups, l)
			}
		}
		if err := b.findDeleted(ctx, views, index, ready, lookups); err != nil {
			return err
		}
		pending = rest
	}
	return nil
}

type lookupState int

const (
	known   lookupState = iota // every field is known: look the fact up
	absent                     // a field names nothing: the fact cannot exist
	waiting                    // a variable is not bound yet
)

// deleteLookup resolves a delete line's fields to existing KIDs and values.
func (b *builder) deleteLookup(q *parser.Quad) (viewclient.SPO, lookupState, error) {
	s, st1 := b.existingKID(q.Subject)
	p, st2 := b.existingKID(q.Predicate)
	var o storage.Object
	st3 := known
	if lit, ok := q.Object.(*parser.Literal); ok {
		o = lit.Value
		if lit.Unit != nil {
			var unit uint64
			unit, st3 = b.existingKID(lit.Unit)
			o.Unit = unit
		}
	} else {
		var kid uint64
		kid, st3 = b.existingKID(q.Object)
		o = storage.AEntity(kid)
	}
	return viewclient.SPO{Subject: s, Predicate: p, Object: o}, max(st1, st2, st3), nil
}

// existingKID resolves an entity-valued field without creating anything.
func (b *builder) existingKID(t parser.Term) (uint64, lookupState) {
	switch v := t.(type) {
	case *parser.Entity:
		if kid, ok := b.names[v.Name]; ok {
			return kid, known
		}
	case *parser.KID:
		return v.ID, known
	case *parser.Variable:
		if b.absentVars[v.Name] {
			return 0, absent
		}
		ref, ok := b.vars[v.Name]
		if !ok {
			return 0, waiting
		}
		return ref.GetKid(), known
	}
	return 0, absent
}

// missing records a delete line whose fact does not exist; lines using its
// fact-ID variable describe facts that cannot exist either.
func (b *builder) missing(q *parser.Quad) {
	b.res.Missing++
	b.reads.WriteString("d0;")
	if v, ok := q.ID.(*parser.Variable); ok {
		b.absentVars[v.Name] = true
	}
}

// findDeleted looks up the facts and schedules each found one for deletion.
func (b *builder) findDeleted(ctx context.Context, views engine.Views, index uint64, quads []*parser.Quad, lookups []viewclient.SPO) error {
	if len(quads) == 0 {
		return nil
	}
	found := make([][]storage.Fact, len(quads))
	err := views.LookupSPO(ctx, index, lookups, func(i int, f storage.Fact) {
		// Lookups match by value; a delete names the exact term.
		if i >= 0 && i < len(lookups) && storage.SameTerm(f.Object, lookups[i].Object) {
			found[i] = append(found[i], f)
		}
	})
	if err != nil {
		return fmt.Errorf("looking up facts to delete: %w", err)
	}
	for i, q := range quads {
		if len(found[i]) == 0 {
			b.missing(q)
			continue
		}
		first := found[i][0].ID
		for _, f := range found[i] {
			fmt.Fprintf(&b.reads, "d%d;", f.ID)
			first = min(first, f.ID)
			b.deleteFact(f)
		}
		if v, ok := q.ID.(*parser.Variable); ok {
			b.vars[v.Name] = logentry.KIDRef(first)
		}
	}
	return nil
}

func (b *builder) deleteFact(f storage.Fact) {
	if b.deleted[f.ID] {
		return
	}
	b.deleted[f.ID] = true
	b.res.Deleted++
	b.tx.Deletes = append(b.tx.Deletes, &wire.DeleteFact{
		FactId: f.ID, Subject: f.Subject, Predicate: f.Predicate, Object: wire.FromObject(f.Object),
	})
}
