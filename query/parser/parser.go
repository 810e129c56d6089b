package parser

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/akutan-dev/akutan/storage"
)

// ParseQuery parses a query: SELECT, ASK, or bare fact patterns. Errors are
// of type *Error.
func ParseQuery(text string) (*Query, error) {
	p := newParser(text)
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	return q, nil
}

// parser reads tokens from the lexer with as much lookahead as it needs.
// Internal methods return *Error; only the exported entry points convert
// to error, to avoid typed-nil interfaces.
type parser struct {
	lx    *lexer
	ahead []token // lexed but not yet consumed
}

func newParser(text string) *parser { return &parser{lx: newLexer(text)} }

// peekAt returns the token n places ahead. The input always ends with
// tokEOF or tokError, which repeats forever.
func (p *parser) peekAt(n int) token {
	for len(p.ahead) <= n {
		p.ahead = append(p.ahead, p.lx.next())
	}
	return p.ahead[n]
}

// peek returns the next token.
func (p *parser) peek() token { return p.peekAt(0) }

// next consumes and returns the next token.
func (p *parser) next() token {
	tok := p.peek()
	p.ahead = p.ahead[1:]
	return tok
}

func (p *parser) skipNewlines() {
	for p.peek().kind == tokNewline {
		p.next()
	}
}

