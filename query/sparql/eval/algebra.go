package eval

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/akutan-dev/akutan/query/sparql"
)

// ErrNotSupported marks a request that is valid SPARQL but uses something
// Akutan does not have yet: named graphs (FROM, FROM NAMED, GRAPH, WITH,
// USING, graph management) and SERVICE. The protocol layer answers it
// with a 400.
var ErrNotSupported = errors.New("not supported")

var (
	errNamedGraphs error = notSupported("named graphs (FROM, FROM NAMED, GRAPH, WITH, USING and graph operations) are not supported: Akutan has only the default graph")
	errService     error = notSupported("SERVICE is not supported")
)

// notSupported is an error that says what is not supported, and is
// ErrNotSupported (without repeating "not supported").
type notSupported string

func (e notSupported) Error() string        { return string(e) }
func (e notSupported) Is(target error) bool { return target == ErrNotSupported }

// node is one operator of the SPARQL algebra (section 18.2). The
// translation builds a tree of them from the syntax tree; evaluator.eval
// runs it.
type node interface{ algebra() }

type (
	// unit is the empty group {}: one solution that binds nothing.
	unit struct{}
	// bgp is a basic graph pattern; triples with a property path are
	// path patterns (section 18.4), joined in the same index nested loop.
	// Blank nodes are variables named "_:label" (never projected).
	bgp  struct{ triples []sparql.TriplePattern }
	join struct{ left, right node }
	// leftJoin is OPTIONAL; filter is the optional group's FILTERs.
	leftJoin struct {
		left, right node
		filter      []sparql.Expr
	}
	minus  struct{ left, right node }
	union  struct{ left, right node }
	filter struct {
		exprs []sparql.Expr
		inner node
	}
	extend struct {
		inner node
		v     string
		expr  sparql.Expr
	}
	values struct{ data *sparql.Values }
	// group is GROUP BY with its aggregates: one solution per group,
	// binding the named keys and the aggregates by their hidden names.
	group struct {
		inner node
		keys  []sparql.GroupCondition
		aggs  []*sparql.ExprAggregate
	}
	orderBy struct {
		inner node
		conds []sparql.OrderCondition
		// limit > 0 keeps only the first limit solutions (a top-k heap).
		limit int64
	}
	project struct {
		inner node
		vars  []string
	}
	distinct struct{ inner node }
	reduced  struct{ inner node }
	slice    struct {
		inner         node
		offset, limit int64
	}
)

func (unit) algebra()      {}
func (*bgp) algebra()      {}
func (*join) algebra()     {}
func (*leftJoin) algebra() {}
func (*minus) algebra()    {}
func (*union) algebra()    {}
func (*filter) algebra()   {}
func (*extend) algebra()   {}
func (*values) algebra()   {}
func (*group) algebra()    {}
func (*orderBy) algebra()  {}
func (*project) algebra()  {}
func (*distinct) algebra() {}
func (*reduced) algebra()  {}
func (*slice) algebra()    {}

// aggName is the hidden variable a group binds aggregate i to. Variable
// names from the parser never contain a NUL.
func aggName(i int) string { return fmt.Sprintf("\x00agg%d", i) }

// blankVar is the variable a blank node of a pattern stands for.
func blankVar(label string) string { return "_:" + label }

// hidden reports whether a variable is internal: a blank node of a
// pattern or an aggregate's value.
func hidden(v string) bool { return strings.HasPrefix(v, "_:") || strings.HasPrefix(v, "\x00") }

// translator turns a syntax tree into algebra. aggs numbers the
// aggregates of the query being translated; sub-selects get their own.
type translator struct {
	aggs map[*sparql.ExprAggregate]string
}

