package rdf

import (
	"io"
	"strconv"
	"strings"
)

// TurtleReader reads Turtle, one statement at a time.
type TurtleReader struct {
	lx       lexer
	base     string
	prefixes map[string]string
	genid    int
	queue    []Triple
	err      error
	tok      token // the look-ahead token, when have is set
	have     bool
}

// NewTurtleReader reads Turtle from r, resolving relative IRIs against
// base (which may be "" when the document has only absolute IRIs or sets
// its own @base).
func NewTurtleReader(r io.Reader, base string) *TurtleReader {
	return &TurtleReader{lx: lexer{s: newScanner(r)}, base: base, prefixes: map[string]string{}}
}

// Next returns the next triple, or io.EOF after the last one.
func (t *TurtleReader) Next() (Triple, error) {
	for len(t.queue) == 0 && t.err == nil {
		if err := t.statement(); err != nil {
			t.err = err
		}
	}
	if len(t.queue) > 0 {
		tr := t.queue[0]
		t.queue = t.queue[1:]
		return tr, nil
	}
	return Triple{}, t.err
}

// statement parses one directive or one triples statement, queueing its
// triples only when the whole statement parses.
func (t *TurtleReader) statement() error {
	tok, err := t.peek()
	if err != nil {
		return err
	}
	switch {
	case tok.kind == tEOF:
		return io.EOF
	case tok.kind == tAt:
		return t.atDirective()
	case tok.kind == tWord && (strings.EqualFold(tok.text, "prefix") || strings.EqualFold(tok.text, "base")):
		return t.sparqlDirective()
	}
	var out []Triple
	if err := t.triples(&out); err != nil {
		return err
	}
	if err := t.expectPunct("."); err != nil {
		return err
	}
	t.queue = out
	return nil
}

func (t *TurtleReader) peek() (token, error) {
	if !t.have {
		tok, err := t.lx.token()
		if err != nil {
			return token{}, err
		}
		t.tok, t.have = tok, true
	}
	return t.tok, nil
}

func (t *TurtleReader) take() (token, error) {
	tok, err := t.peek()
	t.have = false
	return tok, err
}

func isPunct(tok token, p string) bool { return tok.kind == tPunct && tok.text == p }

func (t *TurtleReader) expectPunct(p string) error {
	tok, err := t.take()
	if err != nil {
		return err
	}
	if !isPunct(tok, p) {
		return errorf(tok.pos, "expected '%s', found %s", p, tok)
	}
	return nil
}

// atDirective parses @prefix p: <iri> . or @base <iri> .
func (t *TurtleReader) atDirective() error {
	at, _ := t.take()
	switch at.text {
	case "prefix":
		if err := t.prefixDecl(); err != nil {
			return err
		}
	case "base":
		if err := t.baseDecl(); err != nil {
			return err
		}
	default:
		return errorf(at.pos, "unknown directive @%s (expected @prefix or @base)", at.text)
	}
	return t.expectPunct(".")
}

// sparqlDirective parses PREFIX p: <iri> or BASE <iri>, which take no '.'.
func (t *TurtleReader) sparqlDirective() error {
	kw, _ := t.take()
	if strings.EqualFold(kw.text, "prefix") {
		return t.prefixDecl()
	}
	return t.baseDecl()
}

func (t *TurtleReader) prefixDecl() error {
	name, err := t.take()
	if err != nil {
		return err
	}
	if name.kind != tPName || name.text2 != "" {
		return errorf(name.pos, "expected a prefix like ex: after the prefix keyword, found %s", name)
	}
	iri, err := t.iriRef()
	if err != nil {
		return err
	}
	t.prefixes[name.text] = iri
	return nil
}

func (t *TurtleReader) baseDecl() error {
	iri, err := t.iriRef()
	if err != nil {
		return err
	}
	t.base = iri
	return nil
}

// iriRef reads an IRIREF token and resolves it against the base.
func (t *TurtleReader) iriRef() (string, error) {
	tok, err := t.take()
	if err != nil {
		return "", err
	}
	if tok.kind != tIRI {
		return "", errorf(tok.pos, "expected an <IRI>, found %s", tok)
	}
	return t.resolve(tok)
}

