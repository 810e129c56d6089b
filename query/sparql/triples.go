package sparql

import (
	"fmt"
	"strings"

	"github.com/akutan-dev/akutan/query/rdf"
)

// blankScopes enforces that a blank node label names one node only within
// one basic graph pattern (section 4.1.4): a label seen in an earlier BGP
// of the same query or request is an error.
type blankScopes struct {
	owner   map[string]int
	current int
}

func newBlankScopes() *blankScopes { return &blankScopes{owner: map[string]int{}} }

// fresh starts a new basic graph pattern.
func (b *blankScopes) fresh() { b.current++ }

func (b *blankScopes) use(label string) bool {
	owner, seen := b.owner[label]
	if seen && owner != b.current {
		return false
	}
	b.owner[label] = b.current
	return true
}

// withBlankScopes runs f with its own label scopes, as for a template whose
// blank nodes are unrelated to the pattern's.
func (p *parser) withBlankScopes(f func() error) error {
	saved := p.blanks
	p.blanks = newBlankScopes()
	err := f()
	p.blanks = saved
	return err
}

// newBlank makes a blank node for [] or a collection.
func (p *parser) newBlank() Term {
	p.generated++
	return Term{Kind: Blank, Value: fmt.Sprintf("genid%d", p.generated)}
}

// writtenBlank maps a written label, renaming those that could clash with
// the generated ones.
func writtenBlank(label string) Term {
	if strings.HasPrefix(label, "genid") {
		label = "genid-" + label
	}
	return Term{Kind: Blank, Value: label}
}

// triplesMode says which triples grammar applies: patterns allow property
// paths; templates (CONSTRUCT, update quads) do not.
type triplesMode bool

const (
	withPaths    triplesMode = true
	withoutPaths triplesMode = false
)

// atTriplesStart reports whether a subject can start here.
func (p *parser) atTriplesStart() bool {
	tok := p.peek()
	switch tok.kind {
	case tVar, tIRI, tPName, tBlank, tString, tInteger, tDecimal, tDouble:
		return true
	case tKeyword:
		return isKeyword(tok, "true", "false")
	case tPunct:
		return tok.text == "[" || tok.text == "(" || p.atSignedNumber()
	}
	return false
}

// triplesTemplate reads triples separated by '.', without paths, up to
// (not including) whatever cannot start a triple.
func (p *parser) triplesTemplate() ([]TriplePattern, error) {
	var out []TriplePattern
	for p.atTriplesStart() {
		if err := p.triplesSameSubject(&out, withoutPaths); err != nil {
			return nil, err
		}
		if !p.acceptPunct(".") {
			break
		}
	}
	return out, nil
}

// triplesSameSubject reads a subject and its property list.
func (p *parser) triplesSameSubject(out *[]TriplePattern, mode triplesMode) error {
	if p.atPunct("[") && !p.atAnon() || p.atPunct("(") && !p.atNil() {
		subj, err := p.triplesNode(out, mode)
		if err != nil {
			return err
		}
		if p.atVerb(mode) {
			return p.propertyList(subj, out, mode)
		}
		return nil
	}
	subj, err := p.varOrTerm()
	if err != nil {
		return err
	}
	if !p.atVerb(mode) {
		return p.fail("a predicate")
	}
	return p.propertyList(subj, out, mode)
}

func (p *parser) atAnon() bool {
	next := p.peekN(1)
	return p.atPunct("[") && next.kind == tPunct && next.text == "]"
}

func (p *parser) atNil() bool {
	next := p.peekN(1)
	return p.atPunct("(") && next.kind == tPunct && next.text == ")"
}

// atVerb reports whether a predicate can start here.
func (p *parser) atVerb(mode triplesMode) bool {
	tok := p.peek()
	if tok.kind == tVar || p.atIRI() || isA(tok) {
		return true
	}
	return mode == withPaths && tok.kind == tPunct &&
		(tok.text == "^" || tok.text == "!" || tok.text == "(")
}

// propertyList reads verb objectList ( ';' ( verb objectList )? )*.
func (p *parser) propertyList(subj Term, out *[]TriplePattern, mode triplesMode) error {
	for {
		pred, path, err := p.verb(mode)
		if err != nil {
			return err
		}
		if err := p.objectList(subj, pred, path, out, mode); err != nil {
			return err
		}
		if !p.atPunct(";") {
			return nil
		}
		for p.acceptPunct(";") {
		}
		if !p.atVerb(mode) {
			return nil
		}
	}
}