// translateQuery is section 18.2.4: the WHERE group, then grouping and
// aggregates, HAVING, trailing VALUES, SELECT expressions, ORDER BY,
// projection, DISTINCT or REDUCED, and OFFSET/LIMIT.
func (tr *translator) translateQuery(q *sparql.Query) (node, error) {
	if len(q.From) > 0 || len(q.FromNamed) > 0 {
		return nil, errNamedGraphs
	}
	var p node = unit{}
	if q.Where != nil {
		var err error
		if p, err = tr.translateGroup(q.Where); err != nil {
			return nil, err
		}
	}
	var aggs []*sparql.ExprAggregate
	for _, pr := range q.Projection {
		aggs = collectAggregates(pr.Expr, aggs)
	}
	for _, h := range q.Having {
		aggs = collectAggregates(h, aggs)
	}
	for _, o := range q.OrderBy {
		aggs = collectAggregates(o.Expr, aggs)
	}
	if len(q.GroupBy) > 0 || len(aggs) > 0 {
		for _, a := range aggs {
			if _, ok := tr.aggs[a]; !ok {
				tr.aggs[a] = aggName(len(tr.aggs))
			}
		}
		p = &group{inner: p, keys: q.GroupBy, aggs: aggs}
		if len(q.Having) > 0 {
			p = &filter{exprs: q.Having, inner: p}
		}
	}
	if q.Values != nil {
		p = joinOf(p, &values{data: q.Values})
	}
	if q.Form == sparql.Select {
		for _, pr := range q.Projection {
			if pr.Expr != nil {
				p = &extend{inner: p, v: pr.Var, expr: pr.Expr}
			}
		}
	}
	if len(q.OrderBy) > 0 {
		ob := &orderBy{inner: p, conds: q.OrderBy}
		if q.Limit >= 0 && !q.Distinct && q.Form == sparql.Select {
			ob.limit = q.Offset + q.Limit
		}
		p = ob
	}
	if q.Form == sparql.Select {
		vars := make([]string, 0, len(q.Projection))
		if q.Star {
			vars = inScope(p)
		}
		for _, pr := range q.Projection {
			vars = append(vars, pr.Var)
		}
		p = &project{inner: p, vars: vars}
	}
	switch {
	case q.Distinct:
		p = &distinct{inner: p}
	case q.Reduced:
		p = &reduced{inner: p}
	}
	if q.Offset > 0 || q.Limit >= 0 {
		p = &slice{inner: p, offset: q.Offset, limit: q.Limit}
	}
	return p, nil
}

// translateGroup is section 18.2.2: FILTERs apply to the whole group,
// OPTIONAL's own filters become the LeftJoin's, BIND extends what comes
// before it.
func (tr *translator) translateGroup(g *sparql.Group) (node, error) {
	var filters []sparql.Expr
	var p node = unit{}
	for _, el := range g.Elements {
		switch el := el.(type) {
		case *sparql.Filter:
			filters = append(filters, el.Expr)
		case *sparql.BGP:
			p = joinOf(p, &bgp{triples: el.Triples})
		case *sparql.Optional:
			a, err := tr.translateGroup(el.Group)
			if err != nil {
				return nil, err
			}
			if f, ok := a.(*filter); ok {
				p = &leftJoin{left: p, right: f.inner, filter: f.exprs}
			} else {
				p = &leftJoin{left: p, right: a}
			}
		case *sparql.Minus:
			a, err := tr.translateGroup(el.Group)
			if err != nil {
				return nil, err
			}
			p = &minus{left: p, right: a}
		case *sparql.Bind:
			p = &extend{inner: p, v: el.Var, expr: el.Expr}
		case *sparql.Union:
			var u node
			for _, alt := range el.Alternatives {
				a, err := tr.translateGroup(alt)
				if err != nil {
					return nil, err
				}
				if u == nil {
					u = a
				} else {
					u = &union{left: u, right: a}
				}
			}
			p = joinOf(p, u)
		case *sparql.Group:
			a, err := tr.translateGroup(el)
			if err != nil {
				return nil, err
			}
			p = joinOf(p, a)
		case *sparql.Values:
			p = joinOf(p, &values{data: el})
		case *sparql.SubQuery:
			sub := &translator{aggs: tr.aggs}
			a, err := sub.translateQuery(el.Query)
			if err != nil {
				return nil, err
			}
			p = joinOf(p, a)
		case *sparql.GraphPattern:
			return nil, errNamedGraphs
		case *sparql.Service:
			return nil, errService
		default:
			return nil, fmt.Errorf("translating a group: unknown element %T", el)
		}
	}
	if len(filters) > 0 {
		p = &filter{exprs: filters, inner: p}
	}
	return p, nil
}

