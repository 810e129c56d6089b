package rdf

import (
	"fmt"
	"strings"
)

// tokKind is the kind of a Turtle token.
type tokKind uint8

const (
	tEOF     tokKind = iota + 1
	tIRI             // <...>, unescaped, not yet resolved
	tPName           // prefix:local; text is the prefix, text2 the local name
	tBlank           // _:label
	tString          // any of the four string forms, unescaped
	tAt              // @word: a language tag or @prefix / @base
	tInteger         // text is the lexical form
	tDecimal         // text is the lexical form
	tDouble          // text is the lexical form
	tWord            // a bare word: a, true, false, PREFIX, BASE
	tCaret           // ^^
	tPunct           // one of . ; , [ ] ( ); text is the character
)

type token struct {
	kind  tokKind
	text  string
	text2 string
	pos   Position
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "the end of the input"
	case tIRI:
		return "<" + t.text + ">"
	case tPName:
		return t.text + ":" + t.text2
	case tBlank:
		return "_:" + t.text
	case tString:
		return fmt.Sprintf("string %q", t.text)
	case tAt:
		return "@" + t.text
	case tCaret:
		return "'^^'"
	case tPunct:
		return "'" + t.text + "'"
	}
	return fmt.Sprintf("%q", t.text)
}

// lexer splits Turtle into tokens.
type lexer struct {
	s *scanner
}

// token reads the next token.
func (lx *lexer) token() (token, error) {
	ra, err := lx.skipSpace()
	if err != nil {
		return token{}, err
	}
	r, pos := ra.r, ra.pos
	switch {
	case r == eof:
		return token{kind: tEOF, pos: pos}, nil
	case r == '<':
		return lx.iriRef(pos)
	case r == '"' || r == '\'':
		return lx.str(r, pos)
	case r == '@':
		return token{kind: tAt, text: lx.atWord(), pos: pos}, nil
	case r == '^':
		if !lx.s.next('^') {
			return token{}, errorf(pos, "expected '^^'")
		}
		return token{kind: tCaret, pos: pos}, nil
	case r == '_' && lx.s.peek().r == ':':
		lx.s.read()
		return lx.blank(pos)
	case r == '+' || r == '-' || isDigit(r) || (r == '.' && isDigit(lx.s.peek().r)):
		lx.s.unread(ra)
		return lx.number(pos)
	case strings.ContainsRune(".;,[]()", r):
		return token{kind: tPunct, text: string(r), pos: pos}, nil
	case r == ':' || isPNCharsBase(r):
		lx.s.unread(ra)
		return lx.name(pos)
	}
	return token{}, errorf(pos, "unexpected character %q", r)
}

// skipSpace skips white space and comments and returns the next rune.
func (lx *lexer) skipSpace() (runeAt, error) {
	for {
		ra := lx.s.read()
		switch ra.r {
		case ' ', '\t', '\r', '\n':
			continue
		case '#':
			for ra.r != '\n' && ra.r != eof {
				ra = lx.s.read()
			}
			if ra.r == '\n' {
				continue
			}
		}
		if ra.r == eof {
			if err := lx.readErr(); err != nil {
				return ra, err
			}
		}
		return ra, nil
	}
}

// readErr turns a scanner failure into an *Error.
func (lx *lexer) readErr() error {
	switch e := lx.s.err.(type) {
	case nil:
		return nil
	case *Error:
		return e
	default:
		return errorf(lx.s.errP, "%v", e)
	}
}

// iriRef reads the rest of an IRIREF after '<'.
func (lx *lexer) iriRef(pos Position) (token, error) {
	var sb strings.Builder
	for {
		ra := lx.s.read()
		switch {
		case ra.r == '>':
			return token{kind: tIRI, text: sb.String(), pos: pos}, nil
		case ra.r == eof:
			if err := lx.readErr(); err != nil {
				return token{}, err
			}
			return token{}, errorf(pos, "unterminated IRI: missing '>'")
		case ra.r == '\\':
			u, err := lx.uchar(ra.pos)
			if err != nil {
				return token{}, err
			}
			if !isIRIChar(u) {
				return token{}, errorf(ra.pos, "escape for %q: the character is not allowed in an IRI", u)
			}
			sb.WriteRune(u)
		case !isIRIChar(ra.r):
			return token{}, errorf(ra.pos, "character %q is not allowed in an IRI", ra.r)
		default:
			sb.WriteRune(ra.r)
		}
	}
}