// errorf returns an error at pos.
func errorf(pos Position, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// unexpected reports tok where something else was expected. A lexical
// error token carries its own, more precise message.
func unexpected(tok token, expected string) *Error {
	if tok.kind == tokError {
		return &Error{Pos: tok.pos, Msg: tok.val}
	}
	return errorf(tok.pos, "expected %s, found %s", expected, tok.desc())
}

// isWord reports whether tok is the case-insensitive keyword kw.
func isWord(tok token, kw string) bool {
	return tok.kind == tokWord && strings.EqualFold(tok.val, kw)
}

// acceptWord consumes the keyword kw if it comes next, skipping newlines
// only when it does.
func (p *parser) acceptWord(kw string) bool {
	n := 0
	for p.peekAt(n).kind == tokNewline {
		n++
	}
	if !isWord(p.peekAt(n), kw) {
		return false
	}
	p.ahead = p.ahead[n+1:]
	return true
}

// expect consumes a token of the given kind, skipping newlines first.
func (p *parser) expect(kind tokKind, what string) (token, *Error) {
	p.skipNewlines()
	tok := p.peek()
	if tok.kind != kind {
		return tok, unexpected(tok, what)
	}
	return p.next(), nil
}

// query dispatches on the query form.
func (p *parser) query() (*Query, *Error) {
	p.skipNewlines()
	tok := p.peek()
	switch {
	case isWord(tok, "SELECT"):
		return p.selectQuery()
	case isWord(tok, "ASK"):
		return p.askQuery()
	case tok.kind == tokEOF:
		return nil, errorf(tok.pos, "empty query: expected SELECT, ASK or fact patterns")
	case tok.kind == tokWord && !isLiteralWord(tok.val):
		return nil, errorf(tok.pos, "unknown keyword %s: expected SELECT, ASK or a fact pattern", tok.desc())
	}
	return p.factsQuery()
}

// factsQuery parses the bare form: fact patterns with no SELECT or ASK.
func (p *parser) factsQuery() (*Query, *Error) {
	var quads []*Quad
	for {
		p.skipNewlines()
		tok := p.peek()
		if tok.kind == tokEOF {
			break
		}
		if tok.kind == tokRBrace {
			return nil, errorf(tok.pos, "unexpected '}' without a matching '{'")
		}
		q, err := p.queryPattern()
		if err != nil {
			return nil, err
		}
		quads = append(quads, q)
	}
	return &Query{Form: FormFacts, Where: quads}, nil
}

// askQuery parses ASK [WHERE] { ... }.
func (p *parser) askQuery() (*Query, *Error) {
	p.next()
	p.acceptWord("WHERE")
	where, err := p.whereBody()
	if err != nil {
		return nil, err
	}
	p.skipNewlines()
	if tok := p.peek(); tok.kind != tokEOF {
		for _, kw := range []string{"ORDER", "LIMIT", "OFFSET"} {
			if isWord(tok, kw) {
				return nil, errorf(tok.pos, "%s is not allowed in ASK queries", strings.ToUpper(kw))
			}
		}
		return nil, unexpected(tok, "end of query after ASK's WHERE clause")
	}
	return &Query{Form: FormAsk, Where: where}, nil
}

// whereBody parses `{ pattern... }`.
func (p *parser) whereBody() ([]*Quad, *Error) {
	p.skipNewlines()
	if tok := p.peek(); tok.kind == tokWord {
		return nil, errorf(tok.pos, "unknown keyword %s: expected WHERE or '{'", tok.desc())
	}
	open, err := p.expect(tokLBrace, "'{' to start the WHERE clause")
	if err != nil {
		return nil, err
	}
	var quads []*Quad
	for {
		p.skipNewlines()
		tok := p.peek()
		switch tok.kind {
		case tokRBrace:
			p.next()
			if len(quads) == 0 {
				return nil, errorf(open.pos, "empty WHERE clause: expected at least one fact pattern")
			}
			return quads, nil
		case tokEOF:
			return nil, errorf(tok.pos, "missing '}' to close the WHERE clause opened at %s", open.pos)
		}
		q, err := p.queryPattern()
		if err != nil {
			return nil, err
		}
		quads = append(quads, q)
	}
}

// queryPattern parses and checks one fact pattern of a query.
func (p *parser) queryPattern() (*Quad, *Error) {
	q, fs, err := p.pattern()
	if err != nil {
		return nil, err
	}
	if err := checkQueryQuad(q, fs); err != nil {
		return nil, err
	}
	return q, nil
}

// field is one parsed field of a fact line.
type field struct {
	term     Term
	pos      Position
	optional bool     // a `?` directly followed the field
	optPos   Position // where that `?` was
}

// pattern parses one fact line into a quad, consuming an optional
// terminating '.'. It returns the fields too, for their positions.
func (p *parser) pattern() (*Quad, []field, *Error) {
	pos := p.peek().pos
	fs, err := p.fields()
	if err != nil {
		return nil, nil, err
	}
	if len(fs) == 0 {
		return nil, nil, unexpected(p.peek(), "a fact pattern")
	}
	if p.peek().kind == tokDot {
		p.next()
	}
	q, err := newQuad(pos, fs)
	return q, fs, err
}

// fields parses terms up to the end of a fact line: a newline, '.', '}' or
// the end of input.
func (p *parser) fields() ([]field, *Error) {
	var fs []field
	for {
		tok := p.peek()
		switch tok.kind {
		case tokNewline, tokDot, tokRBrace, tokEOF:
			return fs, nil
		case tokQuestion:
			if len(fs) == 0 || tok.spaceBefore || fs[len(fs)-1].optional {
				return nil, errorf(tok.pos, "stray '?': a variable needs a name like ?x, and the optional marker must directly follow the predicate, like <lives>?")
			}
			p.next()
			fs[len(fs)-1].optional = true
			fs[len(fs)-1].optPos = tok.pos
			continue
		}
		t, err := p.term()
		if err != nil {
			return nil, err
		}
		fs = append(fs, field{term: t, pos: tok.pos})
	}
}

// newQuad assigns fields to quad positions and places the optional marker.
func newQuad(pos Position, fs []field) (*Quad, *Error) {
	if len(fs) != 3 && len(fs) != 4 {
		return nil, errorf(pos, "expected 3 or 4 fields, found %d", len(fs))
	}
	for i, f := range fs {
		if f.optional && i != len(fs)-2 {
			return nil, errorf(f.optPos, "the optional marker '?' must directly follow the predicate")
		}
	}
	q := &Quad{Pos: pos}
	spo := fs
	if len(fs) == 4 {
		q.ID = fs[0].term
		spo = fs[1:]
	}
	q.Subject, q.Predicate, q.Object = spo[0].term, spo[1].term, spo[2].term
	q.Optional = spo[1].optional
	return q, nil
}

// roles names the quad fields for error messages, aligned with the last
// 3 or 4 elements of a fields slice.
func roles(fs []field) []string {
	names := []string{"fact ID", "subject", "predicate", "object"}
	return names[4-len(fs):]
}

// checkQueryQuad enforces where each kind of term may appear in a query.
func checkQueryQuad(q *Quad, fs []field) *Error {
	names := roles(fs)
	for i, f := range fs {
		if err := checkQueryTerm(f, names[i]); err != nil {
			return err
		}
	}
	return checkOperatorQuad(q, fs)
}

// checkQueryTerm checks one field of a query pattern against its role.
func checkQueryTerm(f field, role string) *Error {
	switch t := f.term.(type) {
	case *BlankNode:
		return errorf(f.pos, "blank node _:%s is not allowed in queries; use a variable", t.Name)
	case *Operator:
		if role != "predicate" {
			return errorf(f.pos, "operator %s can only be used as a predicate, not as the %s", opName(t.Op), role)
		}
	case *Literal:
		if role != "object" {
			return errorf(f.pos, "a literal cannot be the %s", role)
		}
	case *Set:
		if role != "object" {
			return errorf(f.pos, "a set can only be the object of <in>, not the %s", role)
		}
	}
	return nil
}

// checkOperatorQuad checks the rules that tie the predicate to the rest.
func checkOperatorQuad(q *Quad, fs []field) *Error {
	pred, objField := fs[len(fs)-2], fs[len(fs)-1]
	op, isOp := q.Predicate.(*Operator)
	_, isSet := q.Object.(*Set)
	switch {
	case isOp && q.Optional:
		return errorf(pred.optPos, "operator %s cannot be optional", opName(op.Op))
	case isOp && q.ID != nil:
		return errorf(fs[0].pos, "a comparison with %s cannot have a fact ID", opName(op.Op))
	case isOp && op.Op == OpIn && !isSet:
		return errorf(objField.pos, "<in> needs a set object like { <a>, <b> }")
	case isSet && (!isOp || op.Op != OpIn):
		return errorf(objField.pos, "a set can only be the object of <in>")
	}
	return nil
}

// opName is an operator's spelling in the language.
func opName(op Op) string {
	switch op {
	case OpEq:
		return "<eq>"
	case OpNotEqual:
		return "<notEqual>"
	case OpGt:
		return "<gt>"
	case OpGte:
		return "<gte>"
	case OpLt:
		return "<lt>"
	case OpLte:
		return "<lte>"
	case OpIn:
		return "<in>"
	}
	return fmt.Sprintf("<Op(%d)>", int(op))
}

// operatorNamed maps `<name>` to an operator when name spells one.
func operatorNamed(name string) (Op, bool) {
	for op := OpEq; op <= OpIn; op++ {
		if opName(op) == "<"+name+">" {
			return op, true
		}
	}
	return 0, false
}

// term parses one field.
func (p *parser) term() (Term, *Error) {
	tok := p.next()
	switch tok.kind {
	case tokVar:
		return &Variable{Name: tok.val}, nil
	case tokEntity, tokQName, tokKID:
		return entityTerm(tok)
	case tokBlank:
		return &BlankNode{Name: tok.val}, nil
	case tokString:
		return p.stringTerm(tok)
	case tokNumber:
		return p.numberTerm(tok)
	case tokTime:
		return timeTerm(tok)
	case tokWord:
		return p.wordTerm(tok)
	case tokLBrace:
		return p.set(tok)
	}
	return nil, unexpected(tok, "a variable, entity or literal")
}

// entityTerm converts `<name>`, a QName or `#kid`. Operator spellings in
// angle brackets become operators; the caller checks their position.
func entityTerm(tok token) (Term, *Error) {
	switch tok.kind {
	case tokEntity:
		if op, ok := operatorNamed(tok.val); ok {
			return &Operator{Op: op}, nil
		}
		return &Entity{Name: tok.val}, nil
	case tokQName:
		return &Entity{Name: tok.val}, nil
	}
	kid, err := strconv.ParseUint(tok.val, 10, 64)
	if err != nil {
		return nil, errorf(tok.pos, "KID %s is out of range (64 bits)", shorten(tok.text))
	}
	if kid == 0 {
		return nil, errorf(tok.pos, "KID #0 is not a valid entity")
	}
	return &KID{ID: kid}, nil
}

// stringTerm converts a string literal, which cannot carry a unit.
func (p *parser) stringTerm(tok token) (Term, *Error) {
	if next := p.peek(); next.kind == tokCarets {
		return nil, errorf(next.pos, "a string cannot have a unit (^^); units apply to numbers")
	}
	return &Literal{Value: storage.AString(tok.val, tok.lang)}, nil
}

// numberTerm converts an integer or float and its optional unit.
func (p *parser) numberTerm(tok token) (Term, *Error) {
	value, err := numberValue(tok)
	if err != nil {
		return nil, err
	}
	lit := &Literal{Value: value}
	if p.peek().kind == tokCarets {
		p.next()
		if lit.Unit, err = p.unit(); err != nil {
			return nil, err
		}
	}
	return lit, nil
}

// numberValue converts a number token. A '.' or exponent makes it a float.
func numberValue(tok token) (storage.Object, *Error) {
	s := tok.val
	if strings.EqualFold(strings.TrimLeft(s, "+-"), "INF") {
		return storage.AFloat64(math.Inf(signOf(s)), 0), nil
	}
	if strings.ContainsAny(s, ".eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return storage.Object{}, errorf(tok.pos, "float %s is out of range (64-bit); use INF or -INF for infinities", shorten(s))
		}
		return storage.AFloat64(f, 0), nil
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return storage.Object{}, errorf(tok.pos, "integer %s is out of range (64-bit signed); write it as a float like %s.0 if that is meant", shorten(s), shorten(s))
	}
	return storage.AInt64(i, 0), nil
}