// joinOf is Join(a, b), leaving out the empty group.
func joinOf(a, b node) node {
	if _, ok := a.(unit); ok {
		return b
	}
	if _, ok := b.(unit); ok {
		return a
	}
	return &join{left: a, right: b}
}

// collectAggregates appends the aggregates of e, outermost first.
func collectAggregates(e sparql.Expr, out []*sparql.ExprAggregate) []*sparql.ExprAggregate {
	switch e := e.(type) {
	case *sparql.ExprAggregate:
		return append(out, e)
	case *sparql.ExprBinary:
		return collectAggregates(e.Right, collectAggregates(e.Left, out))
	case *sparql.ExprUnary:
		return collectAggregates(e.Arg, out)
	case *sparql.ExprIn:
		out = collectAggregates(e.Arg, out)
		for _, x := range e.List {
			out = collectAggregates(x, out)
		}
	case *sparql.ExprCall:
		for _, x := range e.Args {
			out = collectAggregates(x, out)
		}
	}
	return out
}

// inScope lists the variables a SELECT * projects (section 18.2.1), in
// order of first appearance.
func inScope(n node) []string {
	seen := map[string]bool{}
	var out []string
	add := func(v string) {
		if !seen[v] && !hidden(v) {
			seen[v] = true
			out = append(out, v)
		}
	}
	var walk func(n node)
	walk = func(n node) {
		switch n := n.(type) {
		case *bgp:
			for _, t := range n.triples {
				for _, x := range []sparql.Term{t.Subject, t.Predicate, t.Object} {
					if x.Kind == sparql.Var {
						add(x.Value)
					}
				}
			}
		case *join:
			walk(n.left)
			walk(n.right)
		case *leftJoin:
			walk(n.left)
			walk(n.right)
		case *union:
			walk(n.left)
			walk(n.right)
		case *minus:
			walk(n.left)
		case *filter:
			walk(n.inner)
		case *extend:
			walk(n.inner)
			add(n.v)
		case *values:
			for _, v := range n.data.Vars {
				add(v)
			}
		case *group:
			for _, k := range n.keys {
				if k.Var != "" {
					add(k.Var)
				} else if t, ok := k.Expr.(*sparql.ExprTerm); ok && t.Term.Kind == sparql.Var {
					add(t.Term.Value)
				}
			}
		case *project:
			for _, v := range n.vars {
				add(v)
			}
		case *orderBy:
			walk(n.inner)
		case *distinct:
			walk(n.inner)
		case *reduced:
			walk(n.inner)
		case *slice:
			walk(n.inner)
		}
	}
	walk(n)
	return out
}

// Explain returns the algebra of q as an indented tree, one operator a
// line, for --explain. A query that cannot be translated explains why.
// Each BGP's patterns are in the order of the known-positions heuristic;
// ExplainOver gives the order evaluation over a graph takes.
func Explain(q *sparql.Query) string {
	return explain(q, nil)
}

// ExplainOver is Explain with each BGP's patterns in the order evaluation
// over g starts with: by g's estimates when g is an Estimator, each
// pattern followed by its estimate (per solution of what comes before
// it). At run time a check may then move to the end of its BGP, by what a
// sample of its first solutions finds (deferstep.go).
func ExplainOver(ctx context.Context, q *sparql.Query, g Graph) string {
	return explain(q, (&evaluator{g: g}).estimate(ctx))
}

func explain(q *sparql.Query, cost costFn) string {
	tr := &translator{aggs: map[*sparql.ExprAggregate]string{}}
	n, err := tr.translateQuery(q)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	x := &explainer{cost: cost}
	form := map[sparql.Form]string{sparql.Select: "select", sparql.Construct: "construct",
		sparql.Ask: "ask", sparql.Describe: "describe"}[q.Form]
	x.b.WriteString(form + "\n")
	x.node(n, 1, nil)
	return x.b.String()
}

// explainer writes the tree of an algebra expression.
type explainer struct {
	b    strings.Builder
	cost costFn // nil: the heuristic order, no estimates
}

