package apiserver

import (
	"bytes"
	"fmt"
	"mime"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonContent reports whether a Content-Type header names a JSON body: the
// media type application/json, in any letter case and with any
// parameters, except a charset other than UTF-8 (JSON is UTF-8, RFC 8259).
// No header is not JSON: the body is then text, unless it is a JSON object
// (see sniffJSON).
func jsonContent(header string) (bool, error) {
	if header == "" {
		return false, nil
	}
	mediaType, params, err := mime.ParseMediaType(header)
	if err != nil {
		return false, fmt.Errorf("%w: Content-Type %q: %v", ErrInvalid, header, err)
	}
	if mediaType != "application/json" {
		return false, nil
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return false, fmt.Errorf("%w: Content-Type %q: a JSON body must be UTF-8", ErrInvalid, header)
	}
	return true, nil
}

// sniffJSON reports whether a body sent without a JSON Content-Type is a
// JSON object all the same: one sent with no Content-Type, or with curl
// -d's default (application/x-www-form-urlencoded, which no endpoint
// takes as a form), whose first character other than white space is "{".
// No query, update or insert data starts with "{".
func sniffJSON(header string, body []byte) bool {
	mediaType, _, _ := mime.ParseMediaType(header)
	if header != "" && mediaType != "application/x-www-form-urlencoded" {
		return false
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '{'
}

// checkUTF8 refuses a body that is not UTF-8, naming the first bad byte.
// Every body is text (JSON, a query, insert data), and decoding JSON would
// otherwise replace bad bytes with U+FFFD and store that.
func checkUTF8(body []byte) error {
	if utf8.Valid(body) {
		return nil
	}
	for i := 0; i < len(body); {
		r, n := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Errorf("%w: the body is not valid UTF-8: byte %d is 0x%02x", ErrInvalid, i, body[i])
		}
		i += n
	}
	return nil
}

// checkJSONEscapes refuses a JSON body with a \u escape of a lone UTF-16
// surrogate: it is no character, and decoding would replace it with U+FFFD.
// The body must already have decoded as JSON, so that every backslash is
// inside a string.
func checkJSONEscapes(body []byte) error {
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		i++ // the escaped character; the loop steps past it
		r, ok := unicodeEscape(body, i-1)
		if !ok || !utf16.IsSurrogate(r) {
			continue
		}
		if low, ok := unicodeEscape(body, i+5); ok && r < 0xdc00 && low >= 0xdc00 && low <= 0xdfff {
			i += 10 // a surrogate pair: one character
			continue
		}
		return fmt.Errorf("%w: decoding JSON body: \\u%04X at byte %d is half of a UTF-16 surrogate pair, not a character",
			ErrInvalid, r, i-1)
	}
	return nil
}

// unicodeEscape reads the \uXXXX escape at b[at:], if there is one.
func unicodeEscape(b []byte, at int) (rune, bool) {
	if at+6 > len(b) || b[at] != '\\' || b[at+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range b[at+2 : at+6] {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
