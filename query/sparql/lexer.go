package sparql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// tokenKind says what a token is.
type tokenKind uint8

const (
	tEOF     tokenKind = iota
	tIRI               // <...>; text is the IRI as written, escapes decoded
	tPName             // prefix:local; text is the whole name, local escapes decoded
	tBlank             // _:label; text is the label
	tVar               // ?x or $x; text is the name
	tString            // any quote style; text is the decoded value
	tLangTag           // @en-GB; text is the tag without '@'
	tInteger           // text is the lexical form
	tDecimal           //
	tDouble            //
	tKeyword           // a bare name such as SELECT or STR; text as written
	tPunct             // operators and brackets
)

// token is one lexical unit. start and end are byte offsets into the
// input, so the parser can tell whether two tokens touch (as in "-1").
type token struct {
	kind       tokenKind
	text       string
	pos        Position
	start, end int
}

// describe renders a token for "found ..." in error messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tIRI:
		return "<" + t.text + ">"
	case tString:
		return fmt.Sprintf("string %q", t.text)
	case tVar:
		return "?" + t.text
	case tBlank:
		return "_:" + t.text
	case tLangTag:
		return "@" + t.text
	}
	return "'" + t.text + "'"
}

// lexer splits SPARQL text into tokens on demand.
type lexer struct {
	src       string
	off       int
	line, col int
}

func newLexer(src string) *lexer {
	return &lexer{src: src, line: 1, col: 1}
}

func (lx *lexer) peekRune() rune {
	if lx.off >= len(lx.src) {
		return -1
	}
	r, _ := utf8.DecodeRuneInString(lx.src[lx.off:])
	return r
}

func (lx *lexer) peekAt(n int) byte {
	if lx.off+n >= len(lx.src) {
		return 0
	}
	return lx.src[lx.off+n]
}

func (lx *lexer) advance() rune {
	r, size := utf8.DecodeRuneInString(lx.src[lx.off:])
	lx.off += size
	if r == '\n' {
		lx.line, lx.col = lx.line+1, 1
	} else {
		lx.col++
	}
	return r
}

func (lx *lexer) pos() Position { return Position{Line: lx.line, Col: lx.col} }