func (x *explainer) node(n node, depth int, bound map[string]bool) {
	b := &x.b
	indent := strings.Repeat("  ", depth)
	line := func(format string, args ...any) { fmt.Fprintf(b, indent+format+"\n", args...) }
	switch n := n.(type) {
	case unit:
		line("table unit")
	case *bgp:
		x.bgp(n, depth, bound, nil)
	case *join:
		line("join")
		x.node(n.left, depth+1, bound)
		x.node(n.right, depth+1, rightBound(n, bound))
	case *leftJoin:
		if len(n.filter) > 0 {
			line("leftjoin filter %s", formatExprs(n.filter))
		} else {
			line("leftjoin")
		}
		x.node(n.left, depth+1, bound)
		x.node(n.right, depth+1, rightBound(n, bound))
	case *minus:
		line("minus")
		x.node(n.left, depth+1, bound)
		x.node(n.right, depth+1, rightBound(n, bound))
	case *union:
		line("union")
		x.node(n.left, depth+1, bound)
		x.node(n.right, depth+1, rightBound(n, bound))
	case *filter:
		line("filter %s", formatExprs(n.exprs))
		if inner, ok := n.inner.(*bgp); ok {
			x.bgp(inner, depth+1, bound, objectFilters(n.exprs))
		} else {
			x.node(n.inner, depth+1, bound)
		}
	case *extend:
		line("extend ?%s := %s", n.v, formatExpr(n.expr))
		x.node(n.inner, depth+1, bound)
	case *values:
		line("values (%s) %d rows", formatVars(n.data.Vars), len(n.data.Rows))
	case *group:
		keys := make([]string, len(n.keys))
		for i, k := range n.keys {
			keys[i] = formatExpr(k.Expr)
			if k.Var != "" {
				keys[i] = "(" + keys[i] + " AS ?" + k.Var + ")"
			}
		}
		aggs := make([]string, len(n.aggs))
		for i, a := range n.aggs {
			aggs[i] = formatExpr(a)
		}
		line("group by [%s] aggregates [%s]", strings.Join(keys, " "), strings.Join(aggs, ", "))
		x.node(n.inner, depth+1, bound)
	case *orderBy:
		conds := make([]string, len(n.conds))
		for i, c := range n.conds {
			conds[i] = formatExpr(c.Expr)
			if c.Descending {
				conds[i] = "DESC(" + conds[i] + ")"
			}
		}
		if n.limit > 0 {
			line("order by %s (top %d)", strings.Join(conds, " "), n.limit)
		} else {
			line("order by %s", strings.Join(conds, " "))
		}
		x.node(n.inner, depth+1, bound)
	case *project:
		line("project (%s)", formatVars(n.vars))
		x.node(n.inner, depth+1, bound)
	case *distinct:
		line("distinct")
		x.node(n.inner, depth+1, bound)
	case *reduced:
		line("reduced")
		x.node(n.inner, depth+1, bound)
	case *slice:
		if n.limit >= 0 {
			line("slice offset %d limit %d", n.offset, n.limit)
		} else {
			line("slice offset %d", n.offset)
		}
		x.node(n.inner, depth+1, bound)
	}
}

// bgp shows a BGP in evaluation order (by estimates when x has them, each
// pattern then followed by "~N", its estimate per solution of the patterns
// before it), each pattern with the FILTER comparisons its lookups are
// given as hints.
func (x *explainer) bgp(n *bgp, depth int, bound map[string]bool, filters map[string][]pushedCmp) {
	indent := strings.Repeat("  ", depth)
	fmt.Fprintf(&x.b, "%sbgp\n", indent)
	known := map[string]bool{}
	for v := range bound {
		known[v] = true
	}
	for _, t := range orderTriples(n.triples, bound, x.cost) {
		est := ""
		if x.cost != nil && t.Path == nil {
			est = fmt.Sprintf("  ~%.0f", x.cost(t, known))
		}
		fmt.Fprintf(&x.b, "%s  %s%s%s\n", indent, formatTriplePattern(t), formatObjectFilter(t, filters), est)
		for _, term := range []sparql.Term{t.Subject, t.Predicate, t.Object} {
			if v, ok := patternVar(term); ok {
				known[v] = true
			}
		}
	}
}

