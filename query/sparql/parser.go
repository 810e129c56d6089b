package sparql

import (
	"fmt"
	"strings"

	"github.com/akutan-dev/akutan/query/rdf"
)

// parser is a recursive-descent parser over the SPARQL 1.1 grammar
// (section 19.8). It looks ahead at most two tokens.
type parser struct {
	lx       *lexer
	ahead    []token
	lexErr   error
	prologue Prologue
	blanks   *blankScopes
	// generated counts the blank nodes made for [] and collections.
	generated int
	// depth counts nested brackets, so that deeply nested input is an
	// error rather than a stack overflow.
	depth int
}

// maxDepth bounds nesting; real queries stay far below it.
const maxDepth = 500

// nest enters one level of nesting; the caller defers the returned func.
func (p *parser) nest() (func(), error) {
	if p.depth >= maxDepth {
		return func() {}, p.fail(fmt.Sprintf("at most %d levels of nesting", maxDepth))
	}
	p.depth++
	return func() { p.depth-- }, nil
}

// ParseQuery parses a SPARQL 1.1 query. base is the IRI that relative
// IRIs resolve against when the query has no BASE; it may be empty.
func ParseQuery(text, base string) (*Query, error) {
	p, err := newParser(text, base)
	if err != nil {
		return nil, err
	}
	q, err := p.queryUnit()
	if err != nil {
		return nil, err
	}
	return q, nil
}

// ParseUpdate parses a SPARQL 1.1 Update request.
func ParseUpdate(text, base string) (*Update, error) {
	p, err := newParser(text, base)
	if err != nil {
		return nil, err
	}
	return p.updateUnit()
}

func newParser(text, base string) (*parser, error) {
	decoded, err := decodeCodepoints(text)
	if err != nil {
		return nil, err
	}
	return &parser{
		lx:       newLexer(decoded),
		prologue: Prologue{Base: base, Prefixes: map[string]string{}},
		blanks:   newBlankScopes(),
	}, nil
}

// peekN returns the token n places ahead (0 is the next one). After a
// lexical error it returns end of input, and fail reports the lexical
// error instead of a grammar one.
func (p *parser) peekN(n int) token {
	for len(p.ahead) <= n {
		if p.lexErr != nil {
			return token{kind: tEOF}
		}
		tok, err := p.lx.next()
		if err != nil {
			p.lexErr = err
			return token{kind: tEOF}
		}
		p.ahead = append(p.ahead, tok)
	}
	return p.ahead[n]
}

func (p *parser) peek() token { return p.peekN(0) }

func (p *parser) next() token {
	tok := p.peek()
	if len(p.ahead) > 0 {
		p.ahead = p.ahead[1:]
	}
	return tok
}

// fail reports that what was expected is not what comes next.
func (p *parser) fail(expected string) error {
	tok := p.peek()
	if p.lexErr != nil {
		return p.lexErr
	}
	return &SyntaxError{Pos: tok.pos, Msg: fmt.Sprintf("expected %s, found %s", expected, tok.describe())}
}

// errorAt reports a rule broken at tok, such as a variable bound twice.
func errorAt(tok token, format string, args ...any) error {
	return &SyntaxError{Pos: tok.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) atPunct(s string) bool {
	tok := p.peek()
	return tok.kind == tPunct && tok.text == s
}

func (p *parser) atKeyword(words ...string) bool {
	return isKeyword(p.peek(), words...)
}

func isKeyword(tok token, words ...string) bool {
	if tok.kind != tKeyword {
		return false
	}
	for _, w := range words {
		if strings.EqualFold(tok.text, w) {
			return true
		}
	}
	return false
}

// acceptPunct consumes s if it comes next.
func (p *parser) acceptPunct(s string) bool {
	if p.atPunct(s) {
		p.next()
		return true
	}
	return false
}

func (p *parser) acceptKeyword(word string) bool {
	if p.atKeyword(word) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectPunct(s string) error {
	if !p.acceptPunct(s) {
		return p.fail("'" + s + "'")
	}
	return nil
}

func (p *parser) expectKeyword(word string) error {
	if !p.acceptKeyword(word) {
		return p.fail(word)
	}
	return nil
}

// expectEnd checks that nothing follows a complete query or update.
func (p *parser) expectEnd() error {
	if p.peek().kind != tEOF || p.lexErr != nil {
		return p.fail("end of input")
	}
	return nil
}

// prologueDecls reads BASE and PREFIX declarations into p.prologue.
func (p *parser) prologueDecls() error {
	for {
		switch {
		case p.acceptKeyword("BASE"):
			iri, err := p.iriRef()
			if err != nil {
				return err
			}
			p.prologue.Base = iri
		case p.acceptKeyword("PREFIX"):
			if err := p.prefixDecl(); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

func (p *parser) prefixDecl() error {
	tok := p.peek()
	if tok.kind != tPName || !strings.HasSuffix(tok.text, ":") || strings.Count(tok.text, ":") != 1 {
		return p.fail("a prefix such as 'ex:'")
	}
	p.next()
	iri, err := p.iriRef()
	if err != nil {
		return err
	}
	p.prologue.Prefixes[strings.TrimSuffix(tok.text, ":")] = iri
	return nil
}

// snapshotPrologue copies the prologue in force, for a tree node that
// keeps it while later declarations change p.prologue.
func (p *parser) snapshotPrologue() Prologue {
	prefixes := make(map[string]string, len(p.prologue.Prefixes))
	for k, v := range p.prologue.Prefixes {
		prefixes[k] = v
	}
	return Prologue{Base: p.prologue.Base, Prefixes: prefixes}
}

// iriRef reads <...> and resolves it against the base.
func (p *parser) iriRef() (string, error) {
	tok := p.peek()
	if tok.kind != tIRI {
		return "", p.fail("an IRI in <...>")
	}
	p.next()
	return p.resolve(tok.text), nil
}

func (p *parser) resolve(ref string) string {
	if p.prologue.Base == "" {
		return ref
	}
	return rdf.ResolveIRI(p.prologue.Base, ref)
}

// atIRI reports whether an IRI (written in full or prefixed) comes next.
func (p *parser) atIRI() bool {
	k := p.peek().kind
	return k == tIRI || k == tPName
}

// iri reads an IRI written in full or as a prefixed name.
func (p *parser) iri() (string, error) {
	tok := p.peek()
	switch tok.kind {
	case tIRI:
		return p.iriRef()
	case tPName:
		p.next()
		prefix, local, _ := strings.Cut(tok.text, ":")
		ns, ok := p.prologue.Prefixes[prefix]
		if !ok {
			return "", errorAt(tok, "undeclared prefix %q", prefix+":")
		}
		return ns + local, nil
	}
	return "", p.fail("an IRI")
}

// integer reads an unsigned integer, as LIMIT and OFFSET take.
func (p *parser) integer() (int64, error) {
	tok := p.peek()
	if tok.kind != tInteger {
		return 0, p.fail("an integer")
	}
	p.next()
	var n int64
	for _, c := range tok.text {
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, errorAt(tok, "integer %s is too large", tok.text)
		}
		n = n*10 + d
	}
	return n, nil
}