func signOf(s string) int {
	if strings.HasPrefix(s, "-") {
		return -1
	}
	return 1
}

// unit parses the entity after `^^`.
func (p *parser) unit() (Term, *Error) {
	tok := p.next()
	switch tok.kind {
	case tokEntity, tokQName, tokKID:
		t, err := entityTerm(tok)
		if err != nil {
			return nil, err
		}
		if op, ok := t.(*Operator); ok {
			return nil, errorf(tok.pos, "operator %s cannot be a unit", opName(op.Op))
		}
		return t, nil
	}
	return nil, unexpected(tok, "a unit entity after '^^', like <inch> or uom:mm")
}

// timeTerm converts a timestamp literal.
func timeTerm(tok token) (Term, *Error) {
	t, prec, msg := parseTimestamp(tok.val)
	if msg != "" {
		return nil, errorf(tok.pos, "invalid timestamp %s: %s", tok.desc(), msg)
	}
	return &Literal{Value: storage.ATimestamp(t, prec)}, nil
}

// isLiteralWord reports whether a bare word is a literal rather than a
// keyword.
func isLiteralWord(w string) bool {
	return strings.EqualFold(w, "true") || strings.EqualFold(w, "false") || strings.EqualFold(w, "INF")
}

// wordTerm converts the bare words that are literals.
func (p *parser) wordTerm(tok token) (Term, *Error) {
	switch {
	case strings.EqualFold(tok.val, "true"):
		return &Literal{Value: storage.ABool(true)}, nil
	case strings.EqualFold(tok.val, "false"):
		return &Literal{Value: storage.ABool(false)}, nil
	case strings.EqualFold(tok.val, "INF"):
		return p.numberTerm(tok)
	}
	if len(tok.val) > 1 && strings.ToUpper(tok.val) == tok.val {
		return nil, errorf(tok.pos, "unknown keyword %s in a fact pattern", tok.desc())
	}
	return nil, errorf(tok.pos, "unexpected word %s: entities need angle brackets like <%s> or a prefix like ex:%s",
		tok.desc(), shorten(tok.val), shorten(tok.val))
}

