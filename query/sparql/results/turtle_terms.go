package results

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/akutan-dev/akutan/query/rdf"
)

// appendTurtleTerm writes t in the Turtle syntax of the TSV format. Unlike
// N-Triples it escapes tabs in strings, because a tab separates fields.
func appendTurtleTerm(b []byte, t rdf.Term) []byte {
	switch t.Kind {
	case rdf.IRI:
		return appendIRIRef(b, t.Value)
	case rdf.Blank:
		return append(append(b, "_:"...), safeBlankLabel(t.Value)...)
	}
	if abbreviable(t) {
		return append(b, t.Value...)
	}
	b = appendQuoted(b, t.Value)
	switch {
	case t.Lang != "":
		b = append(append(b, '@'), t.Lang...)
	case t.Datatype != "" && t.Datatype != rdf.XSDString:
		b = append(b, "^^"...)
		b = appendIRIRef(b, t.Datatype)
	}
	return b
}

// abbreviable reports whether t may be written as a bare Turtle number or
// boolean: its datatype must be the one Turtle gives that token.
func abbreviable(t rdf.Term) bool {
	if t.Lang != "" {
		return false
	}
	dt, ok := bareLiteralType(t.Value)
	return ok && dt == t.Datatype
}

// bareLiteralType returns the datatype Turtle gives a bare token: INTEGER,
// DECIMAL, DOUBLE or a boolean.
func bareLiteralType(tok string) (string, bool) {
	switch tok {
	case "true", "false":
		return rdf.XSDBoolean, true
	}
	s := tok
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	mant, exp, hasExp := strings.Cut(strings.ReplaceAll(s, "E", "e"), "e")
	whole, frac, hasDot := strings.Cut(mant, ".")
	if !digits(whole) || !digits(frac) {
		return "", false
	}
	if hasExp {
		e := strings.TrimLeft(exp, "+-")
		if len(exp)-len(e) > 1 || e == "" || !digits(e) || whole+frac == "" {
			return "", false
		}
		return rdf.XSDDouble, true
	}
	switch {
	case hasDot && frac != "":
		return rdf.XSDDecimal, true
	case !hasDot && whole != "":
		return rdf.XSDInteger, true
	}
	return "", false
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// appendIRIRef writes <iri>, escaping as \u or \U what IRIREF forbids.
func appendIRIRef(b []byte, iri string) []byte {
	b = append(b, '<')
	for _, r := range iri {
		if isIRIRefChar(r) {
			b = utf8.AppendRune(b, r)
		} else {
			b = appendUChar(b, r)
		}
	}
	return append(b, '>')
}

func isIRIRefChar(r rune) bool {
	return r > 0x20 && !strings.ContainsRune("<>\"{}|^`\\", r)
}

func appendUChar(b []byte, r rune) []byte {
	if r <= 0xFFFF {
		return fmt.Appendf(b, `\u%04X`, r)
	}
	return fmt.Appendf(b, `\U%08X`, r)
}

// appendQuoted writes s as a Turtle string with every control character
// escaped, so that the field stays on one line and free of tabs.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"':
			b = append(b, `\"`...)
		case r == '\\':
			b = append(b, `\\`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r < 0x20 || r == 0x7F:
			b = appendUChar(b, r)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// parseTurtleTerm reads one TSV field: an IRI, blank node or quoted
// literal in N-Triples syntax (read by query/rdf's N-Triples reader, so
// escapes mean exactly what they mean there), or a bare number or
// boolean.
func parseTurtleTerm(field string) (rdf.Term, error) {
	if dt, ok := bareLiteralType(field); ok {
		return rdf.NewLiteral(field, dt, ""), nil
	}
	if field == "" || !strings.ContainsRune(`<"_`, rune(field[0])) {
		return rdf.Term{}, fmt.Errorf("%q is not an RDF term in Turtle syntax", field)
	}
	if strings.ContainsAny(field, "\n\r") {
		return rdf.Term{}, fmt.Errorf("%q spans lines", field)
	}
	line := "<urn:s> <urn:p> " + field + " .\n"
	tr, err := rdf.NewNTriplesReader(strings.NewReader(line)).Next()
	if err != nil {
		return rdf.Term{}, fmt.Errorf("reading the term %q: %w", field, err)
	}
	return tr.O, nil
}
