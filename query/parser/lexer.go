package parser

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is the kind of a lexical token.
type tokKind int

const (
	tokEOF       tokKind = iota
	tokError             // a lexical error; token.val holds the message
	tokNewline           // fact patterns are line-oriented, so newlines are tokens
	tokDot               // .
	tokLBrace            // {
	tokRBrace            // }
	tokLParen            // (
	tokRParen            // )
	tokComma             // ,
	tokSemicolon         // ; between the operations of an update
	tokStar              // *
	tokQuestion          // a `?` that does not start a variable: the optional marker
	tokCarets            // ^^
	tokWord              // a bare word: a keyword, true, false or INF
	tokVar               // ?name; val is the name
	tokEntity            // <name>; val is the name
	tokQName             // prefix:local; val is the whole QName
	tokKID               // #digits; val is the digits
	tokBlank             // _:name; val is the name
	tokString            // "..."; val is the decoded string, lang the tag
	tokNumber            // val is the number as written, sign included
	tokTime              // '...'; val is the text between the quotes
)

// token is one lexical token.
type token struct {
	kind tokKind
	pos  Position
	text string // as written, for error messages
	val  string
	lang string
	// spaceBefore is set when whitespace, a comment or a line break precedes
	// the token; the optional marker must not have any.
	spaceBefore bool
}

// maxDescLen caps how much of a token an error message quotes.
const maxDescLen = 40

// desc describes the token for an error message.
func (t token) desc() string {
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokNewline:
		return "end of line"
	}
	if t.kind == tokTime {
		return shorten(t.text) // already quoted
	}
	return "'" + shorten(t.text) + "'"
}

// shorten keeps error messages readable when the input has huge tokens.
func shorten(text string) string {
	if utf8.RuneCountInString(text) > maxDescLen {
		return string([]rune(text)[:maxDescLen]) + "..."
	}
	return text
}

// lexer splits the input into tokens on demand, so large insert data is
// never held as a token slice. It stops at the first lexical error, which
// becomes a tokError so the parser reports errors in input order.
type lexer struct {
	src       string
	off       int // byte offset of the next rune
	line, col int // position of the next rune
	last      token
	started   bool
}

func newLexer(src string) *lexer {
	lx := &lexer{src: src, line: 1, col: 1}
	if bad := invalidUTF8(src); bad >= 0 {
		lx.advanceTo(bad)
		lx.last = lx.errorf(lx.pos(), "invalid UTF-8 byte 0x%02x", src[bad])
		lx.started = true
	}
	return lx
}

// next returns the next token; after tokEOF or tokError it keeps returning
// that token.
func (lx *lexer) next() token {
	if lx.started && (lx.last.kind == tokEOF || lx.last.kind == tokError) {
		return lx.last
	}
	space := lx.skipBlanks()
	tok := lx.scan()
	tok.spaceBefore = space || !lx.started || lx.last.kind == tokNewline
	lx.last, lx.started = tok, true
	return tok
}

// invalidUTF8 returns the offset of the first invalid byte, or -1.
func invalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return -1
}

func (lx *lexer) pos() Position { return Position{Line: lx.line, Col: lx.col} }

func (lx *lexer) eof() bool { return lx.off >= len(lx.src) }

// peekRune returns the next rune without consuming it, or -1 at the end.
func (lx *lexer) peekRune() rune { return lx.peekRuneAt(0) }

// peekRuneAt returns the rune that starts n bytes after the next one.
func (lx *lexer) peekRuneAt(n int) rune {
	if lx.off+n >= len(lx.src) {
		return -1
	}
	r, _ := utf8.DecodeRuneInString(lx.src[lx.off+n:])
	return r
}

// nextRune consumes one rune, keeping the line and column current.
func (lx *lexer) nextRune() rune {
	if lx.eof() {
		return -1
	}
	r, size := utf8.DecodeRuneInString(lx.src[lx.off:])
	lx.off += size
	if r == '\n' {
		lx.line++
		lx.col = 1
	} else {
		lx.col++
	}
	return r
}

// advanceTo consumes runes up to the byte offset end.
func (lx *lexer) advanceTo(end int) {
	for lx.off < end {
		lx.nextRune()
	}
}

// acceptWhile consumes runes while ok holds and reports how many it took.
func (lx *lexer) acceptWhile(ok func(rune) bool) int {
	n := 0
	for !lx.eof() && ok(lx.peekRune()) {
		lx.nextRune()
		n++
	}
	return n
}

