package rdf

import "unicode/utf8"

// Character classes of the N-Triples and Turtle grammars.

func isPNCharsBase(r rune) bool {
	switch {
	case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		return true
	case r < 0xC0:
		return false
	case r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0x2FF,
		r >= 0x370 && r <= 0x37D, r >= 0x37F && r <= 0x1FFF, r >= 0x200C && r <= 0x200D,
		r >= 0x2070 && r <= 0x218F, r >= 0x2C00 && r <= 0x2FEF, r >= 0x3001 && r <= 0xD7FF,
		r >= 0xF900 && r <= 0xFDCF, r >= 0xFDF0 && r <= 0xFFFD, r >= 0x10000 && r <= 0xEFFFF:
		return true
	}
	return false
}

func isPNCharsU(r rune) bool { return r == '_' || isPNCharsBase(r) }

func isPNChars(r rune) bool {
	switch {
	case isPNCharsU(r), r == '-', r >= '0' && r <= '9', r == 0xB7,
		r >= 0x300 && r <= 0x36F, r >= 0x203F && r <= 0x2040:
		return true
	}
	return false
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isAlpha(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

func hexVal(r rune) (rune, bool) {
	switch {
	case r >= '0' && r <= '9':
		return r - '0', true
	case r >= 'a' && r <= 'f':
		return r - 'a' + 10, true
	case r >= 'A' && r <= 'F':
		return r - 'A' + 10, true
	}
	return 0, false
}

// isIRIChar reports whether r may appear unescaped in an IRIREF: any
// character above the ASCII controls and space except <>"{}|^`\.
func isIRIChar(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiIRIChar(byte(r))
	}
	return true
}

// iriASCIILow and iriASCIIHigh hold a bit for each ASCII character
// isIRIChar allows, so that the scanners of long runs of plain IRI bytes
// (reading and writing every IRI of a bulk load) test a byte with a shift
// instead of a switch.
const (
	// Characters 0x00-0x3F: all but the controls, space, '"' and '<', '>'.
	iriASCIILow = ^uint64(0) &^ (1<<0x21 - 1) &^ (1 << '"') &^ (1 << '<') &^ (1 << '>')
	// Characters 0x40-0x7F: all but '\\', '^', '`', '{', '|' and '}'.
	iriASCIIHigh = ^uint64(0) &^ (1 << ('\\' - 0x40)) &^ (1 << ('^' - 0x40)) &^ (1 << ('`' - 0x40)) &^
		(1 << ('{' - 0x40)) &^ (1 << ('|' - 0x40)) &^ (1 << ('}' - 0x40))
)

// asciiIRIChar is isIRIChar for an ASCII byte c (c < 0x80).
func asciiIRIChar(c byte) bool {
	if c < 0x40 {
		return iriASCIILow&(1<<c) != 0
	}
	return iriASCIIHigh&(1<<(c-0x40)) != 0
}

// echar returns the character an ECHAR escape `\c` stands for.
func echar(c rune) (rune, bool) {
	switch c {
	case 't':
		return '\t', true
	case 'b':
		return '\b', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 'f':
		return '\f', true
	case '"', '\'', '\\':
		return c, true
	}
	return 0, false
}

// validScalar reports whether a UCHAR's value is a Unicode scalar value:
// surrogates and values past U+10FFFF cannot be encoded in UTF-8.
func validScalar(r rune) bool { return utf8.ValidRune(r) }

// hasScheme reports whether iri starts with a URI scheme, which N-Triples
// requires: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":".
func hasScheme(iri string) bool {
	for i := 0; i < len(iri); i++ {
		c := rune(iri[i])
		switch {
		case isAlpha(c):
		case i > 0 && (isDigit(c) || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}

// validLangTag checks LANGTAG after the '@': [a-zA-Z]+ ('-' [a-zA-Z0-9]+)*.
func validLangTag(tag string) bool {
	first := true
	n := 0
	for _, r := range tag {
		switch {
		case r == '-':
			if n == 0 {
				return false
			}
			first, n = false, 0
		case isAlpha(r), !first && isDigit(r):
			n++
		default:
			return false
		}
	}
	return n > 0
}