func (t *TurtleReader) resolve(tok token) (string, error) {
	if hasScheme(tok.text) {
		return tok.text, nil
	}
	if t.base == "" {
		return "", errorf(tok.pos, "relative IRI <%s> and no base IRI to resolve it against", tok.text)
	}
	return ResolveIRI(t.base, tok.text), nil
}

// triples parses subject predicateObjectList, or a blank node property
// list with an optional predicateObjectList.
func (t *TurtleReader) triples(out *[]Triple) error {
	tok, err := t.peek()
	if err != nil {
		return err
	}
	if isPunct(tok, "[") {
		t.take()
		subj, empty, err := t.blankNodePropertyList(tok.pos, out)
		if err != nil {
			return err
		}
		next, err := t.peek()
		if err != nil {
			return err
		}
		if !empty && isPunct(next, ".") {
			return nil
		}
		return t.predicateObjectList(subj, out)
	}
	subj, err := t.subject(out)
	if err != nil {
		return err
	}
	return t.predicateObjectList(subj, out)
}

func (t *TurtleReader) subject(out *[]Triple) (Term, error) {
	tok, err := t.take()
	if err != nil {
		return Term{}, err
	}
	switch {
	case tok.kind == tIRI || tok.kind == tPName:
		return t.iriTerm(tok)
	case tok.kind == tBlank:
		return t.docBlank(tok.text), nil
	case isPunct(tok, "("):
		return t.collection(out)
	}
	return Term{}, errorf(tok.pos, "expected a subject (an IRI, a blank node or a collection), found %s", tok)
}

// iriTerm turns an IRIREF or prefixed name token into an IRI term.
func (t *TurtleReader) iriTerm(tok token) (Term, error) {
	if tok.kind == tIRI {
		iri, err := t.resolve(tok)
		return NewIRI(iri), err
	}
	ns, ok := t.prefixes[tok.text]
	if !ok {
		return Term{}, errorf(tok.pos, "undeclared prefix %q", tok.text+":")
	}
	return NewIRI(ns + tok.text2), nil
}

// docBlank maps a document's blank node label so it cannot collide with
// the labels the reader generates.
func (t *TurtleReader) docBlank(label string) Term {
	if strings.HasPrefix(label, "genid") {
		label = "genid-" + label
	}
	return NewBlank(label)
}

func (t *TurtleReader) fresh() Term {
	t.genid++
	return NewBlank("genid" + strconv.Itoa(t.genid))
}

// predicateObjectList parses verb objectList (';' (verb objectList)?)*.
func (t *TurtleReader) predicateObjectList(subj Term, out *[]Triple) error {
	for {
		verb, err := t.verb()
		if err != nil {
			return err
		}
		if err := t.objectList(subj, verb, out); err != nil {
			return err
		}
		tok, err := t.peek()
		if err != nil {
			return err
		}
		if !isPunct(tok, ";") {
			return nil
		}
		for isPunct(tok, ";") {
			t.take()
			if tok, err = t.peek(); err != nil {
				return err
			}
		}
		if !t.startsVerb(tok) {
			return nil
		}
	}
}

func (t *TurtleReader) startsVerb(tok token) bool {
	return tok.kind == tIRI || tok.kind == tPName || (tok.kind == tWord && tok.text == "a")
}

func (t *TurtleReader) verb() (Term, error) {
	tok, err := t.take()
	if err != nil {
		return Term{}, err
	}
	if tok.kind == tWord && tok.text == "a" {
		return NewIRI(RDFType), nil
	}
	if tok.kind == tIRI || tok.kind == tPName {
		return t.iriTerm(tok)
	}
	return Term{}, errorf(tok.pos, "expected a predicate (an IRI or 'a'), found %s", tok)
}

func (t *TurtleReader) objectList(subj, pred Term, out *[]Triple) error {
	for {
		tok, err := t.peek()
		if err != nil {
			return err
		}
		obj, err := t.object(out)
		if err != nil {
			return err
		}
		*out = append(*out, Triple{S: subj, P: pred, O: obj, Pos: tok.pos})
		if tok, err = t.peek(); err != nil {
			return err
		}
		if !isPunct(tok, ",") {
			return nil
		}
		t.take()
	}
}