// skipBlanks skips spaces and comments, but not newlines, and reports
// whether it skipped anything.
func (lx *lexer) skipBlanks() bool {
	skipped := false
	for !lx.eof() {
		switch r := lx.peekRune(); {
		case isBlank(r):
			lx.nextRune()
		case r == '#' && lx.atComment():
			lx.acceptWhile(func(r rune) bool { return r != '\n' })
		default:
			return skipped
		}
		skipped = true
	}
	return skipped
}

// atComment reports whether the `#` at the current offset starts a comment.
// `#` followed by a digit is a KID, so a comment needs `#` followed by a
// blank, another `#`, or the end of the line.
func (lx *lexer) atComment() bool {
	r := lx.peekRuneAt(1)
	return r == -1 || r == '\n' || r == '#' || isBlank(r)
}

func isBlank(r rune) bool {
	return r == ' ' || r == '\t' || r == '\r' || r == '\v' || r == '\f'
}

func isDigit(r rune) bool       { return r >= '0' && r <= '9' }
func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// isWordChar reports whether r may continue a bare word or a QName prefix.
func isWordChar(r rune) bool { return isASCIILetter(r) || isDigit(r) || r == '_' || r == '-' }

// isLocalChar reports whether r may appear in a QName's local part or a
// blank node name.
func isLocalChar(r rune) bool { return isWordChar(r) || r == '.' }

// isVarChar reports whether r may appear in a variable name.
func isVarChar(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

// errorf returns an error token.
func (lx *lexer) errorf(pos Position, format string, args ...any) token {
	return token{kind: tokError, pos: pos, val: fmt.Sprintf(format, args...)}
}

// scan reads the token at the current offset.
func (lx *lexer) scan() token {
	start, pos := lx.off, lx.pos()
	if lx.eof() {
		return token{kind: tokEOF, pos: pos}
	}
	tok := lx.scanToken(pos)
	if tok.kind != tokError {
		tok.pos = pos
		tok.text = lx.src[start:lx.off]
	}
	return tok
}

// punctuation maps single-character tokens to their kinds.
func punctuation(r rune) (tokKind, bool) {
	switch r {
	case '\n':
		return tokNewline, true
	case '.':
		return tokDot, true
	case '{':
		return tokLBrace, true
	case '}':
		return tokRBrace, true
	case '(':
		return tokLParen, true
	case ')':
		return tokRParen, true
	case ',':
		return tokComma, true
	case ';':
		return tokSemicolon, true
	case '*':
		return tokStar, true
	}
	return 0, false
}

// scanToken dispatches on the first rune of a token.
func (lx *lexer) scanToken(pos Position) token {
	r := lx.peekRune()
	if kind, ok := punctuation(r); ok {
		lx.nextRune()
		return token{kind: kind}
	}
	switch {
	case r == '?':
		return lx.scanQuestion()
	case r == '<':
		return lx.scanEntity(pos)
	case r == '"':
		return lx.scanString(pos)
	case r == '\'':
		return lx.scanTime(pos)
	case r == '#':
		return lx.scanKID(pos)
	case r == '_':
		return lx.scanBlank(pos)
	case r == '^':
		return lx.scanCarets(pos)
	case r == '-' || r == '+' || isDigit(r):
		return lx.scanNumber(pos)
	case isASCIILetter(r):
		return lx.scanWord(pos)
	}
	return lx.errorf(pos, "unexpected character %q", r)
}

// scanQuestion reads a variable, or the optional marker when no name
// follows. So `<lives>?x` is a predicate and a variable, as in SPARQL, and
// the optional marker needs a blank or line end after it: `<lives>? ?x`.
func (lx *lexer) scanQuestion() token {
	lx.nextRune()
	start := lx.off
	if lx.acceptWhile(isVarChar) == 0 {
		return token{kind: tokQuestion}
	}
	return token{kind: tokVar, val: lx.src[start:lx.off]}
}

// scanEntity reads `<name>`.
func (lx *lexer) scanEntity(pos Position) token {
	lx.nextRune()
	start := lx.off
	lx.acceptWhile(func(r rune) bool { return r != '>' && isEntityChar(r) })
	name := lx.src[start:lx.off]
	if lx.peekRune() != '>' {
		if lx.eof() || unicode.IsSpace(lx.peekRune()) {
			return lx.errorf(pos, "entity <%s is missing its closing '>' (entity names cannot contain spaces)", shorten(name))
		}
		return lx.errorf(lx.pos(), "entity name cannot contain %q", lx.peekRune())
	}
	lx.nextRune()
	if name == "" {
		return lx.errorf(pos, "empty entity name <>")
	}
	return token{kind: tokEntity, val: name}
}

// isEntityChar reports whether r may appear inside `<...>`.
func isEntityChar(r rune) bool { return !unicode.IsSpace(r) && !unicode.IsControl(r) }

// validEntityName reports whether `<name>` lexes back to name.
func validEntityName(name string) bool {
	if name == "" || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if r == '>' || !isEntityChar(r) {
			return false
		}
	}
	return true
}

