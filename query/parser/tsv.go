package parser

import "slices"

// ParseInsert parses the `tsv` insert format: one fact per line with
// whitespace-separated fields, optionally led by a variable that captures
// the fact's ID for use as a subject or object on later lines. Blank nodes
// (`_:b`) name new entities. Errors are of type *Error and name the line.
func ParseInsert(text string) (*Insert, error) {
	ins, err := parseData(text, true)
	if err != nil {
		return nil, err
	}
	return ins, nil
}

// ParseDelete parses `tsv` delete data: the insert format without blank
// nodes, which cannot name existing facts.
func ParseDelete(text string) (*Insert, error) {
	ins, err := parseData(text, false)
	if err != nil {
		return nil, err
	}
	return ins, nil
}

// dataParser parses tsv data and remembers the line that bound each
// fact-ID variable.
type dataParser struct {
	*parser
	allowBlank bool
	boundOn    map[string]int
}

func parseData(text string, allowBlank bool) (*Insert, *Error) {
	d := &dataParser{parser: newParser(text), allowBlank: allowBlank, boundOn: make(map[string]int)}
	ins := &Insert{}
	for {
		p := d.parser
		p.skipNewlines()
		switch tok := p.peek(); tok.kind {
		case tokEOF:
			return ins, nil
		case tokRBrace:
			return nil, errorf(tok.pos, "unexpected '}' in insert data")
		}
		q, err := d.fact()
		if err != nil {
			return nil, err
		}
		ins.Facts = append(ins.Facts, q)
	}
}

// fact parses and checks one line.
func (d *dataParser) fact() (*Quad, *Error) {
	return d.factEndingAt(tokNewline, tokEOF)
}

// factEndingAt parses and checks one line, which must end at one of the
// given tokens (left unconsumed).
func (d *dataParser) factEndingAt(ends ...tokKind) (*Quad, *Error) {
	q, fs, err := d.pattern()
	if err != nil {
		return nil, err
	}
	if tok := d.peek(); !slices.Contains(ends, tok.kind) {
		if tok.kind == tokError {
			return nil, unexpected(tok, "")
		}
		return nil, errorf(tok.pos, "expected end of line after the fact, found %s: data has one fact per line", tok.desc())
	}
	if err := d.checkFact(q, fs); err != nil {
		return nil, err
	}
	if v, ok := q.ID.(*Variable); ok {
		d.boundOn[v.Name] = q.Pos.Line
	}
	return q, nil
}

// checkFact enforces where each kind of term may appear in data.
func (d *dataParser) checkFact(q *Quad, fs []field) *Error {
	if q.Optional {
		return errorf(fs[len(fs)-2].optPos, "the optional marker '?' is not allowed in insert data")
	}
	names := roles(fs)
	for i, f := range fs {
		if err := d.checkTerm(f, names[i]); err != nil {
			return err
		}
	}
	return nil
}

// checkTerm checks one field of a data line against its role.
func (d *dataParser) checkTerm(f field, role string) *Error {
	switch t := f.term.(type) {
	case *Operator:
		return errorf(f.pos, "operator %s is not allowed in insert data", opName(t.Op))
	case *Set:
		return errorf(f.pos, "sets are not allowed in insert data")
	case *Variable:
		return d.checkVariable(t, f.pos, role)
	case *BlankNode:
		return d.checkBlank(t, f.pos, role)
	case *Literal:
		if role != "object" {
			return errorf(f.pos, "a literal cannot be the %s", role)
		}
	case *Entity, *KID:
		if role == "fact ID" {
			return errorf(f.pos, "the fact ID field must be a variable like ?f that captures the fact's ID")
		}
	}
	return nil
}

// checkVariable allows a variable only to capture a fact ID once, and to
// refer to it as a subject or object on a later line.
func (d *dataParser) checkVariable(v *Variable, pos Position, role string) *Error {
	line, bound := d.boundOn[v.Name]
	switch {
	case role == "fact ID" && bound:
		return errorf(pos, "?%s is already bound on line %d; a fact-ID variable can be bound once", v.Name, line)
	case role == "fact ID":
		return nil
	case role == "predicate":
		return errorf(pos, "variable ?%s cannot be the predicate in insert data", v.Name)
	case !bound:
		return errorf(pos, "variable ?%s is not bound: a variable must capture a fact ID (the first of 4 fields) on an earlier line", v.Name)
	}
	return nil
}

// checkBlank allows blank nodes as subjects and objects of inserts only.
func (d *dataParser) checkBlank(b *BlankNode, pos Position, role string) *Error {
	switch {
	case !d.allowBlank:
		return errorf(pos, "blank node _:%s is not allowed in delete data: it cannot name an existing entity", b.Name)
	case role == "fact ID":
		return errorf(pos, "blank node _:%s cannot be a fact ID; use a variable like ?f", b.Name)
	case role == "predicate":
		return errorf(pos, "blank node _:%s cannot be the predicate", b.Name)
	}
	return nil
}
