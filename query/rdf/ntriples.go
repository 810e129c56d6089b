package rdf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// NTriplesReader reads N-Triples, one line at a time.
type NTriplesReader struct {
	r    *bufio.Reader
	line int      // number of the last line read
	segs [][]byte // the rest of a chunk split at lone carriage returns
	err  error
	long []byte // a line longer than the buffer, being assembled
}

// NewNTriplesReader reads N-Triples from r.
func NewNTriplesReader(r io.Reader) *NTriplesReader {
	return &NTriplesReader{r: bufio.NewReaderSize(r, 1<<16)}
}

// Next returns the next triple, or io.EOF after the last one.
func (nt *NTriplesReader) Next() (Triple, error) {
	for nt.err == nil {
		line, err := nt.nextLine()
		if err != nil {
			nt.err = err
			break
		}
		t, ok, perr := parseNTLine(line, nt.line)
		if perr != nil {
			nt.err = perr
			break
		}
		if ok {
			return t, nil
		}
	}
	return Triple{}, nt.err
}

// Line is the number of the line the last triple or error came from.
func (nt *NTriplesReader) Line() int { return nt.line }

// nextLine returns the next line without its end. N-Triples ends lines
// with any run of CR and LF, so a chunk read up to LF may hold several
// lines separated by lone CRs.
func (nt *NTriplesReader) nextLine() ([]byte, error) {
	if len(nt.segs) == 0 {
		chunk, err := nt.readChunk()
		if err != nil {
			return nil, err
		}
		chunk = bytes.TrimSuffix(bytes.TrimSuffix(chunk, []byte{'\n'}), []byte{'\r'})
		nt.segs = bytes.Split(chunk, []byte{'\r'})
	}
	seg := nt.segs[0]
	nt.segs = nt.segs[1:]
	nt.line++
	return seg, nil
}

// readChunk reads up to and including the next LF, or to the end of input.
func (nt *NTriplesReader) readChunk() ([]byte, error) {
	nt.long = nt.long[:0]
	for {
		b, err := nt.r.ReadSlice('\n')
		switch {
		case err == nil && len(nt.long) == 0:
			return b, nil
		case err == nil:
			return append(nt.long, b...), nil
		case errors.Is(err, bufio.ErrBufferFull):
			nt.long = append(nt.long, b...)
		case err == io.EOF:
			if len(b) == 0 && len(nt.long) == 0 {
				return nil, io.EOF
			}
			return append(nt.long, b...), nil
		default:
			return nil, fmt.Errorf("reading line %d: %w", nt.line+1, err)
		}
	}
}

// ntLine is a cursor over one line.
type ntLine struct {
	b    []byte
	i    int
	line int
}

// errAt makes an error at byte offset off of the line.
func (l *ntLine) errAt(off int, format string, args ...any) *Error {
	off = min(off, len(l.b))
	return errorf(Position{Line: l.line, Col: utf8.RuneCount(l.b[:off]) + 1}, format, args...)
}

func (l *ntLine) skipWS() {
	for l.i < len(l.b) && (l.b[l.i] == ' ' || l.b[l.i] == '\t') {
		l.i++
	}
}

func (l *ntLine) peek() byte {
	if l.i < len(l.b) {
		return l.b[l.i]
	}
	return 0
}

