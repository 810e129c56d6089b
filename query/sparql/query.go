package sparql

// queryUnit parses Prologue, one query form and a trailing VALUES.
func (p *parser) queryUnit() (*Query, error) {
	if err := p.prologueDecls(); err != nil {
		return nil, err
	}
	q, err := p.queryForm()
	if err != nil {
		return nil, err
	}
	q.Prologue = p.snapshotPrologue()
	if q.Values, err = p.valuesClause(); err != nil {
		return nil, err
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	return q, nil
}

func (p *parser) queryForm() (*Query, error) {
	q := &Query{Limit: -1}
	var err error
	switch {
	case p.atKeyword("SELECT"):
		err = p.selectQuery(q, true)
	case p.acceptKeyword("CONSTRUCT"):
		q.Form = Construct
		err = p.constructQuery(q)
	case p.acceptKeyword("ASK"):
		q.Form = Ask
		err = p.askQuery(q)
	case p.acceptKeyword("DESCRIBE"):
		q.Form = Describe
		err = p.describeQuery(q)
	default:
		err = p.fail("SELECT, CONSTRUCT, ASK or DESCRIBE")
	}
	return q, err
}

// selectQuery parses a SELECT query, or a sub-select (no dataset clause)
// when top is false.
func (p *parser) selectQuery(q *Query, top bool) error {
	q.Form = Select
	tok := p.next() // SELECT
	if err := p.selectClause(q); err != nil {
		return err
	}
	if top {
		if err := p.datasetClauses(q); err != nil {
			return err
		}
	}
	if err := p.whereClause(q); err != nil {
		return err
	}
	if err := p.solutionModifier(q); err != nil {
		return err
	}
	return checkSelect(q, tok)
}

func (p *parser) selectClause(q *Query) error {
	if p.acceptKeyword("DISTINCT") {
		q.Distinct = true
	} else if p.acceptKeyword("REDUCED") {
		q.Reduced = true
	}
	if p.acceptPunct("*") {
		q.Star = true
		return nil
	}
	for {
		item, ok, err := p.projection()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		q.Projection = append(q.Projection, item)
	}
	if len(q.Projection) == 0 {
		return p.fail("'*', a variable or '(expression AS ?var)'")
	}
	return nil
}

// projection reads one SELECT item; ok is false when none comes next.
func (p *parser) projection() (Projection, bool, error) {
	tok := p.peek()
	if tok.kind == tVar {
		p.next()
		return Projection{Var: tok.text}, true, nil
	}
	if !p.acceptPunct("(") {
		return Projection{}, false, nil
	}
	e, err := p.expression(true)
	if err != nil {
		return Projection{}, false, err
	}
	v, err := p.asVar()
	if err != nil {
		return Projection{}, false, err
	}
	return Projection{Var: v, Expr: e}, true, p.expectPunct(")")
}

// asVar reads "AS ?var".
func (p *parser) asVar() (string, error) {
	if err := p.expectKeyword("AS"); err != nil {
		return "", err
	}
	return p.variable()
}

func (p *parser) variable() (string, error) {
	tok := p.peek()
	if tok.kind != tVar {
		return "", p.fail("a variable")
	}
	p.next()
	return tok.text, nil
}

func (p *parser) datasetClauses(q *Query) error {
	for p.acceptKeyword("FROM") {
		named := p.acceptKeyword("NAMED")
		iri, err := p.iri()
		if err != nil {
			return err
		}
		if named {
			q.FromNamed = append(q.FromNamed, iri)
		} else {
			q.From = append(q.From, iri)
		}
	}
	return nil
}

func (p *parser) whereClause(q *Query) error {
	p.acceptKeyword("WHERE")
	g, err := p.groupGraphPattern()
	q.Where = g
	return err
}

func (p *parser) constructQuery(q *Query) error {
	if p.atPunct("{") {
		tmpl, err := p.constructTemplate()
		if err != nil {
			return err
		}
		q.Template = tmpl
		if err := p.datasetClauses(q); err != nil {
			return err
		}
		if err := p.whereClause(q); err != nil {
			return err
		}
		return p.solutionModifier(q)
	}
	return p.shortConstruct(q)
}

// constructTemplate reads { triples } with no paths; its blank nodes are
// fresh for each solution, so they get their own label scope.
func (p *parser) constructTemplate() ([]TriplePattern, error) {
	if err := p.expectPunct("{"); err != nil {
		return nil, err
	}
	var triples []TriplePattern
	err := p.withBlankScopes(func() error {
		var err error
		triples, err = p.triplesTemplate()
		return err
	})
	if err != nil {
		return nil, err
	}
	return triples, p.expectPunct("}")
}

// shortConstruct parses CONSTRUCT WHERE { triples }: the pattern is also
// the template.
func (p *parser) shortConstruct(q *Query) error {
	if err := p.datasetClauses(q); err != nil {
		return err
	}
	if err := p.expectKeyword("WHERE"); err != nil {
		return err
	}
	tmpl, err := p.constructTemplate()
	if err != nil {
		return err
	}
	q.ShortConstruct, q.Template = true, tmpl
	q.Where = &Group{Elements: []Pattern{&BGP{Triples: tmpl}}}
	return p.solutionModifier(q)
}

func (p *parser) askQuery(q *Query) error {
	if err := p.datasetClauses(q); err != nil {
		return err
	}
	if err := p.whereClause(q); err != nil {
		return err
	}
	return p.solutionModifier(q)
}

func (p *parser) describeQuery(q *Query) error {
	if p.acceptPunct("*") {
		q.Star = true
	} else {
		for p.atIRI() || p.peek().kind == tVar {
			t, err := p.varOrIRI()
			if err != nil {
				return err
			}
			q.DescribeTerms = append(q.DescribeTerms, t)
		}
		if len(q.DescribeTerms) == 0 {
			return p.fail("'*', a variable or an IRI")
		}
	}
	if err := p.datasetClauses(q); err != nil {
		return err
	}
	if p.atKeyword("WHERE") || p.atPunct("{") {
		if err := p.whereClause(q); err != nil {
			return err
		}
	}
	return p.solutionModifier(q)
}

func (p *parser) solutionModifier(q *Query) error {
	steps := []func(*Query) error{p.groupClause, p.havingClause, p.orderClause, p.limitOffset}
	for _, step := range steps {
		if err := step(q); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) groupClause(q *Query) error {
	if !p.acceptKeyword("GROUP") {
		return nil
	}
	if err := p.expectKeyword("BY"); err != nil {
		return err
	}
	for {
		c, ok, err := p.groupCondition()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		q.GroupBy = append(q.GroupBy, c)
	}
	if len(q.GroupBy) == 0 {
		return p.fail("a variable, a function call or '(expression)' after GROUP BY")
	}
	return nil
}

func (p *parser) groupCondition() (GroupCondition, bool, error) {
	tok := p.peek()
	switch {
	case tok.kind == tVar:
		p.next()
		return GroupCondition{Expr: &ExprTerm{Term: Term{Kind: Var, Value: tok.text}}}, true, nil
	case p.atPunct("("):
		p.next()
		e, err := p.expression(false)
		if err != nil {
			return GroupCondition{}, false, err
		}
		c := GroupCondition{Expr: e}
		if p.atKeyword("AS") {
			if c.Var, err = p.asVar(); err != nil {
				return c, false, err
			}
		}
		return c, true, p.expectPunct(")")
	case p.atCall():
		e, err := p.callExpression(false)
		return GroupCondition{Expr: e}, true, err
	}
	return GroupCondition{}, false, nil
}

func (p *parser) havingClause(q *Query) error {
	if !p.acceptKeyword("HAVING") {
		return nil
	}
	for {
		e, ok, err := p.constraint(true)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		q.Having = append(q.Having, e)
	}
	if len(q.Having) == 0 {
		return p.fail("'(expression)' or a function call after HAVING")
	}
	return nil
}

// constraint reads a bracketed expression, built-in call or function
// call, as FILTER, HAVING and ORDER BY take; ok is false when none comes.
func (p *parser) constraint(aggregates bool) (Expr, bool, error) {
	if p.atPunct("(") {
		e, err := p.bracketted(aggregates)
		return e, true, err
	}
	if p.atCall() {
		e, err := p.callExpression(aggregates)
		return e, true, err
	}
	return nil, false, nil
}

func (p *parser) orderClause(q *Query) error {
	if !p.acceptKeyword("ORDER") {
		return nil
	}
	if err := p.expectKeyword("BY"); err != nil {
		return err
	}
	for {
		c, ok, err := p.orderCondition()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		q.OrderBy = append(q.OrderBy, c)
	}
	if len(q.OrderBy) == 0 {
		return p.fail("an ordering condition after ORDER BY")
	}
	return nil
}

func (p *parser) orderCondition() (OrderCondition, bool, error) {
	if p.atKeyword("ASC", "DESC") {
		desc := isKeyword(p.next(), "DESC")
		e, err := p.bracketted(true)
		return OrderCondition{Expr: e, Descending: desc}, true, err
	}
	if tok := p.peek(); tok.kind == tVar {
		p.next()
		return OrderCondition{Expr: &ExprTerm{Term: Term{Kind: Var, Value: tok.text}}}, true, nil
	}
	e, ok, err := p.constraint(true)
	return OrderCondition{Expr: e}, ok, err
}

func (p *parser) limitOffset(q *Query) error {
	seenLimit, seenOffset := false, false
	for {
		var err error
		switch {
		case !seenLimit && p.acceptKeyword("LIMIT"):
			seenLimit = true
			q.Limit, err = p.integer()
		case !seenOffset && p.acceptKeyword("OFFSET"):
			seenOffset = true
			q.Offset, err = p.integer()
		default:
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// valuesClause reads an optional VALUES data block.
func (p *parser) valuesClause() (*Values, error) {
	if !p.acceptKeyword("VALUES") {
		return nil, nil
	}
	return p.dataBlock()
}

func (p *parser) dataBlock() (*Values, error) {
	if tok := p.peek(); tok.kind == tVar {
		p.next()
		return p.oneVarData(tok.text)
	}
	vars, err := p.varList()
	if err != nil {
		return nil, err
	}
	v := &Values{Vars: vars}
	if err := p.expectPunct("{"); err != nil {
		return nil, err
	}
	for !p.acceptPunct("}") {
		row, err := p.dataRow(len(vars))
		if err != nil {
			return nil, err
		}
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

func (p *parser) oneVarData(name string) (*Values, error) {
	v := &Values{Vars: []string{name}}
	if err := p.expectPunct("{"); err != nil {
		return nil, err
	}
	for !p.acceptPunct("}") {
		val, err := p.dataValue()
		if err != nil {
			return nil, err
		}
		v.Rows = append(v.Rows, []*Term{val})
	}
	return v, nil
}

// varList reads ( ?a ?b ... ), possibly empty.
func (p *parser) varList() ([]string, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	vars := []string{}
	for p.peek().kind == tVar {
		vars = append(vars, p.next().text)
	}
	return vars, p.expectPunct(")")
}

// dataRow reads ( value ... ) and checks it has one value per variable.
func (p *parser) dataRow(arity int) ([]*Term, error) {
	open := p.peek()
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	row := []*Term{}
	for !p.acceptPunct(")") {
		val, err := p.dataValue()
		if err != nil {
			return nil, err
		}
		row = append(row, val)
	}
	if len(row) != arity {
		return nil, errorAt(open, "VALUES row has %d values for %d variables", len(row), arity)
	}
	return row, nil
}

// dataValue reads an IRI, a literal or UNDEF (returned as nil).
func (p *parser) dataValue() (*Term, error) {
	if p.acceptKeyword("UNDEF") {
		return nil, nil
	}
	if p.atIRI() {
		iri, err := p.iri()
		return &Term{Kind: IRI, Value: iri}, err
	}
	t, ok, err := p.literal()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, p.fail("an IRI, a literal or UNDEF")
	}
	return &t, nil
}
