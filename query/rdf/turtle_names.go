package rdf

import (
	"strings"
)

// name reads a prefixed name or a bare word (a, true, false, PREFIX,
// BASE). The first rune is ':' or PN_CHARS_BASE.
func (lx *lexer) name(pos Position) (token, error) {
	var sb strings.Builder
	var dots []runeAt
	for {
		ra := lx.s.read()
		switch {
		case ra.r == '.':
			dots = append(dots, ra)
			continue
		case isPNChars(ra.r):
			for range dots {
				sb.WriteByte('.')
			}
			dots = dots[:0]
			sb.WriteRune(ra.r)
			continue
		case ra.r == ':' && len(dots) > 0:
			return token{}, errorf(dots[len(dots)-1].pos, "a prefix cannot end with '.'")
		case ra.r == ':':
			prefix := sb.String()
			if prefix != "" && !isPNCharsBase(firstRune(prefix)) {
				return token{}, errorf(pos, "prefix %q must start with a letter", prefix)
			}
			local, err := lx.local()
			if err != nil {
				return token{}, err
			}
			return token{kind: tPName, text: prefix, text2: local, pos: pos}, nil
		}
		lx.s.unread(append(dots, ra)...)
		return token{kind: tWord, text: sb.String(), pos: pos}, nil
	}
}

func firstRune(s string) rune {
	for _, r := range s {
		return r
	}
	return eof
}

// local reads PN_LOCAL (possibly empty) after the prefix's ':'. Escapes
// `\c` are decoded; %XX stays as written, as the grammar says.
func (lx *lexer) local() (string, error) {
	var sb strings.Builder
	var dots []runeAt
	first := true
	for {
		ra := lx.s.read()
		r := ra.r
		ok := false
		switch {
		case r == '.' && !first:
			dots = append(dots, ra)
			continue
		case isPNCharsU(r), r == ':', isDigit(r):
			ok = true
		case !first && isPNChars(r):
			ok = true
		case r == '%':
			if err := lx.percent(&sb, ra.pos, dots); err != nil {
				return "", err
			}
			dots, first = dots[:0], false
			continue
		case r == '\\':
			c := lx.s.read()
			if !strings.ContainsRune("_~.-!$&'()*+,;=/?#@%", c.r) {
				return "", errorf(ra.pos, "bad escape in a local name: \\%c", c.r)
			}
			r, ok = c.r, true
		}
		if !ok {
			lx.s.unread(append(dots, ra)...)
			return sb.String(), nil
		}
		for range dots {
			sb.WriteByte('.')
		}
		dots, first = dots[:0], false
		sb.WriteRune(r)
	}
}

// percent reads the two hex digits of a %XX in a local name.
func (lx *lexer) percent(sb *strings.Builder, pos Position, dots []runeAt) error {
	a, b := lx.s.read(), lx.s.read()
	if _, ok := hexVal(a.r); !ok {
		return errorf(pos, "bad percent escape in a local name: expected %%XX")
	}
	if _, ok := hexVal(b.r); !ok {
		return errorf(pos, "bad percent escape in a local name: expected %%XX")
	}
	for range dots {
		sb.WriteByte('.')
	}
	sb.WriteRune('%')
	sb.WriteRune(a.r)
	sb.WriteRune(b.r)
	return nil
}

// number reads INTEGER, DECIMAL or DOUBLE.
func (lx *lexer) number(pos Position) (token, error) {
	var sb strings.Builder
	if ra := lx.s.read(); ra.r == '+' || ra.r == '-' {
		sb.WriteRune(ra.r)
	} else {
		lx.s.unread(ra)
	}
	intDigits := lx.digits(&sb)
	kind := tInteger
	fracDigits := 0
	if dot := lx.s.read(); dot.r == '.' {
		next := lx.s.peek()
		switch {
		case isDigit(next.r):
			sb.WriteRune('.')
			fracDigits = lx.digits(&sb)
			kind = tDecimal
		case intDigits > 0 && (next.r == 'e' || next.r == 'E') && lx.exponentAhead():
			sb.WriteRune('.')
			kind = tDecimal
		default:
			lx.s.unread(dot) // the '.' ends the statement
		}
	} else {
		lx.s.unread(dot)
	}
	if intDigits == 0 && fracDigits == 0 {
		return token{}, errorf(pos, "expected a number after %q", sb.String())
	}
	if lx.exponentAhead() {
		lx.exponent(&sb)
		kind = tDouble
	}
	return token{kind: kind, text: sb.String(), pos: pos}, nil
}

func (lx *lexer) digits(sb *strings.Builder) int {
	n := 0
	for {
		ra := lx.s.read()
		if !isDigit(ra.r) {
			lx.s.unread(ra)
			return n
		}
		sb.WriteRune(ra.r)
		n++
	}
}

// exponentAhead reports whether an exponent ([eE][+-]?[0-9]) follows,
// consuming nothing.
func (lx *lexer) exponentAhead() bool {
	e := lx.s.read()
	if e.r != 'e' && e.r != 'E' {
		lx.s.unread(e)
		return false
	}
	seen := []runeAt{e}
	ra := lx.s.read()
	seen = append(seen, ra)
	if ra.r == '+' || ra.r == '-' {
		ra = lx.s.read()
		seen = append(seen, ra)
	}
	lx.s.unread(seen...)
	return isDigit(ra.r)
}

// exponent reads an exponent that exponentAhead found.
func (lx *lexer) exponent(sb *strings.Builder) {
	sb.WriteRune(lx.s.read().r)
	if ra := lx.s.read(); ra.r == '+' || ra.r == '-' {
		sb.WriteRune(ra.r)
	} else {
		lx.s.unread(ra)
	}
	lx.digits(sb)
}
