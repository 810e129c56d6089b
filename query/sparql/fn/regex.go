package fn

import (
	"fmt"
	"regexp"
	"strings"
)

// compileXPathRegex compiles an XPath 2.0 regular expression (F&O 7.6.1)
// with its flags (i s m x, and XPath 3.0's q) for Go's regexp. The two
// dialects agree on most syntax; translateXPathRegex rewrites the escapes
// that differ and refuses what RE2 cannot do.
func compileXPathRegex(pattern, flags string) (*regexp.Regexp, error) {
	goFlags := ""
	extended, literal := false, false
	for _, f := range flags {
		switch f {
		case 'i', 's', 'm':
			if !strings.ContainsRune(goFlags, f) {
				goFlags += string(f)
			}
		case 'x':
			extended = true
		case 'q':
			literal = true
		default:
			return nil, fmt.Errorf("unknown flag %q in flags %q", f, flags)
		}
	}
	expr := regexp.QuoteMeta(pattern)
	if !literal {
		var err error
		if expr, err = translateXPathRegex(pattern, extended); err != nil {
			return nil, fmt.Errorf("pattern %q: %w", pattern, err)
		}
	}
	if goFlags != "" {
		expr = "(?" + goFlags + ")" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	return re, nil
}

// XPath's multi-character escapes as RE2 class contents: \w is every
// character but punctuation, separators and others (so letters, marks,
// numbers and symbols), \i and \c approximate XML's name characters.
const (
	wordClass      = `\p{L}\p{M}\p{N}\p{S}`
	nonWordClass   = `\p{P}\p{Z}\p{C}`
	spaceClass     = `\t\n\r `
	nameStartClass = `\p{L}_:`
	nameCharClass  = `\p{L}\p{M}\p{Nd}._:\x{B7}\-`
)

// translateXPathRegex rewrites an XPath pattern into RE2 syntax. With
// extended (flag x), whitespace outside character classes is dropped.
func translateXPathRegex(p string, extended bool) (string, error) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\':
			if i+1 >= len(p) {
				return "", fmt.Errorf("ends with a lone \\")
			}
			i++
			out, err := translateEscape(p, &i, inClass)
			if err != nil {
				return "", err
			}
			b.WriteString(out)
		case inClass && c == '-' && i+1 < len(p) && p[i+1] == '[':
			return "", fmt.Errorf("character class subtraction is not supported")
		case inClass && c == ']':
			inClass = false
			b.WriteByte(c)
		case !inClass && c == '[':
			inClass = true
			b.WriteByte(c)
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
		case !inClass && extended && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			// dropped
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// translateEscape translates the escape whose letter is at p[*i],
// advancing *i past any braces it reads.
func translateEscape(p string, i *int, inClass bool) (string, error) {
	c := p[*i]
	class := func(contents string) string {
		if inClass {
			return contents
		}
		return "[" + contents + "]"
	}
	negated := func(name, contents string) (string, error) {
		if inClass {
			return "", fmt.Errorf("\\%s inside a character class is not supported", name)
		}
		return "[^" + contents + "]", nil
	}
	switch c {
	case 'd':
		return `\p{Nd}`, nil
	case 'D':
		return `\P{Nd}`, nil
	case 'w':
		return class(wordClass), nil
	case 'W':
		return class(nonWordClass), nil
	case 's':
		return class(spaceClass), nil
	case 'S':
		return negated("S", spaceClass)
	case 'i':
		return class(nameStartClass), nil
	case 'I':
		return negated("I", nameStartClass)
	case 'c':
		return class(nameCharClass), nil
	case 'C':
		return negated("C", nameCharClass)
	case 'p', 'P':
		end := strings.IndexByte(p[*i:], '}')
		if end < 0 || *i+1 >= len(p) || p[*i+1] != '{' {
			return "", fmt.Errorf("\\%c must be followed by {name}", c)
		}
		name := p[*i+2 : *i+end]
		if strings.HasPrefix(name, "Is") {
			return "", fmt.Errorf("Unicode block escape \\%c{%s} is not supported", c, name)
		}
		*i += end
		return `\` + string(c) + "{" + name + "}", nil
	}
	if c >= '1' && c <= '9' && !inClass {
		return "", fmt.Errorf("back-reference \\%c is not supported", c)
	}
	if c < 0x80 && !isRegexLetter(c) {
		return `\` + string(c), nil
	}
	switch c {
	case 'n', 'r', 't':
		return `\` + string(c), nil
	}
	return "", fmt.Errorf("unknown escape \\%c", c)
}

func isRegexLetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