// set parses `{ term, term, ... }` after its opening brace. Members must be
// values, so variables, operators, blank nodes and nested sets are refused.
func (p *parser) set(open token) (Term, *Error) {
	set := &Set{}
	for {
		p.skipNewlines()
		tok := p.peek()
		if tok.kind == tokRBrace && len(set.Values) == 0 {
			return nil, errorf(open.pos, "empty set {}: a set needs at least one value")
		}
		t, err := p.setMember()
		if err != nil {
			return nil, err
		}
		set.Values = append(set.Values, t)
		p.skipNewlines()
		switch sep := p.next(); sep.kind {
		case tokRBrace:
			return set, nil
		case tokComma:
		case tokEOF:
			return nil, errorf(sep.pos, "missing '}' to close the set opened at %s", open.pos)
		default:
			return nil, unexpected(sep, "',' or '}' in set")
		}
	}
}

// setMember parses one value of a set.
func (p *parser) setMember() (Term, *Error) {
	tok := p.peek()
	switch tok.kind {
	case tokVar, tokBlank, tokLBrace, tokQuestion:
		return nil, errorf(tok.pos, "a set can only hold entities and literals, found %s", tok.desc())
	}
	t, err := p.term()
	if err != nil {
		return nil, err
	}
	if op, ok := t.(*Operator); ok {
		return nil, errorf(tok.pos, "operator %s cannot be a set member", opName(op.Op))
	}
	return t, nil
}