// verb reads a predicate: a variable, an IRI, 'a', or (with paths) a
// property path. A path that is one IRI comes back as pred.
func (p *parser) verb(mode triplesMode) (Term, Path, error) {
	if tok := p.peek(); tok.kind == tVar {
		p.next()
		return Term{Kind: Var, Value: tok.text}, nil, nil
	}
	if mode == withoutPaths {
		iri, err := p.iriOrA()
		return Term{Kind: IRI, Value: iri}, nil, err
	}
	path, err := p.path()
	if err != nil {
		return Term{}, nil, err
	}
	if link, ok := path.(*PathLink); ok {
		return Term{Kind: IRI, Value: link.IRI}, nil, nil
	}
	return Term{}, path, nil
}

// isA reports whether tok is the keyword 'a', the one keyword that is
// case-sensitive (section 19.3).
func isA(tok token) bool { return tok.kind == tKeyword && tok.text == "a" }

// iriOrA reads an IRI or the keyword 'a' (rdf:type).
func (p *parser) iriOrA() (string, error) {
	if isA(p.peek()) {
		p.next()
		return rdf.RDFType, nil
	}
	if !p.atIRI() {
		return "", p.fail("a predicate")
	}
	return p.iri()
}

func (p *parser) objectList(subj, pred Term, path Path, out *[]TriplePattern, mode triplesMode) error {
	for {
		obj, err := p.graphNode(out, mode)
		if err != nil {
			return err
		}
		*out = append(*out, TriplePattern{Subject: subj, Predicate: pred, Path: path, Object: obj})
		if !p.acceptPunct(",") {
			return nil
		}
	}
}

// graphNode reads an object: a term, or a blank node property list or
// collection whose triples go to out.
func (p *parser) graphNode(out *[]TriplePattern, mode triplesMode) (Term, error) {
	if p.atPunct("[") && !p.atAnon() || p.atPunct("(") && !p.atNil() {
		return p.triplesNode(out, mode)
	}
	return p.varOrTerm()
}

// triplesNode reads [ propertyList ] or ( items ).
func (p *parser) triplesNode(out *[]TriplePattern, mode triplesMode) (Term, error) {
	leave, err := p.nest()
	defer leave()
	if err != nil {
		return Term{}, err
	}
	if p.acceptPunct("[") {
		node := p.newBlank()
		if err := p.propertyList(node, out, mode); err != nil {
			return Term{}, err
		}
		return node, p.expectPunct("]")
	}
	p.next() // (
	return p.collection(out, mode)
}

// collection reads the items of ( ... ) into an rdf:first/rdf:rest list.
func (p *parser) collection(out *[]TriplePattern, mode triplesMode) (Term, error) {
	var items []Term
	for !p.acceptPunct(")") {
		if p.peek().kind == tEOF {
			return Term{}, p.fail("')' or a list item")
		}
		item, err := p.graphNode(out, mode)
		if err != nil {
			return Term{}, err
		}
		items = append(items, item)
	}
	head := Term{Kind: IRI, Value: rdf.RDFNil}
	for i := len(items) - 1; i >= 0; i-- {
		node := p.newBlank()
		*out = append(*out,
			TriplePattern{Subject: node, Predicate: Term{Kind: IRI, Value: rdf.RDFFirst}, Object: items[i]},
			TriplePattern{Subject: node, Predicate: Term{Kind: IRI, Value: rdf.RDFRest}, Object: head})
		head = node
	}
	return head, nil
}

// varOrTerm reads a variable, IRI, literal, blank node, [] or ().
func (p *parser) varOrTerm() (Term, error) {
	tok := p.peek()
	switch {
	case tok.kind == tVar:
		p.next()
		return Term{Kind: Var, Value: tok.text}, nil
	case p.atIRI():
		iri, err := p.iri()
		return Term{Kind: IRI, Value: iri}, err
	case tok.kind == tBlank:
		p.next()
		if !p.blanks.use(tok.text) {
			return Term{}, errorAt(tok, "blank node label _:%s is already used in another basic graph pattern", tok.text)
		}
		return writtenBlank(tok.text), nil
	case p.atAnon():
		p.next()
		p.next()
		return p.newBlank(), nil
	case p.atNil():
		p.next()
		p.next()
		return Term{Kind: IRI, Value: rdf.RDFNil}, nil
	}
	t, ok, err := p.literal()
	if err == nil && !ok {
		err = p.fail("a variable, an IRI, a literal or a blank node")
	}
	return t, err
}

func (p *parser) varOrIRI() (Term, error) {
	if tok := p.peek(); tok.kind == tVar {
		p.next()
		return Term{Kind: Var, Value: tok.text}, nil
	}
	iri, err := p.iri()
	return Term{Kind: IRI, Value: iri}, err
}