// parseNTLine parses one line: a triple, or nothing but space and comment.
func parseNTLine(b []byte, lineNo int) (Triple, bool, *Error) {
	l := &ntLine{b: b, line: lineNo}
	if !utf8.Valid(b) {
		return Triple{}, false, l.errAt(invalidUTF8At(b), "invalid UTF-8")
	}
	l.skipWS()
	if l.i == len(b) || b[l.i] == '#' {
		return Triple{}, false, nil
	}
	t := Triple{Pos: Position{Line: lineNo, Col: utf8.RuneCount(b[:l.i]) + 1}}
	var err *Error
	if t.S, err = l.subject(); err != nil {
		return Triple{}, false, err
	}
	if t.P, err = l.predicate(); err != nil {
		return Triple{}, false, err
	}
	if t.O, err = l.object(); err != nil {
		return Triple{}, false, err
	}
	l.skipWS()
	if l.peek() != '.' {
		return Triple{}, false, l.errAt(l.i, "expected '.' after the object, found %s", l.describe())
	}
	l.i++
	l.skipWS()
	if l.i < len(b) && b[l.i] != '#' {
		return Triple{}, false, l.errAt(l.i, "expected the end of the line after '.', found %s: N-Triples has one triple per line", l.describe())
	}
	return t, true, nil
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// describe names what is at the cursor, for error messages.
func (l *ntLine) describe() string {
	if l.i >= len(l.b) {
		return "the end of the line"
	}
	r, _ := utf8.DecodeRune(l.b[l.i:])
	return fmt.Sprintf("%q", r)
}

func (l *ntLine) subject() (Term, *Error) {
	l.skipWS()
	switch {
	case l.peek() == '<':
		return l.iri()
	case bytes.HasPrefix(l.b[l.i:], []byte("_:")):
		return l.blank()
	}
	return Term{}, l.errAt(l.i, "expected a subject (<IRI> or _:label), found %s", l.describe())
}

func (l *ntLine) predicate() (Term, *Error) {
	l.skipWS()
	if l.peek() != '<' {
		return Term{}, l.errAt(l.i, "expected a predicate <IRI>, found %s", l.describe())
	}
	return l.iri()
}

func (l *ntLine) object() (Term, *Error) {
	l.skipWS()
	switch {
	case l.peek() == '<':
		return l.iri()
	case l.peek() == '"':
		return l.literal()
	case bytes.HasPrefix(l.b[l.i:], []byte("_:")):
		return l.blank()
	}
	return Term{}, l.errAt(l.i, "expected an object (<IRI>, _:label or \"literal\"), found %s", l.describe())
}

// iri reads an absolute IRIREF.
func (l *ntLine) iri() (Term, *Error) {
	start := l.i
	s, err := l.iriRef()
	if err != nil {
		return Term{}, err
	}
	if !hasScheme(s) {
		return Term{}, l.errAt(start, "relative IRI <%s>: N-Triples needs absolute IRIs", s)
	}
	return NewIRI(s), nil
}

// iriRef reads `<...>` and returns it unescaped.
func (l *ntLine) iriRef() (string, *Error) {
	start := l.i
	l.i++ // '<'
	plain := true
	for j := l.i; j < len(l.b); j++ {
		c := l.b[j]
		if c == '>' {
			if plain {
				s := string(l.b[l.i:j])
				l.i = j + 1
				return s, nil
			}
			break
		}
		if c < utf8.RuneSelf && !asciiIRIChar(c) {
			plain = false
			break
		}
	}
	var sb strings.Builder
	for {
		if l.i >= len(l.b) {
			return "", l.errAt(start, "unterminated IRI: missing '>'")
		}
		r, n := utf8.DecodeRune(l.b[l.i:])
		switch {
		case r == '>':
			l.i++
			return sb.String(), nil
		case r == '\\':
			at := l.i
			u, err := l.uchar()
			if err != nil {
				return "", err
			}
			if !isIRIChar(u) {
				return "", l.errAt(at, "escape for %q: the character is not allowed in an IRI", u)
			}
			sb.WriteRune(u)
		case !isIRIChar(r):
			return "", l.errAt(l.i, "character %q is not allowed in an IRI", r)
		default:
			sb.WriteRune(r)
			l.i += n
		}
	}
}

// uchar reads \uXXXX or \UXXXXXXXX at the cursor.
func (l *ntLine) uchar() (rune, *Error) {
	start := l.i
	if l.i+1 >= len(l.b) || (l.b[l.i+1] != 'u' && l.b[l.i+1] != 'U') {
		return 0, l.errAt(start, "bad escape: only \\uXXXX and \\UXXXXXXXX are allowed here")
	}
	n := 4
	if l.b[l.i+1] == 'U' {
		n = 8
	}
	if l.i+2+n > len(l.b) {
		return 0, l.errAt(start, "bad escape: \\%c needs %d hex digits", l.b[l.i+1], n)
	}
	var r rune
	for _, c := range l.b[l.i+2 : l.i+2+n] {
		v, ok := hexVal(rune(c))
		if !ok {
			return 0, l.errAt(start, "bad escape: \\%c needs %d hex digits", l.b[l.i+1], n)
		}
		r = r<<4 | v
	}
	if !validScalar(r) {
		return 0, l.errAt(start, "escape \\%c%X is not a Unicode character", l.b[l.i+1], r)
	}
	l.i += 2 + n
	return r, nil
}

// blank reads `_:label`.
func (l *ntLine) blank() (Term, *Error) {
	start := l.i
	l.i += 2
	label, ok := scanBlankLabel(l.b[l.i:])
	if !ok {
		return Term{}, l.errAt(start, "bad blank node label: expected a letter, digit or '_' after '_:'")
	}
	l.i += len(label)
	return NewBlank(label), nil
}

// scanBlankLabel returns the longest blank node label at the start of b:
// (PN_CHARS_U | [0-9]) ((PN_CHARS | '.')* PN_CHARS)?
func scanBlankLabel(b []byte) (string, bool) {
	r, n := utf8.DecodeRune(b)
	if len(b) == 0 || !(isPNCharsU(r) || isDigit(r)) {
		return "", false
	}
	end, i := n, n
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if r != '.' && !isPNChars(r) {
			break
		}
		i += n
		if r != '.' {
			end = i
		}
	}
	return string(b[:end]), true
}

