package rdf

import (
	"github.com/akutan-dev/akutan/query/parser"
)

// Mapper maps triples to Akutan quads; see the package documentation for
// how each kind of term maps.
type Mapper struct {
	// LoadID, when set, scopes blank node labels to a load that spans
	// several requests: label L names the entity `_:load-<LoadID>-L`.
	// When empty, each request's blank nodes are new entities.
	LoadID string
}

// Insert maps triples to an insert request.
func (m Mapper) Insert(ts []Triple) *parser.Insert {
	ins := &parser.Insert{Facts: make([]*parser.Quad, len(ts))}
	for i, t := range ts {
		ins.Facts[i] = m.Quad(t)
	}
	return ins
}

// Quad maps one triple.
func (m Mapper) Quad(t Triple) *parser.Quad {
	return &parser.Quad{
		Pos:       parser.Position{Line: t.Pos.Line, Col: t.Pos.Col},
		Subject:   m.term(t.S),
		Predicate: m.term(t.P),
		Object:    m.term(t.O),
	}
}

func (m Mapper) term(t Term) parser.Term {
	switch t.Kind {
	case IRI:
		return &parser.Entity{Name: t.Value}
	case Blank:
		if m.LoadID != "" {
			return &parser.Entity{Name: BlankName(m.LoadID, t.Value)}
		}
		return &parser.BlankNode{Name: t.Value}
	}
	return &parser.Literal{Value: LiteralObject(t)}
}

// BlankName is the external name of blank node label in the load loadID.
func BlankName(loadID, label string) string { return "_:load-" + loadID + "-" + label }