// parseTimestamp parses YYYY[-MM[-DD[( |T)hh[:mm[:ss[.fraction]]]]]] as
// UTC. The precision is the finest part given. It returns a reason instead
// of an error so the caller can attach the position.
func parseTimestamp(s string) (time.Time, storage.Precision, string) {
	seps := [6]string{"", "-", "-", " T", ":", ":"}
	parts := [6]int{0, 1, 1, 0, 0, 0}
	n, i := 0, 0
	for ; n < len(parts) && i < len(s); n++ {
		if n > 0 {
			if !strings.ContainsRune(seps[n], rune(s[i])) {
				return badTimestamp()
			}
			i++
		}
		width := 2
		if n == 0 {
			width = 4
		}
		v, ok := fixedDigits(s[i:], width)
		if !ok {
			return badTimestamp()
		}
		parts[n] = v
		i += width
	}
	if n == 0 {
		return badTimestamp()
	}
	prec := storage.Precision(n)
	nanos := 0
	if i < len(s) && n == len(parts) && s[i] == '.' {
		var ok bool
		if nanos, ok = fraction(s[i+1:]); !ok {
			return time.Time{}, 0, "fractional seconds need 1 to 9 digits"
		}
		prec, i = storage.PrecisionNanosecond, len(s)
	}
	if i != len(s) {
		return badTimestamp()
	}
	return buildTime(parts, nanos, prec)
}

func badTimestamp() (time.Time, storage.Precision, string) {
	return time.Time{}, 0, "expected a UTC time like '2019', '2019-03', '2019-03-22', '2019-03-22 14:30', '2019-03-22 14:30:00' or '2019-03-22 14:30:00.123'"
}

