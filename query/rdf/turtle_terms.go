package rdf

// object parses any term that may be an object.
func (t *TurtleReader) object(out *[]Triple) (Term, error) {
	tok, err := t.take()
	if err != nil {
		return Term{}, err
	}
	switch tok.kind {
	case tIRI, tPName:
		return t.iriTerm(tok)
	case tBlank:
		return t.docBlank(tok.text), nil
	case tString:
		return t.literal(tok)
	case tInteger:
		return NewLiteral(tok.text, XSDInteger, ""), nil
	case tDecimal:
		return NewLiteral(tok.text, XSDDecimal, ""), nil
	case tDouble:
		return NewLiteral(tok.text, XSDDouble, ""), nil
	case tWord:
		if tok.text == "true" || tok.text == "false" {
			return NewLiteral(tok.text, XSDBoolean, ""), nil
		}
	case tPunct:
		switch tok.text {
		case "[":
			b, _, err := t.blankNodePropertyList(tok.pos, out)
			return b, err
		case "(":
			return t.collection(out)
		}
	}
	return Term{}, errorf(tok.pos, "expected an object (an IRI, a blank node, a collection or a literal), found %s", tok)
}

// literal parses the optional language tag or datatype after a string.
func (t *TurtleReader) literal(str token) (Term, error) {
	next, err := t.peek()
	if err != nil {
		return Term{}, err
	}
	switch next.kind {
	case tAt:
		t.take()
		if !validLangTag(next.text) {
			return Term{}, errorf(next.pos, "bad language tag @%s", next.text)
		}
		return NewLiteral(str.text, "", next.text), nil
	case tCaret:
		t.take()
		dt, err := t.take()
		if err != nil {
			return Term{}, err
		}
		if dt.kind != tIRI && dt.kind != tPName {
			return Term{}, errorf(dt.pos, "expected a datatype IRI after '^^', found %s", dt)
		}
		iri, err := t.iriTerm(dt)
		if err != nil {
			return Term{}, err
		}
		return NewLiteral(str.text, iri.Value, ""), nil
	}
	return NewLiteral(str.text, XSDString, ""), nil
}

// blankNodePropertyList parses the rest of `[ predicateObjectList ]` or
// `[]` after the '['; empty reports the latter.
func (t *TurtleReader) blankNodePropertyList(open Position, out *[]Triple) (node Term, empty bool, err error) {
	node = t.fresh()
	tok, err := t.peek()
	if err != nil {
		return Term{}, false, err
	}
	if isPunct(tok, "]") {
		t.take()
		return node, true, nil
	}
	if err := t.predicateObjectList(node, out); err != nil {
		return Term{}, false, err
	}
	if tok, err = t.take(); err != nil {
		return Term{}, false, err
	}
	if !isPunct(tok, "]") {
		return Term{}, false, errorf(tok.pos, "expected ']' to close the '[' at %s, found %s", open, tok)
	}
	return node, false, nil
}

// collection parses the rest of `( object* )` after the '(' into an
// rdf:first/rdf:rest list and returns its head (rdf:nil when empty).
func (t *TurtleReader) collection(out *[]Triple) (Term, error) {
	head := NewIRI(RDFNil)
	var last Term
	for {
		tok, err := t.peek()
		if err != nil {
			return Term{}, err
		}
		if isPunct(tok, ")") {
			t.take()
			if last.Kind != 0 {
				*out = append(*out, Triple{S: last, P: NewIRI(RDFRest), O: NewIRI(RDFNil), Pos: tok.pos})
			}
			return head, nil
		}
		node := t.fresh()
		obj, err := t.object(out)
		if err != nil {
			return Term{}, err
		}
		if last.Kind == 0 {
			head = node
		} else {
			*out = append(*out, Triple{S: last, P: NewIRI(RDFRest), O: node, Pos: tok.pos})
		}
		*out = append(*out, Triple{S: node, P: NewIRI(RDFFirst), O: obj, Pos: tok.pos})
		last = node
	}
}
