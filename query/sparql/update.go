package sparql

// updateUnit parses Prologue ( Update1 ( ';' Update )? )?.
func (p *parser) updateUnit() (*Update, error) {
	u := &Update{}
	for {
		if err := p.prologueDecls(); err != nil {
			return nil, err
		}
		if p.peek().kind == tEOF {
			break
		}
		op, err := p.operation()
		if err != nil {
			return nil, err
		}
		u.Operations = append(u.Operations, op)
		if !p.acceptPunct(";") {
			break
		}
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	return u, nil
}

func (p *parser) operation() (Operation, error) {
	pro := p.snapshotPrologue()
	tok := p.next()
	switch {
	case isKeyword(tok, "LOAD"):
		return p.load(pro)
	case isKeyword(tok, "CLEAR"):
		silent := p.acceptKeyword("SILENT")
		target, err := p.graphRefAll()
		return &Clear{Prologue: pro, Silent: silent, Target: target}, err
	case isKeyword(tok, "DROP"):
		silent := p.acceptKeyword("SILENT")
		target, err := p.graphRefAll()
		return &Drop{Prologue: pro, Silent: silent, Target: target}, err
	case isKeyword(tok, "CREATE"):
		silent := p.acceptKeyword("SILENT")
		graph, err := p.graphRef()
		return &Create{Prologue: pro, Silent: silent, Graph: graph}, err
	case isKeyword(tok, "ADD", "MOVE", "COPY"):
		return p.transfer(tok, pro)
	case isKeyword(tok, "INSERT"):
		return p.insert(pro)
	case isKeyword(tok, "DELETE"):
		return p.delete(pro)
	case isKeyword(tok, "WITH"):
		with, err := p.iri()
		if err != nil {
			return nil, err
		}
		return p.modify(pro, with)
	}
	p.ahead = append([]token{tok}, p.ahead...)
	return nil, p.fail("an update operation such as INSERT DATA or LOAD")
}

func (p *parser) load(pro Prologue) (Operation, error) {
	op := &Load{Prologue: pro, Silent: p.acceptKeyword("SILENT")}
	var err error
	if op.Source, err = p.iri(); err != nil {
		return nil, err
	}
	if p.acceptKeyword("INTO") {
		op.Into, err = p.graphRef()
	}
	return op, err
}

// graphRef reads GRAPH <iri>.
func (p *parser) graphRef() (string, error) {
	if err := p.expectKeyword("GRAPH"); err != nil {
		return "", err
	}
	return p.iri()
}

// graphRefAll reads DEFAULT, NAMED, ALL or GRAPH <iri>.
func (p *parser) graphRefAll() (GraphTarget, error) {
	for word, kind := range map[string]GraphTargetKind{"DEFAULT": TargetDefault, "NAMED": TargetNamed, "ALL": TargetAll} {
		if p.acceptKeyword(word) {
			return GraphTarget{Kind: kind}, nil
		}
	}
	if !p.atKeyword("GRAPH") {
		return GraphTarget{}, p.fail("DEFAULT, NAMED, ALL or GRAPH")
	}
	iri, err := p.graphRef()
	return GraphTarget{Kind: TargetGraph, IRI: iri}, err
}

// graphOrDefault reads DEFAULT or [GRAPH] <iri>.
func (p *parser) graphOrDefault() (GraphTarget, error) {
	if p.acceptKeyword("DEFAULT") {
		return GraphTarget{Kind: TargetDefault}, nil
	}
	p.acceptKeyword("GRAPH")
	iri, err := p.iri()
	return GraphTarget{Kind: TargetGraph, IRI: iri}, err
}

func (p *parser) transfer(tok token, pro Prologue) (Operation, error) {
	t := Transfer{Prologue: pro, Silent: p.acceptKeyword("SILENT")}
	var err error
	if t.From, err = p.graphOrDefault(); err != nil {
		return nil, err
	}
	if err := p.expectKeyword("TO"); err != nil {
		return nil, err
	}
	if t.To, err = p.graphOrDefault(); err != nil {
		return nil, err
	}
	switch {
	case isKeyword(tok, "ADD"):
		return &Add{Transfer: t}, nil
	case isKeyword(tok, "MOVE"):
		return &Move{Transfer: t}, nil
	}
	return &Copy{Transfer: t}, nil
}

// insert reads what follows INSERT: DATA { ... } or a template.
func (p *parser) insert(pro Prologue) (Operation, error) {
	if p.acceptKeyword("DATA") {
		quads, err := p.quadData(false)
		return &InsertData{Prologue: pro, Quads: quads}, err
	}
	if !p.atPunct("{") {
		return nil, p.fail("DATA or '{'")
	}
	return p.modify(pro, "")
}

// delete reads what follows DELETE: DATA, WHERE or a template.
func (p *parser) delete(pro Prologue) (Operation, error) {
	switch {
	case p.acceptKeyword("DATA"):
		quads, err := p.quadData(true)
		return &DeleteData{Prologue: pro, Quads: quads}, err
	case p.acceptKeyword("WHERE"):
		return p.deleteWhere(pro)
	case !p.atPunct("{"):
		return nil, p.fail("DATA, WHERE or '{'")
	}
	return p.modifyAfterDelete(pro, "")
}

// quadData reads ground quads; deleting forbids blank nodes too.
func (p *parser) quadData(deleting bool) ([]Quad, error) {
	at := p.peek()
	p.blanks.fresh()
	quads, err := p.quadPattern()
	if err != nil {
		return nil, err
	}
	if err := checkGround(quads, at, deleting); err != nil {
		return nil, err
	}
	return quads, nil
}

func checkGround(quads []Quad, at token, deleting bool) error {
	for _, q := range quads {
		for _, t := range []Term{q.Graph, q.Subject, q.Predicate, q.Object} {
			if t.Kind == Var {
				return errorAt(at, "variable ?%s in DATA: it must be ground", t.Value)
			}
			if deleting && t.Kind == Blank {
				return errorAt(at, "blank node in DELETE DATA")
			}
		}
	}
	return nil
}

// checkNoBlanks enforces that a DELETE template has no blank nodes, which
// could never match (section 3.1.3).
func checkNoBlanks(quads []Quad, at token) error {
	for _, q := range quads {
		for _, t := range []Term{q.Subject, q.Predicate, q.Object} {
			if t.Kind == Blank {
				return errorAt(at, "blank node in a DELETE template")
			}
		}
	}
	return nil
}

func (p *parser) deleteWhere(pro Prologue) (Operation, error) {
	at := p.peek()
	p.blanks.fresh()
	quads, err := p.quadPattern()
	if err != nil {
		return nil, err
	}
	return &DeleteWhere{Prologue: pro, Quads: quads}, checkNoBlanks(quads, at)
}

// modify reads DELETE {...} INSERT {...} USING ... WHERE {...}, starting
// at DELETE or INSERT (after WITH) or at the INSERT template.
func (p *parser) modify(pro Prologue, with string) (Operation, error) {
	if p.acceptKeyword("DELETE") {
		return p.modifyAfterDelete(pro, with)
	}
	if with != "" {
		if err := p.expectKeyword("INSERT"); err != nil {
			return nil, err
		}
	}
	op := &Modify{Prologue: pro, With: with}
	return op, p.modifyRest(op)
}

func (p *parser) modifyAfterDelete(pro Prologue, with string) (Operation, error) {
	op := &Modify{Prologue: pro, With: with, HasDelete: true}
	at := p.peek()
	err := p.withBlankScopes(func() error {
		var err error
		op.Delete, err = p.quadPattern()
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := checkNoBlanks(op.Delete, at); err != nil {
		return nil, err
	}
	if !p.acceptKeyword("INSERT") {
		return op, p.usingWhere(op)
	}
	return op, p.modifyRest(op)
}

// modifyRest reads the INSERT template and what follows it.
func (p *parser) modifyRest(op *Modify) error {
	op.HasInsert = true
	err := p.withBlankScopes(func() error {
		var err error
		op.Insert, err = p.quadPattern()
		return err
	})
	if err != nil {
		return err
	}
	return p.usingWhere(op)
}

func (p *parser) usingWhere(op *Modify) error {
	for p.acceptKeyword("USING") {
		named := p.acceptKeyword("NAMED")
		iri, err := p.iri()
		if err != nil {
			return err
		}
		if named {
			op.UsingNamed = append(op.UsingNamed, iri)
		} else {
			op.Using = append(op.Using, iri)
		}
	}
	if err := p.expectKeyword("WHERE"); err != nil {
		return err
	}
	g, err := p.groupGraphPattern()
	op.Where = g
	return err
}

// quadPattern reads { triples GRAPH g { triples } ... }.
func (p *parser) quadPattern() ([]Quad, error) {
	if err := p.expectPunct("{"); err != nil {
		return nil, err
	}
	var quads []Quad
	for !p.acceptPunct("}") {
		var err error
		switch {
		case p.atTriplesStart():
			quads, err = p.quadTriples(quads, Term{})
		case p.acceptKeyword("GRAPH"):
			quads, err = p.graphQuads(quads)
			p.acceptPunct(".")
		default:
			err = p.fail("'}', GRAPH or a triple")
		}
		if err != nil {
			return nil, err
		}
	}
	return quads, nil
}

func (p *parser) quadTriples(quads []Quad, graph Term) ([]Quad, error) {
	triples, err := p.triplesTemplate()
	if err != nil {
		return nil, err
	}
	for _, t := range triples {
		quads = append(quads, Quad{Graph: graph, TriplePattern: t})
	}
	if !p.atPunct("}") && !p.atKeyword("GRAPH") {
		return nil, p.fail("'}', '.' or GRAPH")
	}
	return quads, nil
}

func (p *parser) graphQuads(quads []Quad) ([]Quad, error) {
	graph, err := p.varOrIRI()
	if err != nil {
		return nil, err
	}
	if err := p.expectPunct("{"); err != nil {
		return nil, err
	}
	if p.atTriplesStart() {
		if quads, err = p.quadTriples(quads, graph); err != nil {
			return nil, err
		}
	}
	return quads, p.expectPunct("}")
}
