package enginetest

import (
	"fmt"

	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
)

// Insert adds the facts of text, in the TSV insert format, one after
// another (each at its own log index, as Add does). Entities are created
// on first mention (well-known names are not created), and a leading ?var
// captures the fact's ID for later lines. It exists so that a test's graph
// reads like the data it stands for.
func (v *Views) Insert(text string) error {
	ins, err := parser.ParseInsert(text)
	if err != nil {
		return fmt.Errorf("parsing the test graph: %w", err)
	}
	return v.InsertParsed(ins)
}

// InsertParsed adds the facts of a parsed insert, as Insert does; each
// blank node label names a new entity without an external name, the same
// one throughout ins. Tests load RDF with it, through rdf.Mapper.
func (v *Views) InsertParsed(ins *parser.Insert) error {
	in := inserter{v: v, ids: map[string]uint64{}, blanks: map[string]uint64{}}
	for _, q := range ins.Facts {
		if err := in.fact(q); err != nil {
			return fmt.Errorf("%s: %w", q.Pos, err)
		}
	}
	return nil
}

// inserter resolves the terms of one Insert.
type inserter struct {
	v      *Views
	ids    map[string]uint64 // fact-ID variables
	blanks map[string]uint64 // blank node labels
}

func (in inserter) fact(q *parser.Quad) error {
	s, err := in.entity(q.Subject)
	if err != nil {
		return fmt.Errorf("subject: %w", err)
	}
	p, err := in.entity(q.Predicate)
	if err != nil {
		return fmt.Errorf("predicate: %w", err)
	}
	o, err := in.object(q.Object)
	if err != nil {
		return fmt.Errorf("object: %w", err)
	}
	id := in.v.Add(s, p, o)
	if vr, ok := q.ID.(*parser.Variable); ok {
		in.ids[vr.Name] = id
	}
	return nil
}

func (in inserter) object(t parser.Term) (storage.Object, error) {
	lit, ok := t.(*parser.Literal)
	if !ok {
		kid, err := in.entity(t)
		return storage.AEntity(kid), err
	}
	val := lit.Value
	if lit.Unit != nil {
		unit, err := in.entity(lit.Unit)
		if err != nil {
			return storage.Object{}, fmt.Errorf("unit: %w", err)
		}
		val.Unit = unit
	}
	return val, nil
}

func (in inserter) entity(t parser.Term) (uint64, error) {
	switch e := t.(type) {
	case *parser.Entity:
		if kid, ok := storage.WellKnownKID(e.Name); ok {
			return kid, nil
		}
		return in.v.Entity(e.Name), nil
	case *parser.KID:
		return e.ID, nil
	case *parser.BlankNode:
		if kid, ok := in.blanks[e.Name]; ok {
			return kid, nil
		}
		kid := in.v.unnamed()
		in.blanks[e.Name] = kid
		return kid, nil
	case *parser.Variable:
		if id, ok := in.ids[e.Name]; ok {
			return id, nil
		}
		return 0, fmt.Errorf("?%s captures no earlier fact", e.Name)
	}
	return 0, fmt.Errorf("%T cannot name an entity", t)
}