// fixedDigits parses exactly width leading ASCII digits of s.
func fixedDigits(s string, width int) (int, bool) {
	if len(s) < width {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[:width]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// fraction parses 1 to 9 digits of fractional seconds as nanoseconds.
func fraction(s string) (int, bool) {
	if len(s) < 1 || len(s) > 9 {
		return 0, false
	}
	v, ok := fixedDigits(s, len(s))
	for i := len(s); i < 9; i++ {
		v *= 10
	}
	return v, ok
}

// buildTime checks the ranges of the parts, then builds the time.
func buildTime(parts [6]int, nanos int, prec storage.Precision) (time.Time, storage.Precision, string) {
	year, month, day, hour, minute, sec := parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]
	switch {
	case month < 1 || month > 12:
		return time.Time{}, 0, fmt.Sprintf("month %d is out of range 1-12", month)
	case day < 1 || day > daysIn(year, time.Month(month)):
		return time.Time{}, 0, fmt.Sprintf("day %d is out of range for %s %04d", day, time.Month(month), year)
	case hour > 23:
		return time.Time{}, 0, fmt.Sprintf("hour %d is out of range 0-23", hour)
	case minute > 59:
		return time.Time{}, 0, fmt.Sprintf("minute %d is out of range 0-59", minute)
	case sec > 59:
		return time.Time{}, 0, fmt.Sprintf("second %d is out of range 0-59", sec)
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC), prec, ""
}

// daysIn returns the number of days in the month.
func daysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// selectQuery parses SELECT [DISTINCT] (* | items) [WHERE] { ... } and its
// solution modifiers.
func (p *parser) selectQuery() (*Query, *Error) {
	selectTok := p.next()
	q := &Query{Form: FormSelect, Distinct: p.acceptWord("DISTINCT")}
	var itemPos []Position
	p.skipNewlines()
	if p.peek().kind == tokStar {
		p.next()
		q.Star = true
	} else {
		var err *Error
		if q.Select, itemPos, err = p.selectItems(); err != nil {
			return nil, err
		}
		if tok := p.peek(); len(q.Select) == 0 && tok.kind == tokWord {
			return nil, errorf(tok.pos, "unknown keyword %s: expected DISTINCT, '*' or variables to select", tok.desc())
		}
		if len(q.Select) == 0 {
			return nil, unexpected(p.peek(), "'*' or variables to select after "+selectTok.desc())
		}
	}
	p.acceptWord("WHERE")
	var err *Error
	if q.Where, err = p.whereBody(); err != nil {
		return nil, err
	}
	orderPos, err := p.modifiers(q)
	if err != nil {
		return nil, err
	}
	return q, checkSelect(q, itemPos, orderPos)
}

// selectItems parses the variables and aggregates after SELECT, returning
// their positions for later checks.
func (p *parser) selectItems() ([]SelectItem, []Position, *Error) {
	var items []SelectItem
	var pos []Position
	seen := make(map[string]bool)
	for {
		p.skipNewlines()
		tok := p.peek()
		var item SelectItem
		switch tok.kind {
		case tokVar:
			p.next()
			item.Var = &Variable{Name: tok.val}
		case tokLParen:
			var err *Error
			if item, err = p.aggregate(); err != nil {
				return nil, nil, err
			}
		default:
			return items, pos, nil
		}
		if len(items) > 0 && (items[0].Count == nil) != (item.Count == nil) {
			return nil, nil, errorf(tok.pos, "cannot mix aggregate and non-aggregate variables in SELECT")
		}
		if seen[item.Var.Name] {
			return nil, nil, errorf(tok.pos, "?%s is selected twice", item.Var.Name)
		}
		seen[item.Var.Name] = true
		items = append(items, item)
		pos = append(pos, tok.pos)
	}
}

// aggregate parses (COUNT(?x) AS ?n) or (COUNT(*) AS ?n).
func (p *parser) aggregate() (SelectItem, *Error) {
	p.next()
	p.skipNewlines()
	if tok := p.next(); !isWord(tok, "COUNT") {
		if tok.kind == tokWord {
			return SelectItem{}, errorf(tok.pos, "unsupported aggregate %s: only COUNT is supported", tok.desc())
		}
		return SelectItem{}, unexpected(tok, "COUNT after '('")
	}
	if _, err := p.expect(tokLParen, "'(' after COUNT"); err != nil {
		return SelectItem{}, err
	}
	agg := &Aggregate{}
	p.skipNewlines()
	switch tok := p.next(); tok.kind {
	case tokStar:
	case tokVar:
		agg.Of = &Variable{Name: tok.val}
	default:
		return SelectItem{}, unexpected(tok, "a variable or '*' in COUNT(...)")
	}
	if _, err := p.expect(tokRParen, "')' to close COUNT("); err != nil {
		return SelectItem{}, err
	}
	if !p.acceptWord("AS") {
		p.skipNewlines()
		return SelectItem{}, unexpected(p.peek(), "AS ?name after COUNT(...)")
	}
	out, err := p.expect(tokVar, "a variable after AS")
	if err != nil {
		return SelectItem{}, err
	}
	if _, err := p.expect(tokRParen, "')' to close the aggregate"); err != nil {
		return SelectItem{}, err
	}
	return SelectItem{Var: &Variable{Name: out.val}, Count: agg}, nil
}

// modifiers parses ORDER BY, then LIMIT and OFFSET in either order. It
// returns the positions of the ORDER BY keys for later checks.
func (p *parser) modifiers(q *Query) ([]Position, *Error) {
	var orderPos []Position
	seenOffset := false
	for {
		p.skipNewlines()
		tok := p.peek()
		var err *Error
		switch {
		case tok.kind == tokEOF:
			return orderPos, nil
		case isWord(tok, "ORDER"):
			if orderPos != nil || q.Limit != nil || seenOffset {
				return nil, errorf(tok.pos, "ORDER BY must come once, before LIMIT and OFFSET")
			}
			q.OrderBy, orderPos, err = p.orderBy()
		case isWord(tok, "LIMIT"):
			if q.Limit != nil {
				return nil, errorf(tok.pos, "LIMIT is given twice")
			}
			var n uint64
			n, err = p.count()
			q.Limit = &n
		case isWord(tok, "OFFSET"):
			if seenOffset {
				return nil, errorf(tok.pos, "OFFSET is given twice")
			}
			seenOffset = true
			q.Offset, err = p.count()
		case tok.kind == tokWord:
			return nil, errorf(tok.pos, "unknown keyword %s: expected ORDER BY, LIMIT or OFFSET", tok.desc())
		default:
			return nil, unexpected(tok, "ORDER BY, LIMIT, OFFSET or end of query")
		}
		if err != nil {
			return nil, err
		}
	}
}

// orderBy parses BY and the keys after ORDER.
func (p *parser) orderBy() ([]OrderKey, []Position, *Error) {
	p.next()
	if !p.acceptWord("BY") {
		p.skipNewlines()
		return nil, nil, unexpected(p.peek(), "BY after ORDER")
	}
	var keys []OrderKey
	var pos []Position
	for {
		p.skipNewlines()
		tok := p.peek()
		var key OrderKey
		switch {
		case tok.kind == tokVar:
			p.next()
			key.Var = &Variable{Name: tok.val}
		case isWord(tok, "ASC") || isWord(tok, "DESC"):
			var err *Error
			if key, err = p.orderKeyCall(); err != nil {
				return nil, nil, err
			}
		case len(keys) == 0:
			return nil, nil, unexpected(tok, "a variable, ASC(?x) or DESC(?x) after ORDER BY")
		default:
			return keys, pos, nil
		}
		keys = append(keys, key)
		pos = append(pos, tok.pos)
	}
}

// orderKeyCall parses ASC(?x) or DESC(?x).
func (p *parser) orderKeyCall() (OrderKey, *Error) {
	dir := p.next()
	key := OrderKey{Desc: isWord(dir, "DESC")}
	name := strings.ToUpper(dir.val)
	if _, err := p.expect(tokLParen, "'(' after "+name); err != nil {
		return key, err
	}
	v, err := p.expect(tokVar, "a variable in "+name+"(...)")
	if err != nil {
		return key, err
	}
	if _, err := p.expect(tokRParen, "')' to close "+name+"("); err != nil {
		return key, err
	}
	key.Var = &Variable{Name: v.val}
	return key, nil
}

// count parses the non-negative integer after LIMIT or OFFSET.
func (p *parser) count() (uint64, *Error) {
	kw := strings.ToUpper(p.next().val)
	p.skipNewlines()
	tok := p.next()
	if tok.kind == tokError {
		return 0, unexpected(tok, "")
	}
	if tok.kind != tokNumber || strings.ContainsAny(tok.val, "+-.eE") {
		return 0, errorf(tok.pos, "%s must be a non-negative integer, found %s", kw, tok.desc())
	}
	n, err := strconv.ParseUint(tok.val, 10, 64)
	if err != nil {
		return 0, errorf(tok.pos, "%s %s is out of range (64-bit unsigned)", kw, shorten(tok.val))
	}
	return n, nil
}

// checkSelect checks that selected, counted and ordered variables are
// bound.
func checkSelect(q *Query, itemPos, orderPos []Position) *Error {
	bound := whereVars(q.Where)
	outputs := make(map[string]bool)
	for i, item := range q.Select {
		if err := checkSelectItem(item, itemPos[i], bound); err != nil {
			return err
		}
		outputs[item.Var.Name] = true
	}
	aggregated := len(q.Select) > 0 && q.Select[0].Count != nil
	seen := make(map[string]bool)
	for i, key := range q.OrderBy {
		name := key.Var.Name
		switch {
		case seen[name]:
			return errorf(orderPos[i], "ORDER BY lists ?%s twice", name)
		case aggregated && !outputs[name]:
			return errorf(orderPos[i], "cannot ORDER BY ?%s: an aggregate query can only order by its aggregate results", name)
		case !aggregated && !bound[name]:
			return errorf(orderPos[i], "cannot ORDER BY ?%s: it is not bound in WHERE", name)
		}
		seen[name] = true
	}
	return nil
}

// checkSelectItem checks one SELECT column against the WHERE variables.
func checkSelectItem(item SelectItem, pos Position, bound map[string]bool) *Error {
	if item.Count == nil {
		if !bound[item.Var.Name] {
			return errorf(pos, "?%s is selected but not bound in WHERE", item.Var.Name)
		}
		return nil
	}
	if of := item.Count.Of; of != nil && !bound[of.Name] {
		return errorf(pos, "COUNT(?%s) counts a variable not bound in WHERE", of.Name)
	}
	if bound[item.Var.Name] {
		return errorf(pos, "COUNT result ?%s is already bound in WHERE; pick a new name", item.Var.Name)
	}
	return nil
}

// whereVars returns the names of the variables the patterns mention.
func whereVars(quads []*Quad) map[string]bool {
	vars := make(map[string]bool)
	for _, q := range quads {
		for _, t := range []Term{q.ID, q.Subject, q.Predicate, q.Object} {
			if v, ok := t.(*Variable); ok {
				vars[v.Name] = true
			}
		}
	}
	return vars
}
