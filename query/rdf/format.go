package rdf

import (
	"fmt"
	"io"
	"strings"

	"github.com/akutan-dev/akutan/query/parser"
)

// Format is a parsed insert format string: "ntriples" or "turtle",
// optionally followed by parameters: `ntriples;load=ID` scopes blank
// nodes to a multi-request load (see Mapper.LoadID) and `turtle;base=IRI`
// sets the base IRI for relative references.
type Format struct {
	Name   string // "ntriples" or "turtle"
	LoadID string
	Base   string
}

// IsRDFFormat reports whether format names one of this package's formats.
func IsRDFFormat(format string) bool {
	name, _, _ := strings.Cut(format, ";")
	name = strings.TrimSpace(name)
	return name == "ntriples" || name == "turtle"
}

// ParseFormat parses a format string.
func ParseFormat(format string) (Format, error) {
	parts := strings.Split(format, ";")
	f := Format{Name: strings.TrimSpace(parts[0])}
	if f.Name != "ntriples" && f.Name != "turtle" {
		return Format{}, fmt.Errorf("unknown RDF format %q (want ntriples or turtle)", f.Name)
	}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch {
		case k == "load" && ValidLoadID(v):
			f.LoadID = v
		case k == "load":
			return Format{}, fmt.Errorf("bad load ID %q: want 1 to 64 letters, digits, '-' or '_'", v)
		case k == "base" && f.Name == "turtle" && hasScheme(v):
			f.Base = v
		default:
			return Format{}, fmt.Errorf("unknown or bad %s format parameter %q", f.Name, p)
		}
	}
	return f, nil
}

// String formats f so that ParseFormat gives it back.
func (f Format) String() string {
	s := f.Name
	if f.LoadID != "" {
		s += ";load=" + f.LoadID
	}
	if f.Base != "" {
		s += ";base=" + f.Base
	}
	return s
}

// ValidLoadID reports whether id may name a load: it becomes part of
// external names, so it is kept short and plain.
func ValidLoadID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !isAlpha(r) && !isDigit(r) && r != '-' && r != '_' {
			return false
		}
	}
	return true
}

// NewReader returns the reader for f over data.
func (f Format) NewReader(r io.Reader) Reader {
	if f.Name == "turtle" {
		return NewTurtleReader(r, f.Base)
	}
	return NewNTriplesReader(r)
}

// ParseInsert parses an insert request in an RDF format (see Format) into
// quads. Errors name the line and column.
func ParseInsert(format, data string) (*parser.Insert, error) {
	f, err := ParseFormat(format)
	if err != nil {
		return nil, err
	}
	// Triples become quads as they are read, without a slice of triples
	// in between: a bulk load's request holds ten thousand. N-Triples has
	// a triple a line, so the lines are a good first capacity.
	r, m := f.NewReader(strings.NewReader(data)), Mapper{LoadID: f.LoadID}
	ins := &parser.Insert{Facts: make([]*parser.Quad, 0, strings.Count(data, "\n")+1)}
	if err := Each(r, func(t Triple) { ins.Facts = append(ins.Facts, m.Quad(t)) }); err != nil {
		return nil, err
	}
	return ins, nil
}