// uchar reads the rest of \uXXXX or \UXXXXXXXX after the backslash.
func (lx *lexer) uchar(pos Position) (rune, error) {
	n := 0
	switch lx.s.read().r {
	case 'u':
		n = 4
	case 'U':
		n = 8
	default:
		return 0, errorf(pos, "bad escape: expected \\uXXXX or \\UXXXXXXXX")
	}
	var r rune
	for range n {
		v, ok := hexVal(lx.s.read().r)
		if !ok {
			return 0, errorf(pos, "bad escape: expected %d hex digits", n)
		}
		r = r<<4 | v
	}
	if !validScalar(r) {
		return 0, errorf(pos, "escape for U+%X is not a Unicode character", r)
	}
	return r, nil
}

// str reads the rest of a string that opened with quote q.
func (lx *lexer) str(q rune, pos Position) (token, error) {
	long := false
	if lx.s.next(q) {
		if !lx.s.next(q) { // "" is the empty string
			return token{kind: tString, pos: pos}, nil
		}
		long = true
	}
	var sb strings.Builder
	for {
		ra := lx.s.read()
		switch {
		case ra.r == eof:
			if err := lx.readErr(); err != nil {
				return token{}, err
			}
			return token{}, errorf(pos, "unterminated string")
		case ra.r == q && (!long || lx.closesLong(q)):
			return token{kind: tString, text: sb.String(), pos: pos}, nil
		case ra.r == '\\':
			r, err := lx.escape(ra.pos)
			if err != nil {
				return token{}, err
			}
			sb.WriteRune(r)
		case !long && (ra.r == '\n' || ra.r == '\r'):
			return token{}, errorf(ra.pos, "line break in a string: use \\n, or a long string (triple quotes)")
		default:
			sb.WriteRune(ra.r)
		}
	}
}

// closesLong reports, after one quote of a long string, whether two more
// follow (and consumes them if so).
func (lx *lexer) closesLong(q rune) bool {
	a := lx.s.read()
	if a.r != q {
		lx.s.unread(a)
		return false
	}
	b := lx.s.read()
	if b.r != q {
		lx.s.unread(a, b)
		return false
	}
	return true
}

// escape reads ECHAR or UCHAR after the backslash.
func (lx *lexer) escape(pos Position) (rune, error) {
	ra := lx.s.read()
	if r, ok := echar(ra.r); ok {
		return r, nil
	}
	lx.s.unread(ra)
	return lx.uchar(pos)
}

// atWord reads the letters, digits and hyphens after '@'.
func (lx *lexer) atWord() string {
	var sb strings.Builder
	for {
		ra := lx.s.read()
		if !isAlpha(ra.r) && !isDigit(ra.r) && ra.r != '-' {
			lx.s.unread(ra)
			return sb.String()
		}
		sb.WriteRune(ra.r)
	}
}

// blank reads the label after "_:".
func (lx *lexer) blank(pos Position) (token, error) {
	first := lx.s.read()
	if !isPNCharsU(first.r) && !isDigit(first.r) {
		return token{}, errorf(pos, "bad blank node label: expected a letter, digit or '_' after '_:'")
	}
	var sb strings.Builder
	sb.WriteRune(first.r)
	var dots []runeAt
	for {
		ra := lx.s.read()
		switch {
		case ra.r == '.':
			dots = append(dots, ra)
		case isPNChars(ra.r):
			for range dots {
				sb.WriteByte('.')
			}
			dots = dots[:0]
			sb.WriteRune(ra.r)
		default:
			lx.s.unread(append(dots, ra)...)
			return token{kind: tBlank, text: sb.String(), pos: pos}, nil
		}
	}
}
