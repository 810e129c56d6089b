package sparql

import (
	"strconv"
	"strings"
)

// expression reads an Expression. aggregates says whether aggregate calls
// may appear (only in SELECT, HAVING and ORDER BY).
func (p *parser) expression(aggregates bool) (Expr, error) {
	leave, err := p.nest()
	defer leave()
	if err != nil {
		return nil, err
	}
	return p.binaryLevel(0, aggregates)
}

// binaryLevels lists the left-associative binary operators from the
// loosest binding to the tightest; relational operators are handled
// separately because they do not chain.
func binaryLevels() [][]string {
	return [][]string{{"||"}, {"&&"}, nil, {"+", "-"}, {"*", "/"}}
}

// binaryLevel parses the operators of binaryLevels()[level] and tighter.
func (p *parser) binaryLevel(level int, aggregates bool) (Expr, error) {
	levels := binaryLevels()
	if level == len(levels) {
		return p.unary(aggregates)
	}
	if levels[level] == nil {
		return p.relational(level, aggregates)
	}
	left, err := p.binaryLevel(level+1, aggregates)
	if err != nil {
		return nil, err
	}
	for {
		op, ok := p.atOperator(levels[level])
		if !ok {
			return left, nil
		}
		p.next()
		right, err := p.binaryLevel(level+1, aggregates)
		if err != nil {
			return nil, err
		}
		left = &ExprBinary{Op: op, Left: left, Right: right}
	}
}

func (p *parser) atOperator(ops []string) (string, bool) {
	for _, op := range ops {
		if p.atPunct(op) {
			return op, true
		}
	}
	return "", false
}

// relational reads NumericExpression, optionally followed by one
// comparison, IN list or NOT IN list.
func (p *parser) relational(level int, aggregates bool) (Expr, error) {
	left, err := p.binaryLevel(level+1, aggregates)
	if err != nil {
		return nil, err
	}
	if op, ok := p.atOperator([]string{"=", "!=", "<", ">", "<=", ">="}); ok {
		p.next()
		right, err := p.binaryLevel(level+1, aggregates)
		return &ExprBinary{Op: op, Left: left, Right: right}, err
	}
	not := false
	if p.atKeyword("NOT") && isKeyword(p.peekN(1), "IN") {
		p.next()
		not = true
	}
	if !p.acceptKeyword("IN") {
		return left, nil
	}
	list, err := p.expressionList(aggregates)
	return &ExprIn{Arg: left, List: list, Not: not}, err
}

func (p *parser) unary(aggregates bool) (Expr, error) {
	if !p.atSignedNumber() {
		if op, ok := p.atOperator([]string{"!", "+", "-"}); ok {
			p.next()
			arg, err := p.primary(aggregates)
			return &ExprUnary{Op: op, Arg: arg}, err
		}
	}
	return p.primary(aggregates)
}

func (p *parser) primary(aggregates bool) (Expr, error) {
	tok := p.peek()
	switch {
	case p.atPunct("("):
		return p.bracketted(aggregates)
	case tok.kind == tVar:
		p.next()
		return &ExprTerm{Term: Term{Kind: Var, Value: tok.text}}, nil
	case p.atCall():
		return p.callExpression(aggregates)
	case p.atIRI():
		iri, err := p.iri()
		return &ExprTerm{Term: Term{Kind: IRI, Value: iri}}, err
	}
	t, ok, err := p.literal()
	if err == nil && !ok {
		err = p.fail("an expression")
	}
	return &ExprTerm{Term: t}, err
}

func (p *parser) bracketted(aggregates bool) (Expr, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	e, err := p.expression(aggregates)
	if err != nil {
		return nil, err
	}
	return e, p.expectPunct(")")
}

// atCall reports whether a built-in call, an aggregate or a function call
// by IRI starts here.
func (p *parser) atCall() bool {
	tok := p.peek()
	if tok.kind == tKeyword {
		name := strings.ToUpper(tok.text)
		_, _, builtin := BuiltinArity(name)
		return builtin || isAggregate(name) || name == "EXISTS" ||
			name == "NOT" && isKeyword(p.peekN(1), "EXISTS")
	}
	next := p.peekN(1)
	return p.atIRI() && next.kind == tPunct && next.text == "("
}

// callExpression reads a built-in call, an aggregate or f(args).
func (p *parser) callExpression(aggregates bool) (Expr, error) {
	tok := p.peek()
	if p.atIRI() {
		return p.functionCall(aggregates)
	}
	name := strings.ToUpper(tok.text)
	switch {
	case name == "EXISTS" || name == "NOT":
		return p.exists()
	case isAggregate(name):
		if !aggregates {
			return nil, errorAt(tok, "aggregate %s is allowed only in SELECT, HAVING and ORDER BY", name)
		}
		p.next()
		return p.aggregate(name)
	}
	p.next()
	return p.builtinCall(tok, name, aggregates)
}

func (p *parser) exists() (Expr, error) {
	not := p.acceptKeyword("NOT")
	p.next() // EXISTS
	g, err := p.groupGraphPattern()
	return &ExprExists{Not: not, Group: g}, err
}

