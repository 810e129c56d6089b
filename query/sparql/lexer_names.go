package sparql

import (
	"strings"
	"unicode/utf8"
)

// name reads a keyword (SELECT, STR, a, true) or a prefixed name. Both
// start alike; a ':' after the leading run makes it a prefixed name.
func (lx *lexer) name(pos Position) (token, error) {
	prefix := ""
	if lx.peekRune() != ':' {
		prefix = lx.dottedRun(isPNChars)
	}
	if lx.peekRune() != ':' {
		return token{kind: tKeyword, text: prefix}, nil
	}
	lx.advance()
	local, err := lx.local()
	if err != nil {
		return token{}, err
	}
	return token{kind: tPName, text: prefix + ":" + local}, nil
}

// local reads PN_LOCAL, keeping %hh as written and decoding '\' escapes.
func (lx *lexer) local() (string, error) {
	var sb strings.Builder
	for first := true; ; first = false {
		r := lx.peekRune()
		switch {
		case r == '%':
			if err := lx.percent(&sb); err != nil {
				return "", err
			}
		case r == '\\':
			if err := lx.localEscape(&sb); err != nil {
				return "", err
			}
		case r == '.' && !first && lx.localDotContinues():
			sb.WriteRune(lx.advance())
		case r == ':' || isPNCharsU(r) || isDigit(r) || !first && isPNChars(r):
			sb.WriteRune(lx.advance())
		default:
			return sb.String(), nil
		}
	}
}

// localDotContinues reports whether the dots here are inside a local name
// rather than ending the triple.
func (lx *lexer) localDotContinues() bool {
	rest := strings.TrimLeft(lx.src[lx.off:], ".")
	r, _ := utf8.DecodeRuneInString(rest)
	return rest != "" && (isPNChars(r) || r == ':' || r == '%' || r == '\\')
}

func (lx *lexer) percent(sb *strings.Builder) error {
	pos := lx.pos()
	if !isHex(lx.peekAt(1)) || !isHex(lx.peekAt(2)) {
		return lx.errorf(pos, "expected two hex digits after '%%' in a prefixed name")
	}
	for range 3 {
		sb.WriteRune(lx.advance())
	}
	return nil
}

func (lx *lexer) localEscape(sb *strings.Builder) error {
	pos := lx.pos()
	c := lx.peekAt(1)
	if c == 0 || !strings.ContainsRune("_~.-!$&'()*+,;=/?#@%", rune(c)) {
		return lx.errorf(pos, "invalid escape in a prefixed name")
	}
	lx.advance()
	sb.WriteRune(lx.advance())
	return nil
}

// stringLiteral reads any of the four quote styles and decodes ECHARs.
func (lx *lexer) stringLiteral(pos Position) (token, error) {
	q := string(lx.peekRune())
	long := strings.HasPrefix(lx.src[lx.off:], q+q+q)
	delim := q
	if long {
		delim = q + q + q
	}
	for range delim {
		lx.advance()
	}
	var sb strings.Builder
	for !strings.HasPrefix(lx.src[lx.off:], delim) {
		r := lx.peekRune()
		switch {
		case r == -1:
			return token{}, lx.errorf(pos, "unterminated string")
		case !long && (r == '\n' || r == '\r'):
			return token{}, lx.errorf(lx.pos(), "line break in a short string")
		case r == '\\':
			if err := lx.echar(&sb); err != nil {
				return token{}, err
			}
		default:
			sb.WriteRune(lx.advance())
		}
	}
	for range delim {
		lx.advance()
	}
	return token{kind: tString, text: sb.String()}, nil
}

func (lx *lexer) echar(sb *strings.Builder) error {
	pos := lx.pos()
	lx.advance()
	decoded, ok := map[rune]rune{'t': '\t', 'b': '\b', 'n': '\n', 'r': '\r',
		'f': '\f', '"': '"', '\'': '\'', '\\': '\\'}[lx.peekRune()]
	if !ok {
		return lx.errorf(pos, "invalid escape in a string")
	}
	lx.advance()
	sb.WriteRune(decoded)
	return nil
}

// decodeCodepoints replaces \uXXXX and \UXXXXXXXX everywhere in the text,
// as SPARQL requires before parsing (section 19.2). An escaped backslash
// is left alone so that "\\u" in a string stays what the user meant.
func decodeCodepoints(src string) (string, error) {
	if !strings.Contains(src, `\u`) && !strings.Contains(src, `\U`) {
		return src, nil
	}
	var sb strings.Builder
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != '\\' || i+1 == len(src) {
			sb.WriteByte(c)
			continue
		}
		n := map[byte]int{'u': 4, 'U': 8}[src[i+1]]
		if n == 0 {
			sb.WriteString(src[i : i+2])
			i++
			continue
		}
		r, err := hexRune(src, i+2, n)
		if err != nil {
			return "", err
		}
		sb.WriteRune(r)
		i += 1 + n
	}
	return sb.String(), nil
}

// hexRune reads n hex digits at src[at:] as a Unicode scalar value.
func hexRune(src string, at, n int) (rune, error) {
	if at+n > len(src) {
		return 0, &SyntaxError{Pos: offsetPos(src, at), Msg: "truncated \\u escape"}
	}
	var r rune
	for _, c := range []byte(src[at : at+n]) {
		if !isHex(c) {
			return 0, &SyntaxError{Pos: offsetPos(src, at), Msg: "expected hex digits in a \\u escape"}
		}
		r = r*16 + rune(hexVal(c))
	}
	if !utf8.ValidRune(r) {
		return 0, &SyntaxError{Pos: offsetPos(src, at), Msg: "\\u escape is not a Unicode scalar value"}
	}
	return r, nil
}

// offsetPos turns a byte offset into a line and column.
func offsetPos(src string, off int) Position {
	pos := Position{Line: 1, Col: 1}
	for _, r := range src[:off] {
		if r == '\n' {
			pos.Line, pos.Col = pos.Line+1, 1
		} else {
			pos.Col++
		}
	}
	return pos
}

func isPNCharsBase(r rune) bool {
	switch {
	case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z',
		r >= 0xC0 && r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0x2FF,
		r >= 0x370 && r <= 0x37D, r >= 0x37F && r <= 0x1FFF, r >= 0x200C && r <= 0x200D,
		r >= 0x2070 && r <= 0x218F, r >= 0x2C00 && r <= 0x2FEF, r >= 0x3001 && r <= 0xD7FF,
		r >= 0xF900 && r <= 0xFDCF, r >= 0xFDF0 && r <= 0xFFFD, r >= 0x10000 && r <= 0xEFFFF:
		return r != utf8.RuneError // what invalid UTF-8 decodes to
	}
	return false
}

func isPNCharsU(r rune) bool { return r == '_' || isPNCharsBase(r) }

func isPNChars(r rune) bool {
	return isPNCharsU(r) || r == '-' || isDigit(r) || r == 0xB7 ||
		r >= 0x300 && r <= 0x36F || r >= 0x203F && r <= 0x2040
}

func isVarChar(r rune) bool {
	return isPNCharsU(r) || isDigit(r) || r == 0xB7 ||
		r >= 0x300 && r <= 0x36F || r >= 0x203F && r <= 0x2040
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isAlpha(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// validLangTag checks [a-zA-Z]+ ('-' [a-zA-Z0-9]+)*.
func validLangTag(tag string) bool {
	parts := strings.Split(tag, "-")
	for i, p := range parts {
		if p == "" {
			return false
		}
		for _, r := range p {
			if !isAlpha(r) && (i == 0 || !isDigit(r)) {
				return false
			}
		}
	}
	return true
}
