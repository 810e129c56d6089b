package sparql

// groupGraphPattern reads { ... }: a sub-select or a sequence of triples
// blocks and other patterns.
func (p *parser) groupGraphPattern() (*Group, error) {
	leave, err := p.nest()
	defer leave()
	if err != nil {
		return nil, err
	}
	if err := p.expectPunct("{"); err != nil {
		return nil, err
	}
	p.blanks.fresh()
	var g *Group
	if p.atKeyword("SELECT") {
		g, err = p.subSelect()
	} else {
		g, err = p.groupElements()
	}
	if err != nil {
		return nil, err
	}
	if err := p.expectPunct("}"); err != nil {
		return nil, err
	}
	p.blanks.fresh()
	return g, nil
}

func (p *parser) subSelect() (*Group, error) {
	q := &Query{Limit: -1}
	if err := p.selectQuery(q, false); err != nil {
		return nil, err
	}
	values, err := p.valuesClause()
	if err != nil {
		return nil, err
	}
	q.Values = values
	return &Group{Elements: []Pattern{&SubQuery{Query: q}}}, nil
}

// groupElements reads GroupGraphPatternSub up to the closing '}'.
func (p *parser) groupElements() (*Group, error) {
	g := &Group{}
	for !p.atPunct("}") {
		if p.atTriplesStart() {
			bgp, endsWithDot, err := p.triplesBlock()
			if err != nil {
				return nil, err
			}
			g.Elements = append(g.Elements, bgp)
			if !endsWithDot && !p.atPunct("}") && !p.atPatternKeyword() {
				return nil, p.fail("'}', '.' or a pattern keyword such as FILTER or OPTIONAL")
			}
			continue
		}
		elem, err := p.patternNotTriples(g)
		if err != nil {
			return nil, err
		}
		g.Elements = append(g.Elements, elem)
		p.acceptPunct(".")
	}
	return g, nil
}

// triplesBlock reads triples separated by '.', with paths. endsWithDot
// tells the caller that a pattern of any kind may follow.
func (p *parser) triplesBlock() (bgp *BGP, endsWithDot bool, err error) {
	bgp = &BGP{}
	for p.atTriplesStart() {
		if err := p.triplesSameSubject(&bgp.Triples, withPaths); err != nil {
			return nil, false, err
		}
		if endsWithDot = p.acceptPunct("."); !endsWithDot {
			break
		}
	}
	return bgp, endsWithDot, nil
}

// atPatternKeyword reports whether a pattern other than triples starts
// here.
func (p *parser) atPatternKeyword() bool {
	return p.atPunct("{") ||
		p.atKeyword("OPTIONAL", "MINUS", "GRAPH", "SERVICE", "FILTER", "BIND", "VALUES")
}

// patternNotTriples reads one GraphPatternNotTriples. g is the group so
// far, which BIND checks its variable against.
func (p *parser) patternNotTriples(g *Group) (Pattern, error) {
	tok := p.peek()
	switch {
	case p.atPunct("{"):
		return p.groupOrUnion()
	case p.acceptKeyword("OPTIONAL"):
		inner, err := p.groupGraphPattern()
		return &Optional{Group: inner}, err
	case p.acceptKeyword("MINUS"):
		inner, err := p.groupGraphPattern()
		return &Minus{Group: inner}, err
	case p.acceptKeyword("GRAPH"):
		return p.graphPattern()
	case p.acceptKeyword("SERVICE"):
		return p.servicePattern()
	case p.acceptKeyword("FILTER"):
		return p.filter()
	case p.acceptKeyword("BIND"):
		return p.bind(g, tok)
	case p.acceptKeyword("VALUES"):
		p.blanks.fresh()
		return p.dataBlock()
	}
	return nil, p.fail("'}' or a triple pattern")
}

// groupOrUnion reads { ... } or { ... } UNION { ... } ...
func (p *parser) groupOrUnion() (Pattern, error) {
	first, err := p.groupGraphPattern()
	if err != nil || !p.atKeyword("UNION") {
		return first, err
	}
	u := &Union{Alternatives: []*Group{first}}
	for p.acceptKeyword("UNION") {
		next, err := p.groupGraphPattern()
		if err != nil {
			return nil, err
		}
		u.Alternatives = append(u.Alternatives, next)
	}
	return u, nil
}

func (p *parser) graphPattern() (Pattern, error) {
	name, err := p.varOrIRI()
	if err != nil {
		return nil, err
	}
	inner, err := p.groupGraphPattern()
	return &GraphPattern{Name: name, Group: inner}, err
}

func (p *parser) servicePattern() (Pattern, error) {
	silent := p.acceptKeyword("SILENT")
	name, err := p.varOrIRI()
	if err != nil {
		return nil, err
	}
	inner, err := p.groupGraphPattern()
	return &Service{Silent: silent, Name: name, Group: inner}, err
}

func (p *parser) filter() (Pattern, error) {
	e, ok, err := p.constraint(false)
	if err == nil && !ok {
		err = p.fail("'(' or a function call after FILTER")
	}
	return &Filter{Expr: e}, err
}

// bind reads ( expr AS ?v ) and checks that ?v is not yet in scope in the
// group (section 18.2.1).
func (p *parser) bind(g *Group, at token) (Pattern, error) {
	p.blanks.fresh()
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	e, err := p.expression(false)
	if err != nil {
		return nil, err
	}
	v, err := p.asVar()
	if err != nil {
		return nil, err
	}
	if inScope(g)[v] {
		return nil, errorAt(at, "BIND assigns ?%s, which is already in scope", v)
	}
	return &Bind{Expr: e, Var: v}, p.expectPunct(")")
}