// functionCall reads iri ( [DISTINCT] args ), such as a cast.
func (p *parser) functionCall(aggregates bool) (Expr, error) {
	iri, err := p.iri()
	if err != nil {
		return nil, err
	}
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	call := &ExprCall{IRI: iri}
	if p.acceptPunct(")") {
		return call, nil
	}
	call.Distinct = p.acceptKeyword("DISTINCT")
	call.Args, err = p.argsUntilClose(aggregates)
	return call, err
}

// argsUntilClose reads expr (',' expr)* ')'.
func (p *parser) argsUntilClose(aggregates bool) ([]Expr, error) {
	var args []Expr
	for {
		e, err := p.expression(aggregates)
		if err != nil {
			return nil, err
		}
		args = append(args, e)
		if !p.acceptPunct(",") {
			return args, p.expectPunct(")")
		}
	}
}

// expressionList reads ( ) or ( expr, ... ).
func (p *parser) expressionList(aggregates bool) ([]Expr, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	if p.acceptPunct(")") {
		return []Expr{}, nil
	}
	return p.argsUntilClose(aggregates)
}

// builtinCall reads the arguments of a built-in and checks their number.
func (p *parser) builtinCall(at token, name string, aggregates bool) (Expr, error) {
	minArgs, maxArgs, _ := BuiltinArity(name)
	if name == "BOUND" {
		return p.boundCall()
	}
	args, err := p.expressionList(aggregates)
	if err != nil {
		return nil, err
	}
	if len(args) < minArgs || maxArgs >= 0 && len(args) > maxArgs {
		return nil, errorAt(at, "%s takes %s, found %d", name, arityText(minArgs, maxArgs), len(args))
	}
	return &ExprCall{Name: name, Args: args}, nil
}

// boundCall reads BOUND(?var): its argument must be a variable.
func (p *parser) boundCall() (Expr, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	v, err := p.variable()
	if err != nil {
		return nil, err
	}
	arg := &ExprTerm{Term: Term{Kind: Var, Value: v}}
	return &ExprCall{Name: "BOUND", Args: []Expr{arg}}, p.expectPunct(")")
}

func arityText(minArgs, maxArgs int) string {
	switch {
	case minArgs == maxArgs && minArgs == 1:
		return "1 argument"
	case minArgs == maxArgs:
		return strconv.Itoa(minArgs) + " arguments"
	case maxArgs < 0:
		return "at least " + strconv.Itoa(minArgs) + " arguments"
	}
	return strconv.Itoa(minArgs) + " to " + strconv.Itoa(maxArgs) + " arguments"
}

// BuiltinArity gives the number of arguments of each built-in of section
// 17 (max -1: any number); ok is false for other names.
func BuiltinArity(name string) (minArgs, maxArgs int, ok bool) {
	switch name {
	case "RAND", "NOW", "UUID", "STRUUID":
		return 0, 0, true
	case "BNODE":
		return 0, 1, true
	case "STR", "LANG", "DATATYPE", "BOUND", "IRI", "URI", "ABS", "CEIL", "FLOOR",
		"ROUND", "STRLEN", "UCASE", "LCASE", "ENCODE_FOR_URI", "YEAR", "MONTH",
		"DAY", "HOURS", "MINUTES", "SECONDS", "TIMEZONE", "TZ", "MD5", "SHA1",
		"SHA256", "SHA384", "SHA512", "ISIRI", "ISURI", "ISBLANK", "ISLITERAL",
		"ISNUMERIC":
		return 1, 1, true
	case "LANGMATCHES", "CONTAINS", "STRSTARTS", "STRENDS", "STRBEFORE",
		"STRAFTER", "STRLANG", "STRDT", "SAMETERM":
		return 2, 2, true
	case "SUBSTR", "REGEX":
		return 2, 3, true
	case "IF":
		return 3, 3, true
	case "REPLACE":
		return 3, 4, true
	case "CONCAT", "COALESCE":
		return 0, -1, true
	}
	return 0, 0, false
}

func isAggregate(name string) bool {
	switch name {
	case "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT":
		return true
	}
	return false
}

// aggregate reads ( [DISTINCT] expr | * [; SEPARATOR = "s"] ). Aggregates
// do not nest.
func (p *parser) aggregate(name string) (Expr, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	agg := &ExprAggregate{Name: name, Distinct: p.acceptKeyword("DISTINCT")}
	if name == "GROUP_CONCAT" {
		agg.Separator = " "
	}
	if name == "COUNT" && p.acceptPunct("*") {
		return agg, p.expectPunct(")")
	}
	arg, err := p.expression(false)
	if err != nil {
		return nil, err
	}
	agg.Arg = arg
	if name == "GROUP_CONCAT" && p.acceptPunct(";") {
		if agg.Separator, err = p.separator(); err != nil {
			return nil, err
		}
	}
	return agg, p.expectPunct(")")
}

func (p *parser) separator() (string, error) {
	if err := p.expectKeyword("SEPARATOR"); err != nil {
		return "", err
	}
	if err := p.expectPunct("="); err != nil {
		return "", err
	}
	tok := p.peek()
	if tok.kind != tString {
		return "", p.fail("a string")
	}
	p.next()
	return tok.text, nil
}
