package rdf

import (
	"fmt"
	"io"
)

// Well-known IRIs.
const (
	RDFNS         = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	XSDNS         = "http://www.w3.org/2001/XMLSchema#"
	RDFType       = RDFNS + "type"
	RDFFirst      = RDFNS + "first"
	RDFRest       = RDFNS + "rest"
	RDFNil        = RDFNS + "nil"
	RDFLangString = RDFNS + "langString"
	XSDString     = XSDNS + "string"
	XSDBoolean    = XSDNS + "boolean"
	XSDInteger    = XSDNS + "integer"
	XSDDecimal    = XSDNS + "decimal"
	XSDDouble     = XSDNS + "double"
)

// Kind says what a Term is.
type Kind uint8

// The kinds of term.
const (
	IRI Kind = iota + 1
	Blank
	Literal
)

// Term is an RDF term. Value is the IRI, the blank node label (without
// "_:") or the literal's lexical form. A literal always has a Datatype:
// xsd:string for a plain literal, rdf:langString when Lang is set.
type Term struct {
	Kind     Kind
	Value    string
	Datatype string
	Lang     string
}

// NewIRI returns an IRI term.
func NewIRI(iri string) Term { return Term{Kind: IRI, Value: iri} }

// NewBlank returns a blank node term.
func NewBlank(label string) Term { return Term{Kind: Blank, Value: label} }

// NewLiteral returns a typed literal, or a language-tagged string when lang
// is set (then datatype is ignored).
func NewLiteral(lexical, datatype, lang string) Term {
	if lang != "" {
		datatype = RDFLangString
	}
	return Term{Kind: Literal, Value: lexical, Datatype: datatype, Lang: lang}
}

// Position is a place in the input, both counting from 1; columns count
// characters.
type Position struct {
	Line, Col int
}

func (p Position) String() string { return fmt.Sprintf("line %d, column %d", p.Line, p.Col) }

// Triple is one RDF statement. Pos is where it was read: the start of the
// line in N-Triples, the start of the object in Turtle.
type Triple struct {
	S, P, O Term
	Pos     Position
}

// Error is a syntax error and where it is.
type Error struct {
	Pos Position
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

func errorf(pos Position, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// Reader reads triples one at a time. Next returns io.EOF after the last
// triple; after any other error it keeps returning that error.
type Reader interface {
	Next() (Triple, error)
}

// ReadAll reads every triple of r.
func ReadAll(r Reader) ([]Triple, error) {
	var out []Triple
	err := Each(r, func(t Triple) { out = append(out, t) })
	return out, err
}

// Each calls fn with every triple of r, in order, until the end (nil) or
// an error.
func Each(r Reader, fn func(Triple)) error {
	for {
		t, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		fn(t)
	}
}
