package update

import (
	"context"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// candidate is one requested fact with its fields resolved.
type candidate struct {
	quad    *parser.Quad
	s, p    *wire.Ref
	o       *wire.LogObject
	key     string
	settled bool
}

// place decides, for every requested fact in order, whether it exists or
// must be created, binding fact-ID variables as it goes. Facts whose fields
// are all existing entities are checked in batches (one LookupSPO per
// round); a round settles at least the first unsettled fact, because facts
// only depend on variables bound by earlier lines.
func (b *builder) place(ctx context.Context, views engine.Views, index uint64, quads []*parser.Quad) error {
	cands := make([]*candidate, len(quads))
	for i, q := range quads {
		cands[i] = &candidate{quad: q}
	}
	for pending := cands; len(pending) > 0; {
		var check []*candidate
		var rest []*candidate
		blocked := false
		for _, c := range pending {
			ready, err := b.resolve(c)
			if err != nil {
				return err
			}
			switch {
			case !ready || blocked:
				blocked = true
				rest = append(rest, c)
			case b.seen[c.key] != nil:
				b.bind(c, b.seen[c.key])
				b.res.Existing++
			case existingOnly(c):
				check = append(check, c)
				blocked = blocked || c.quad.ID != nil
			default:
				if err := b.create(c); err != nil {
					return err
				}
			}
		}
		if err := b.checkExisting(ctx, views, index, check); err != nil {
			return err
		}
		pending = rest
	}
	return nil
}

// checkExisting looks the candidates up and creates the missing ones.
func (b *builder) checkExisting(ctx context.Context, views engine.Views, index uint64, cands []*candidate) error {
	if len(cands) == 0 {
		return nil
	}
	lookups := make([]viewclient.SPO, len(cands))
	for i, c := range cands {
		o, err := existingObject(c.o)
		if err != nil {
			return err
		}
		lookups[i] = viewclient.SPO{Subject: c.s.GetKid(), Predicate: c.p.GetKid(), Object: o}
	}
	found := make([]uint64, len(cands))
	err := views.LookupSPO(ctx, index, lookups, func(i int, f storage.Fact) {
		// Lookups match by value; only the exact term (annotation and all)
		// is the same fact. A fact this request deletes does not count as
		// present.
		if i < 0 || i >= len(lookups) || !storage.SameTerm(f.Object, lookups[i].Object) {
			return
		}
		if !b.deleted[f.ID] && (found[i] == 0 || f.ID < found[i]) {
			found[i] = f.ID
		}
	})
	if err != nil {
		return fmt.Errorf("checking for existing facts: %w", err)
	}
	for i, c := range cands {
		fmt.Fprintf(&b.reads, "i%d;", found[i])
		if b.seen[c.key] != nil { // a duplicate within this batch
			b.bind(c, b.seen[c.key])
			b.res.Existing++
			continue
		}
		if found[i] != 0 {
			b.bind(c, logentry.KIDRef(found[i]))
			b.seen[c.key] = logentry.KIDRef(found[i])
			b.res.Existing++
			continue
		}
		if err := b.create(c); err != nil {
			return err
		}
	}
	return nil
}

// create adds the fact to the entry under a new fact offset.
func (b *builder) create(c *candidate) error {
	off, err := b.offset()
	if err != nil {
		return err
	}
	b.tx.Inserts = append(b.tx.Inserts, &wire.InsertFact{FactOffset: off, Subject: c.s, Predicate: c.p, Object: c.o})
	ref := logentry.OffsetRef(off)
	b.seen[c.key] = ref
	b.bind(c, ref)
	b.res.Inserted++
	return nil
}

func (b *builder) bind(c *candidate, id *wire.Ref) {
	c.settled = true
	if v, ok := c.quad.ID.(*parser.Variable); ok {
		b.vars[v.Name] = id
	}
}

// resolve fills the candidate's refs; ready is false while it uses a
// variable an unsettled earlier fact has yet to bind.
func (b *builder) resolve(c *candidate) (ready bool, err error) {
	var ok bool
	if c.s, ok, err = b.ref(c.quad.Subject); err != nil || !ok {
		return false, b.wrap(c, "subject", err)
	}
	if c.p, ok, err = b.ref(c.quad.Predicate); err != nil || !ok {
		return false, b.wrap(c, "predicate", err)
	}
	if c.o, ok, err = b.object(c.quad.Object); err != nil || !ok {
		return false, b.wrap(c, "object", err)
	}
	c.key = factKey(c)
	return true, nil
}

func (b *builder) wrap(c *candidate, field string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("line %d: %s: %w", c.quad.Pos.Line, field, err)
}

// ref resolves an entity-valued field; ok is false for a variable not yet
// bound.
func (b *builder) ref(t parser.Term) (*wire.Ref, bool, error) {
	switch v := t.(type) {
	case *parser.Entity:
		if kid, ok := b.names[v.Name]; ok {
			return logentry.KIDRef(kid), true, nil
		}
		return b.newEntity(v.Name)
	case *parser.KID:
		if v.ID == 0 {
			return nil, false, fmt.Errorf("#0 is not an entity")
		}
		return logentry.KIDRef(v.ID), true, nil
	case *parser.BlankNode:
		if off, ok := b.blanks[v.Name]; ok {
			return logentry.OffsetRef(off), true, nil
		}
		off, err := b.offset()
		if err != nil {
			return nil, false, err
		}
		b.blanks[v.Name] = off
		return logentry.OffsetRef(off), true, nil
	case *parser.Variable:
		ref, ok := b.vars[v.Name]
		return ref, ok, nil
	}
	return nil, false, fmt.Errorf("a %s cannot stand here", describe(t))
}

// newEntity creates an entity and its `<HasExternalID>` fact.
func (b *builder) newEntity(name string) (*wire.Ref, bool, error) {
	if off, ok := b.newNames[name]; ok {
		return logentry.OffsetRef(off), true, nil
	}
	ent, err := b.offset()
	if err != nil {
		return nil, false, err
	}
	fact, err := b.offset()
	if err != nil {
		return nil, false, err
	}
	b.newNames[name] = ent
	b.tx.Inserts = append(b.tx.Inserts, &wire.InsertFact{
		FactOffset: fact,
		Subject:    logentry.OffsetRef(ent),
		Predicate:  logentry.KIDRef(storage.KIDHasExternalID),
		Object:     &wire.LogObject{Value: &wire.LogObject_Str{Str: name}},
	})
	return logentry.OffsetRef(ent), true, nil
}

// object resolves the object field.
func (b *builder) object(t parser.Term) (*wire.LogObject, bool, error) {
	lit, isLit := t.(*parser.Literal)
	if !isLit {
		ref, ok, err := b.ref(t)
		if err != nil || !ok {
			return nil, ok, err
		}
		return &wire.LogObject{Value: &wire.LogObject_Entity{Entity: ref}}, true, nil
	}
	w := wire.FromObject(lit.Value)
	lo := &wire.LogObject{Lang: w.Lang, Datatype: w.Datatype, Lex: w.Lex}
	switch v := w.Value.(type) {
	case *wire.Object_Str:
		lo.Value = &wire.LogObject_Str{Str: v.Str}
	case *wire.Object_Int64:
		lo.Value = &wire.LogObject_Int64{Int64: v.Int64}
	case *wire.Object_Float64:
		lo.Value = &wire.LogObject_Float64{Float64: v.Float64}
	case *wire.Object_Bool:
		lo.Value = &wire.LogObject_Bool{Bool: v.Bool}
	case *wire.Object_Timestamp:
		lo.Value = &wire.LogObject_Timestamp{Timestamp: v.Timestamp}
	default:
		return nil, false, fmt.Errorf("unsupported literal")
	}
	if lit.Unit != nil {
		unit, ok, err := b.ref(lit.Unit)
		if err != nil || !ok {
			return nil, ok, err
		}
		lo.Unit = unit
	}
	return lo, true, nil
}

func describe(t parser.Term) string {
	switch t.(type) {
	case *parser.Literal:
		return "literal"
	case *parser.Operator:
		return "operator"
	case *parser.Set:
		return "set"
	}
	return fmt.Sprintf("%T", t)
}

// existingOnly reports whether every field names an existing entity, so the
// fact may already be stored.
func existingOnly(c *candidate) bool {
	if c.s.GetKid() == 0 || c.p.GetKid() == 0 {
		return false
	}
	if e, ok := c.o.Value.(*wire.LogObject_Entity); ok && e.Entity.GetKid() == 0 {
		return false
	}
	return c.o.Unit == nil || c.o.Unit.GetKid() != 0
}

// existingObject converts an object with no offsets to a storage object.
func existingObject(lo *wire.LogObject) (storage.Object, error) {
	return logentry.ResolveObject(0, lo)
}

// factKey identifies a fact by its fields within one request: two facts
// get equal keys exactly when their subject, predicate and object fields
// are equal. It is built by hand because it runs for every requested fact,
// and marshalling a message per fact was a large part of a bulk load.
func factKey(c *candidate) string {
	b := make([]byte, 0, 48)
	b = appendRefKey(b, c.s)
	b = appendRefKey(b, c.p)
	return string(appendObjectKey(b, c.o))
}

// appendRefKey appends a self-delimiting encoding of r: a marker byte for
// which member is set (or none, or no Ref at all), then its value.
func appendRefKey(b []byte, r *wire.Ref) []byte {
	switch v := r.GetRef().(type) {
	case *wire.Ref_Kid:
		return protowire.AppendVarint(append(b, 'k'), v.Kid)
	case *wire.Ref_Offset:
		return protowire.AppendVarint(append(b, 'o'), uint64(v.Offset))
	}
	if r == nil {
		return append(b, '-')
	}
	return append(b, '0')
}

// appendObjectKey appends a self-delimiting encoding of every field of lo.
// Floats are keyed by their bits, as a marshalled message would be.
func appendObjectKey(b []byte, lo *wire.LogObject) []byte {
	if lo == nil {
		return append(b, '-')
	}
	switch v := lo.Value.(type) {
	case *wire.LogObject_Entity:
		b = appendRefKey(append(b, 'e'), v.Entity)
	case *wire.LogObject_Str:
		b = protowire.AppendString(append(b, 's'), v.Str)
	case *wire.LogObject_Int64:
		b = protowire.AppendVarint(append(b, 'i'), uint64(v.Int64))
	case *wire.LogObject_Float64:
		b = protowire.AppendFixed64(append(b, 'f'), math.Float64bits(v.Float64))
	case *wire.LogObject_Bool:
		b = protowire.AppendVarint(append(b, 'b'), protowire.EncodeBool(v.Bool))
	case *wire.LogObject_Timestamp:
		b = append(b, 't')
		b = protowire.AppendVarint(b, uint64(v.Timestamp.GetSeconds()))
		b = protowire.AppendVarint(b, uint64(v.Timestamp.GetNanos()))
		b = protowire.AppendVarint(b, uint64(v.Timestamp.GetPrecision()))
	default:
		b = append(b, '0')
	}
	b = protowire.AppendString(b, lo.Lang)
	b = protowire.AppendString(b, lo.Datatype)
	b = protowire.AppendString(b, lo.Lex)
	return appendRefKey(b, lo.Unit)
}