// literal reads a quoted string with an optional datatype or language.
func (l *ntLine) literal() (Term, *Error) {
	lex, err := l.quoted()
	if err != nil {
		return Term{}, err
	}
	l.skipWS()
	switch {
	case bytes.HasPrefix(l.b[l.i:], []byte("^^")):
		l.i += 2
		l.skipWS()
		if l.peek() != '<' {
			return Term{}, l.errAt(l.i, "expected a datatype <IRI> after '^^', found %s", l.describe())
		}
		dt, err := l.iri()
		if err != nil {
			return Term{}, err
		}
		return NewLiteral(lex, dt.Value, ""), nil
	case l.peek() == '@':
		start := l.i
		l.i++
		j := l.i
		for j < len(l.b) && (isAlpha(rune(l.b[j])) || isDigit(rune(l.b[j])) || l.b[j] == '-') {
			j++
		}
		tag := string(l.b[l.i:j])
		if !validLangTag(tag) {
			return Term{}, l.errAt(start, "bad language tag @%s", tag)
		}
		l.i = j
		return NewLiteral(lex, "", tag), nil
	}
	return NewLiteral(lex, XSDString, ""), nil
}

// quoted reads STRING_LITERAL_QUOTE and returns it unescaped.
func (l *ntLine) quoted() (string, *Error) {
	start := l.i
	l.i++ // '"'
	if j := bytes.IndexByte(l.b[l.i:], '"'); j >= 0 && bytes.IndexByte(l.b[l.i:l.i+j], '\\') < 0 {
		s := string(l.b[l.i : l.i+j])
		l.i += j + 1
		return s, nil
	}
	var sb strings.Builder
	for {
		if l.i >= len(l.b) {
			return "", l.errAt(start, "unterminated string: missing '\"' before the end of the line")
		}
		c := l.b[l.i]
		switch c {
		case '"':
			l.i++
			return sb.String(), nil
		case '\\':
			r, err := l.stringEscape()
			if err != nil {
				return "", err
			}
			sb.WriteRune(r)
		default:
			sb.WriteByte(c)
			l.i++
		}
	}
}

// stringEscape reads ECHAR or UCHAR.
func (l *ntLine) stringEscape() (rune, *Error) {
	if l.i+1 < len(l.b) {
		if r, ok := echar(rune(l.b[l.i+1])); ok {
			l.i += 2
			return r, nil
		}
	}
	return l.uchar()
}