// scanString reads a double-quoted string and its optional @lang tag.
func (lx *lexer) scanString(pos Position) token {
	lx.nextRune()
	var b strings.Builder
	for {
		escPos := lx.pos()
		switch r := lx.nextRune(); r {
		case -1, '\n':
			return lx.errorf(pos, "unterminated string: missing closing '\"' before end of line")
		case '"':
			return lx.scanLang(b.String())
		case '\\':
			decoded, err := lx.scanEscape(escPos)
			if err != nil {
				return *err
			}
			b.WriteRune(decoded)
		default:
			b.WriteRune(r)
		}
	}
}

// scanEscape decodes the escape after a backslash.
func (lx *lexer) scanEscape(pos Position) (rune, *token) {
	r := lx.nextRune()
	switch r {
	case '"', '\\':
		return r, nil
	case 'n':
		return '\n', nil
	case 't':
		return '\t', nil
	case 'r':
		return '\r', nil
	case 'u':
		return lx.scanHexEscape(pos, r, 4)
	case 'U':
		return lx.scanHexEscape(pos, r, 8)
	case -1, '\n':
		tok := lx.errorf(pos, "unterminated string: backslash at end of line")
		return 0, &tok
	}
	tok := lx.errorf(pos, "invalid escape \\%c in string (valid: \\\" \\\\ \\n \\t \\r \\uXXXX \\UXXXXXXXX)", r)
	return 0, &tok
}

// scanHexEscape decodes the n hex digits of a \u or \U escape.
func (lx *lexer) scanHexEscape(pos Position, letter rune, n int) (rune, *token) {
	var v rune
	for i := 0; i < n; i++ {
		d := hexValue(lx.peekRune())
		if d < 0 {
			tok := lx.errorf(pos, "invalid escape in string: \\%c needs %d hex digits", letter, n)
			return 0, &tok
		}
		lx.nextRune()
		v = v<<4 | rune(d)
	}
	if !utf8.ValidRune(v) {
		tok := lx.errorf(pos, "invalid escape in string: U+%04X is not a valid code point", v)
		return 0, &tok
	}
	return v, nil
}

func hexValue(r rune) int {
	switch {
	case isDigit(r):
		return int(r - '0')
	case r >= 'a' && r <= 'f':
		return int(r-'a') + 10
	case r >= 'A' && r <= 'F':
		return int(r-'A') + 10
	}
	return -1
}

// scanLang reads the optional @lang tag that directly follows a string.
func (lx *lexer) scanLang(s string) token {
	if lx.peekRune() != '@' {
		return token{kind: tokString, val: s}
	}
	atPos := lx.pos()
	lx.nextRune()
	start := lx.off
	lx.acceptWhile(func(r rune) bool { return isASCIILetter(r) || isDigit(r) || r == '-' })
	lang := lx.src[start:lx.off]
	if !validLangTag(lang) {
		return lx.errorf(atPos, "invalid language tag @%s: expected letters, optionally followed by -subtags, like @en or @en-GB", shorten(lang))
	}
	return token{kind: tokString, val: s, lang: lang}
}

// validLangTag checks the tag against [A-Za-z]+(-[A-Za-z0-9]+)*.
func validLangTag(tag string) bool {
	parts := strings.Split(tag, "-")
	for i, part := range parts {
		if part == "" {
			return false
		}
		for _, r := range part {
			if !isASCIILetter(r) && (i == 0 || !isDigit(r)) {
				return false
			}
		}
	}
	return true
}

// scanTime reads a single-quoted timestamp; the parser checks its contents.
func (lx *lexer) scanTime(pos Position) token {
	lx.nextRune()
	start := lx.off
	lx.acceptWhile(func(r rune) bool { return r != '\'' && r != '\n' })
	if lx.peekRune() != '\'' {
		return lx.errorf(pos, "unterminated timestamp: missing closing \"'\" before end of line")
	}
	val := lx.src[start:lx.off]
	lx.nextRune()
	return token{kind: tokTime, val: val}
}

// scanKID reads `#digits`; comments were skipped before getting here.
func (lx *lexer) scanKID(pos Position) token {
	lx.nextRune()
	start := lx.off
	if lx.acceptWhile(isDigit) == 0 {
		return lx.errorf(pos, "'#' must start a KID like #1052 or, followed by a space, a comment")
	}
	if isWordChar(lx.peekRune()) {
		return lx.errorf(pos, "invalid KID #%s%c: expected only digits", shorten(lx.src[start:lx.off]), lx.peekRune())
	}
	return token{kind: tokKID, val: lx.src[start:lx.off]}
}