// rightBound is what the right side of a join or left join is evaluated
// with: the variables bound outside it, and for an index nested loop join
// those its left side binds.
func rightBound(n node, bound map[string]bool) map[string]bool {
	var left node
	switch n := n.(type) {
	case *join:
		left = n.left
	case *leftJoin:
		left = n.left
	default:
		return bound
	}
	out := varSet(inScopeAll(left))
	for v := range bound {
		out[v] = true
	}
	return out
}

func formatVars(vars []string) string {
	out := make([]string, len(vars))
	for i, v := range vars {
		out[i] = "?" + v
	}
	return strings.Join(out, " ")
}

func formatExprs(es []sparql.Expr) string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = formatExpr(e)
	}
	return strings.Join(out, " && ")
}

func formatTerm(t sparql.Term) string {
	switch t.Kind {
	case sparql.Var:
		return "?" + t.Value
	case sparql.IRI:
		return "<" + t.Value + ">"
	case sparql.Blank:
		return "_:" + t.Value
	case sparql.Literal:
		s := fmt.Sprintf("%q", t.Value)
		switch {
		case t.Lang != "":
			s += "@" + t.Lang
		case t.Datatype != "" && t.Datatype != "http://www.w3.org/2001/XMLSchema#string":
			s += "^^<" + t.Datatype + ">"
		}
		return s
	}
	return "?"
}

func formatTriplePattern(t sparql.TriplePattern) string {
	pred := formatTerm(t.Predicate)
	if t.Path != nil {
		pred = formatPath(t.Path)
	}
	return formatTerm(t.Subject) + " " + pred + " " + formatTerm(t.Object)
}

func formatPath(p sparql.Path) string {
	switch p := p.(type) {
	case *sparql.PathLink:
		return "<" + p.IRI + ">"
	case *sparql.PathInverse:
		return "^" + formatPath(p.Path)
	case *sparql.PathSequence:
		parts := make([]string, len(p.Steps))
		for i, s := range p.Steps {
			parts[i] = formatPath(s)
		}
		return "(" + strings.Join(parts, "/") + ")"
	case *sparql.PathAlternative:
		parts := make([]string, len(p.Choices))
		for i, s := range p.Choices {
			parts[i] = formatPath(s)
		}
		return "(" + strings.Join(parts, "|") + ")"
	case *sparql.PathRepeat:
		return formatPath(p.Path) + string(p.Op)
	case *sparql.PathNegated:
		var parts []string
		for _, iri := range p.Forward {
			parts = append(parts, "<"+iri+">")
		}
		for _, iri := range p.Inverse {
			parts = append(parts, "^<"+iri+">")
		}
		return "!(" + strings.Join(parts, "|") + ")"
	}
	return "?"
}

func formatExpr(e sparql.Expr) string {
	switch e := e.(type) {
	case *sparql.ExprTerm:
		return formatTerm(e.Term)
	case *sparql.ExprBinary:
		return "(" + formatExpr(e.Left) + " " + e.Op + " " + formatExpr(e.Right) + ")"
	case *sparql.ExprUnary:
		return e.Op + formatExpr(e.Arg)
	case *sparql.ExprIn:
		list := make([]string, len(e.List))
		for i, x := range e.List {
			list[i] = formatExpr(x)
		}
		op := " IN "
		if e.Not {
			op = " NOT IN "
		}
		return formatExpr(e.Arg) + op + "(" + strings.Join(list, ", ") + ")"
	case *sparql.ExprCall:
		args := make([]string, len(e.Args))
		for i, x := range e.Args {
			args[i] = formatExpr(x)
		}
		name := e.Name
		if name == "" {
			name = "<" + e.IRI + ">"
		}
		return name + "(" + strings.Join(args, ", ") + ")"
	case *sparql.ExprExists:
		if e.Not {
			return "NOT EXISTS {...}"
		}
		return "EXISTS {...}"
	case *sparql.ExprAggregate:
		arg := "*"
		if e.Arg != nil {
			arg = formatExpr(e.Arg)
		}
		if e.Distinct {
			arg = "DISTINCT " + arg
		}
		return e.Name + "(" + arg + ")"
	}
	return "?"
}

// sortedKeys returns m's keys in order, for deterministic output.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