// literal reads a string (with language tag or datatype), a number or a
// boolean; ok is false when none comes next.
func (p *parser) literal() (Term, bool, error) {
	tok := p.peek()
	switch tok.kind {
	case tString:
		p.next()
		t, err := p.stringSuffix(tok.text)
		return t, true, err
	case tInteger, tDecimal, tDouble:
		p.next()
		return numberTerm(tok.kind, tok.text), true, nil
	case tKeyword:
		if isKeyword(tok, "true", "false") {
			p.next()
			return Term{Kind: Literal, Value: strings.ToLower(tok.text), Datatype: rdf.XSDBoolean}, true, nil
		}
	case tPunct:
		if p.atSignedNumber() {
			sign := p.next().text
			num := p.next()
			return numberTerm(num.kind, sign+num.text), true, nil
		}
	}
	return Term{}, false, nil
}

// atSignedNumber reports whether '+' or '-' touches a number, which is
// then one signed literal.
func (p *parser) atSignedNumber() bool {
	sign, num := p.peek(), p.peekN(1)
	if sign.kind != tPunct || sign.text != "+" && sign.text != "-" {
		return false
	}
	isNum := num.kind == tInteger || num.kind == tDecimal || num.kind == tDouble
	return isNum && num.start == sign.end
}

func numberTerm(kind tokenKind, lexical string) Term {
	datatype := map[tokenKind]string{tInteger: rdf.XSDInteger, tDecimal: rdf.XSDDecimal, tDouble: rdf.XSDDouble}[kind]
	return Term{Kind: Literal, Value: lexical, Datatype: datatype}
}

// stringSuffix reads an optional @lang or ^^datatype after a string.
func (p *parser) stringSuffix(lexical string) (Term, error) {
	if tok := p.peek(); tok.kind == tLangTag {
		p.next()
		return Term{Kind: Literal, Value: lexical, Datatype: rdf.RDFLangString, Lang: tok.text}, nil
	}
	if p.acceptPunct("^^") {
		dt, err := p.iri()
		return Term{Kind: Literal, Value: lexical, Datatype: dt}, err
	}
	return Term{Kind: Literal, Value: lexical, Datatype: rdf.XSDString}, nil
}

// path reads PathAlternative: sequences separated by '|'.
func (p *parser) path() (Path, error) {
	leave, err := p.nest()
	defer leave()
	if err != nil {
		return nil, err
	}
	first, err := p.pathSequence()
	if err != nil || !p.atPunct("|") {
		return first, err
	}
	alt := &PathAlternative{Choices: []Path{first}}
	for p.acceptPunct("|") {
		next, err := p.pathSequence()
		if err != nil {
			return nil, err
		}
		alt.Choices = append(alt.Choices, next)
	}
	return alt, nil
}

func (p *parser) pathSequence() (Path, error) {
	first, err := p.pathEltOrInverse()
	if err != nil || !p.atPunct("/") {
		return first, err
	}
	seq := &PathSequence{Steps: []Path{first}}
	for p.acceptPunct("/") {
		next, err := p.pathEltOrInverse()
		if err != nil {
			return nil, err
		}
		seq.Steps = append(seq.Steps, next)
	}
	return seq, nil
}

func (p *parser) pathEltOrInverse() (Path, error) {
	if p.acceptPunct("^") {
		elt, err := p.pathElt()
		return &PathInverse{Path: elt}, err
	}
	return p.pathElt()
}

// pathElt reads a primary path and an optional ?, * or +.
func (p *parser) pathElt() (Path, error) {
	prim, err := p.pathPrimary()
	if err != nil {
		return nil, err
	}
	for _, op := range []string{"?", "*", "+"} {
		if p.atPunct(op) && !p.atSignedNumber() {
			p.next()
			return &PathRepeat{Path: prim, Op: op[0]}, nil
		}
	}
	return prim, nil
}

func (p *parser) pathPrimary() (Path, error) {
	switch {
	case p.acceptPunct("!"):
		return p.negatedPropertySet()
	case p.acceptPunct("("):
		inner, err := p.path()
		if err != nil {
			return nil, err
		}
		return inner, p.expectPunct(")")
	}
	iri, err := p.iriOrA()
	return &PathLink{IRI: iri}, err
}

// negatedPropertySet reads what follows '!': one IRI (maybe ^) or a
// parenthesised, '|'-separated set of them.
func (p *parser) negatedPropertySet() (Path, error) {
	neg := &PathNegated{}
	if !p.acceptPunct("(") {
		return neg, p.oneInPropertySet(neg)
	}
	if p.acceptPunct(")") {
		return neg, nil
	}
	for {
		if err := p.oneInPropertySet(neg); err != nil {
			return nil, err
		}
		if !p.acceptPunct("|") {
			return neg, p.expectPunct(")")
		}
	}
}

func (p *parser) oneInPropertySet(neg *PathNegated) error {
	inverse := p.acceptPunct("^")
	iri, err := p.iriOrA()
	if err != nil {
		return err
	}
	if inverse {
		neg.Inverse = append(neg.Inverse, iri)
	} else {
		neg.Forward = append(neg.Forward, iri)
	}
	return nil
}