// scanBlank reads a blank node `_:name`.
func (lx *lexer) scanBlank(pos Position) token {
	lx.nextRune()
	if lx.peekRune() != ':' {
		return lx.errorf(pos, "'_' must start a blank node like _:b")
	}
	lx.nextRune()
	name := lx.scanLocal()
	if name == "" {
		return lx.errorf(pos, "blank node _: is missing its name")
	}
	return token{kind: tokBlank, val: name}
}

// scanLocal reads a QName local part or blank node name. A trailing '.'
// ends the fact line instead of belonging to the name.
func (lx *lexer) scanLocal() string {
	start := lx.off
	end := start
	for i, r := range lx.src[start:] {
		if !isLocalChar(r) {
			break
		}
		if r != '.' {
			end = start + i + 1
		}
	}
	lx.advanceTo(end)
	return lx.src[start:end]
}

// scanCarets reads the `^^` that introduces a unit.
func (lx *lexer) scanCarets(pos Position) token {
	lx.nextRune()
	if lx.nextRune() != '^' {
		return lx.errorf(pos, "expected '^^' before a unit, found a single '^'")
	}
	return token{kind: tokCarets}
}

// scanNumber reads an integer, a float, or a signed INF.
func (lx *lexer) scanNumber(pos Position) token {
	start := lx.off
	if r := lx.peekRune(); r == '-' || r == '+' {
		lx.nextRune()
		if isASCIILetter(lx.peekRune()) {
			return lx.scanSignedWord(pos, start)
		}
	}
	if lx.acceptWhile(isDigit) == 0 {
		return lx.errorf(pos, "expected digits after sign %q", lx.src[start:lx.off])
	}
	if lx.peekRune() == '.' && isDigit(lx.peekRuneAt(1)) {
		lx.nextRune()
		lx.acceptWhile(isDigit)
	}
	lx.scanExponent()
	if r := lx.peekRune(); isWordChar(r) || r == '.' && isDigit(lx.peekRuneAt(1)) {
		lx.acceptWhile(isLocalChar)
		return lx.errorf(pos, "malformed number %s", shorten(lx.src[start:lx.off]))
	}
	return token{kind: tokNumber, val: lx.src[start:lx.off]}
}

// scanExponent reads an optional exponent like e10 or E-3.
func (lx *lexer) scanExponent() {
	if r := lx.peekRune(); r != 'e' && r != 'E' {
		return
	}
	n := 1
	if r := lx.peekRuneAt(1); r == '+' || r == '-' {
		n = 2
	}
	if !isDigit(lx.peekRuneAt(n)) {
		return // not an exponent; the caller reports the malformed number
	}
	for i := 0; i < n; i++ {
		lx.nextRune()
	}
	lx.acceptWhile(isDigit)
}

// scanSignedWord reads the word after a sign, which must be INF.
func (lx *lexer) scanSignedWord(pos Position, start int) token {
	wordStart := lx.off
	lx.acceptWhile(isWordChar)
	if !strings.EqualFold(lx.src[wordStart:lx.off], "INF") {
		return lx.errorf(pos, "malformed number %s", shorten(lx.src[start:lx.off]))
	}
	return token{kind: tokNumber, val: lx.src[start:lx.off]}
}

// scanWord reads a bare word, or a QName when a ':' follows.
func (lx *lexer) scanWord(pos Position) token {
	start := lx.off
	lx.acceptWhile(isWordChar)
	if lx.peekRune() != ':' {
		return token{kind: tokWord, val: lx.src[start:lx.off]}
	}
	lx.nextRune()
	if lx.scanLocal() == "" {
		return lx.errorf(pos, "QName %s is missing its local name after ':'", shorten(lx.src[start:lx.off]))
	}
	return token{kind: tokQName, val: lx.src[start:lx.off]}
}

// validQName reports whether name lexes back as a single QName.
func validQName(name string) bool {
	prefix, local, ok := strings.Cut(name, ":")
	if !ok || prefix == "" || local == "" || !isASCIILetter(rune(prefix[0])) {
		return false
	}
	return strings.IndexFunc(prefix, func(r rune) bool { return !isWordChar(r) }) < 0 &&
		strings.IndexFunc(local, func(r rune) bool { return !isLocalChar(r) }) < 0 &&
		!strings.HasSuffix(local, ".")
}