func (lx *lexer) errorf(pos Position, format string, args ...any) error {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// skipSpace skips white space and '#' comments.
func (lx *lexer) skipSpace() {
	for lx.off < len(lx.src) {
		switch r := lx.peekRune(); {
		case r == ' ' || r == '\t' || r == '\r' || r == '\n':
			lx.advance()
		case r == '#':
			for lx.off < len(lx.src) && lx.peekRune() != '\n' {
				lx.advance()
			}
		default:
			return
		}
	}
}

// next returns the next token.
func (lx *lexer) next() (token, error) {
	lx.skipSpace()
	pos, start := lx.pos(), lx.off
	tok, err := lx.scan(pos)
	tok.pos, tok.start, tok.end = pos, start, lx.off
	return tok, err
}

func (lx *lexer) scan(pos Position) (token, error) {
	r := lx.peekRune()
	switch {
	case r == -1:
		return token{kind: tEOF}, nil
	case r == '<':
		if tok, ok, err := lx.iriRef(pos); ok || err != nil {
			return tok, err
		}
		return lx.operator()
	case r == '?' || r == '$':
		return lx.variable()
	case r == '"' || r == '\'':
		return lx.stringLiteral(pos)
	case r == '@':
		return lx.langTag(pos)
	case r == '_' && lx.peekAt(1) == ':':
		return lx.blankLabel(pos)
	case isDigit(r) || r == '.' && isDigit(rune(lx.peekAt(1))):
		return lx.number(pos)
	case r == ':' || isPNCharsBase(r):
		return lx.name(pos)
	}
	return lx.operator()
}

// operators lists the punctuation tokens, longest first where one is a
// prefix of another.
func operators() []string {
	return []string{"^^", "&&", "||", "!=", "<=", ">=",
		"{", "}", "(", ")", "[", "]", ";", ",", ".", "=", "<", ">", "!",
		"+", "-", "*", "/", "^", "|", "?"}
}

func (lx *lexer) operator() (token, error) {
	for _, op := range operators() {
		if strings.HasPrefix(lx.src[lx.off:], op) {
			for range op {
				lx.advance()
			}
			return token{kind: tPunct, text: op}, nil
		}
	}
	pos := lx.pos()
	return token{}, lx.errorf(pos, "unexpected character %q", lx.peekRune())
}

// iriRef reads <...> if what follows '<' is an IRI; ok is false when it is
// the less-than operator instead.
func (lx *lexer) iriRef(pos Position) (token, bool, error) {
	end := strings.IndexByte(lx.src[lx.off+1:], '>')
	if end < 0 {
		return token{}, false, nil
	}
	body := lx.src[lx.off+1 : lx.off+1+end]
	for _, r := range body {
		if r <= 0x20 || strings.ContainsRune("<\"{}|^`", r) {
			return token{}, false, nil
		}
	}
	if strings.ContainsRune(body, '\\') {
		return token{}, false, lx.errorf(pos, "escapes are not allowed in an IRI")
	}
	for range utf8.RuneCountInString(body) + 2 {
		lx.advance()
	}
	return token{kind: tIRI, text: body}, true, nil
}

func (lx *lexer) variable() (token, error) {
	sigil := lx.advance()
	r := lx.peekRune()
	if !isPNCharsU(r) && !isDigit(r) {
		if sigil == '?' {
			return token{kind: tPunct, text: "?"}, nil
		}
		return token{}, lx.errorf(lx.pos(), "expected a variable name after '$'")
	}
	var sb strings.Builder
	for r := lx.peekRune(); isVarChar(r); r = lx.peekRune() {
		sb.WriteRune(lx.advance())
	}
	return token{kind: tVar, text: sb.String()}, nil
}

func (lx *lexer) langTag(pos Position) (token, error) {
	lx.advance()
	var sb strings.Builder
	for r := lx.peekRune(); isAlpha(r) || r == '-' || isDigit(r); r = lx.peekRune() {
		sb.WriteRune(lx.advance())
	}
	if !validLangTag(sb.String()) {
		return token{}, lx.errorf(pos, "malformed language tag %q", sb.String())
	}
	return token{kind: tLangTag, text: sb.String()}, nil
}

func (lx *lexer) blankLabel(pos Position) (token, error) {
	lx.advance()
	lx.advance()
	r := lx.peekRune()
	if !isPNCharsU(r) && !isDigit(r) {
		return token{}, lx.errorf(pos, "expected a blank node label after '_:'")
	}
	label := lx.dottedRun(isPNChars)
	return token{kind: tBlank, text: label}, nil
}

// dottedRun reads characters accepted by ok, and dots that are followed
// by such a character (a name never ends in '.').
func (lx *lexer) dottedRun(ok func(rune) bool) string {
	var sb strings.Builder
	sb.WriteRune(lx.advance())
	for {
		r := lx.peekRune()
		if r == '.' && lx.dotContinues(ok) {
			sb.WriteRune(lx.advance())
			continue
		}
		if r == -1 || !ok(r) {
			return sb.String()
		}
		sb.WriteRune(lx.advance())
	}
}

// dotContinues reports whether the dots starting here are followed by a
// name character.
func (lx *lexer) dotContinues(ok func(rune) bool) bool {
	rest := strings.TrimLeft(lx.src[lx.off:], ".")
	r, _ := utf8.DecodeRuneInString(rest)
	return rest != "" && ok(r)
}

func (lx *lexer) number(pos Position) (token, error) {
	var sb strings.Builder
	kind := tInteger
	lx.digits(&sb)
	if lx.peekRune() == '.' && (isDigit(rune(lx.peekAt(1))) || lx.exponentAt(1)) {
		kind = tDecimal
		sb.WriteRune(lx.advance())
		lx.digits(&sb)
	}
	if lx.exponentAt(0) {
		kind = tDouble
		sb.WriteRune(lx.advance())
		if r := lx.peekRune(); r == '+' || r == '-' {
			sb.WriteRune(lx.advance())
		}
		lx.digits(&sb)
	}
	if sb.String() == "." {
		return token{}, lx.errorf(pos, "malformed number")
	}
	return token{kind: kind, text: sb.String()}, nil
}

func (lx *lexer) digits(sb *strings.Builder) {
	for isDigit(lx.peekRune()) {
		sb.WriteRune(lx.advance())
	}
}

// exponentAt reports whether an exponent ([eE][+-]?[0-9]) starts n bytes
// ahead.
func (lx *lexer) exponentAt(n int) bool {
	if c := lx.peekAt(n); c != 'e' && c != 'E' {
		return false
	}
	c := lx.peekAt(n + 1)
	if c == '+' || c == '-' {
		c = lx.peekAt(n + 2)
	}
	return isDigit(rune(c))
}
