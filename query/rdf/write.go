package rdf

import (
	"io"
	"strings"
	"unicode/utf8"
)

// AppendNTriples appends t as one line of N-Triples, escaping what the
// syntax requires so that reading it back gives t.
func AppendNTriples(b []byte, t Triple) []byte {
	b = appendTerm(b, t.S)
	b = append(b, ' ')
	b = appendTerm(b, t.P)
	b = append(b, ' ')
	b = appendTerm(b, t.O)
	return append(b, " .\n"...)
}

// FormatTriple returns t as N-Triples without the line end.
func FormatTriple(t Triple) string {
	return strings.TrimSuffix(string(AppendNTriples(nil, t)), "\n")
}

func appendTerm(b []byte, t Term) []byte {
	switch t.Kind {
	case IRI:
		return appendIRI(b, t.Value)
	case Blank:
		return append(append(b, "_:"...), t.Value...)
	}
	b = appendString(b, t.Value)
	switch {
	case t.Lang != "":
		b = append(append(b, '@'), t.Lang...)
	case t.Datatype != XSDString && t.Datatype != "":
		b = append(b, "^^"...)
		b = appendIRI(b, t.Datatype)
	}
	return b
}

func appendIRI(b []byte, iri string) []byte {
	if plainIRI(iri) {
		b = append(b, '<')
		b = append(b, iri...)
		return append(b, '>')
	}
	return appendIRIEach(b, iri)
}

// appendIRIEach is appendIRI character by character.
func appendIRIEach(b []byte, iri string) []byte {
	b = append(b, '<')
	for _, r := range iri {
		if isIRIChar(r) {
			b = utf8.AppendRune(b, r)
		} else {
			b = appendUChar(b, r)
		}
	}
	return append(b, '>')
}

// plainIRI reports whether iri is ASCII that needs no escape, so that
// appendIRI may copy it as it is: the IRIs of most data.
func plainIRI(iri string) bool {
	for i := 0; i < len(iri); i++ {
		if c := iri[i]; c >= utf8.RuneSelf || !asciiIRIChar(c) {
			return false
		}
	}
	return true
}

func appendString(b []byte, s string) []byte {
	if plainString(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	return appendStringEach(b, s)
}

// appendStringEach is appendString character by character.
func appendStringEach(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s {
		switch r {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// plainString reports whether s is ASCII without a character
// appendString escapes, so that it may be copied as it is.
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf, c == '"', c == '\\', c == '\n', c == '\r':
			return false
		}
	}
	return true
}

const hexDigits = "0123456789ABCDEF"

func appendUChar(b []byte, r rune) []byte {
	if r <= 0xFFFF {
		b = append(b, `\u`...)
		for shift := 12; shift >= 0; shift -= 4 {
			b = append(b, hexDigits[(r>>shift)&0xF])
		}
		return b
	}
	b = append(b, `\U`...)
	for shift := 28; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[(r>>shift)&0xF])
	}
	return b
}

// TurtleWriter writes a stream of triples as Turtle: each run of
// consecutive triples with the same subject becomes one statement, its
// predicate-object pairs separated by ';'. Terms are written as N-Triples
// writes them, which Turtle reads the same, so no prefix is declared and
// no triple is held back beyond its own statement.
type TurtleWriter struct {
	w       io.Writer
	subject Term
	open    bool // a statement about subject is not ended yet
	buf     []byte
}

// NewTurtleWriter returns a writer of Turtle to w; Close ends the last
// statement.
func NewTurtleWriter(w io.Writer) *TurtleWriter { return &TurtleWriter{w: w} }

// Write writes one triple.
func (t *TurtleWriter) Write(tr Triple) error {
	b := t.buf[:0]
	if t.open && tr.S == t.subject {
		b = append(b, " ;\n    "...)
	} else {
		if t.open {
			b = append(b, " .\n"...)
		}
		b = appendTerm(b, tr.S)
		b = append(b, ' ')
		t.subject, t.open = tr.S, true
	}
	b = appendTerm(b, tr.P)
	b = append(b, ' ')
	b = appendTerm(b, tr.O)
	t.buf = b
	_, err := t.w.Write(b)
	return err
}

// Close ends the last statement; it does not close the underlying writer.
func (t *TurtleWriter) Close() error {
	if !t.open {
		return nil
	}
	t.open = false
	_, err := io.WriteString(t.w, " .\n")
	return err
}
