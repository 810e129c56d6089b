package update

import (
	"errors"
	"fmt"

	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
)

// ErrLiteralTooLarge means a request holds a string literal or an external
// name longer than storage.MaxLiteralBytes.
var ErrLiteralTooLarge = errors.New("literal too large")

// checkLiterals refuses a request with a string literal or an external
// name over storage.MaxLiteralBytes, naming the first one's position. It
// runs before anything else, so nothing of such a request is read or
// written.
func checkLiterals(req Request) error {
	for _, facts := range [][]*parser.Quad{req.Delete.Facts, req.Insert.Facts} {
		for _, q := range facts {
			if err := CheckQuad(q); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckQuad checks every term of one fact line against
// storage.MaxLiteralBytes; the error (ErrLiteralTooLarge) names the line.
// Every write is checked here; clients may check early to name the place
// in their own input.
func CheckQuad(q *parser.Quad) error {
	for _, t := range []parser.Term{q.Subject, q.Predicate, q.Object} {
		what, n := termSize(t)
		if n > storage.MaxLiteralBytes {
			return fmt.Errorf("%w: %s: %s of %d bytes is over the limit of %d bytes (%d MiB)",
				ErrLiteralTooLarge, q.Pos, what, n, storage.MaxLiteralBytes, storage.MaxLiteralBytes>>20)
		}
	}
	return nil
}

// termSize is how many bytes of text a term stores, and what it is.
func termSize(t parser.Term) (string, int) {
	switch v := t.(type) {
	case *parser.Entity:
		return "name", len(v.Name)
	case *parser.Literal:
		if e, ok := v.Unit.(*parser.Entity); ok && len(e.Name) > len(v.Value.Str) {
			return "unit name", len(e.Name)
		}
		if n := max(len(v.Value.Datatype), len(v.Value.Lex)); n > len(v.Value.Str) {
			return "literal's datatype or lexical form", n
		}
		return "literal", len(v.Value.Str)
	}
	return "", 0
}
