package eval

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
	"github.com/akutan-dev/akutan/query/sparql/fn"
	"github.com/akutan-dev/akutan/query/sparql/results"
)

// DefaultBatch is how many solutions one Graph.Match call carries when
// Options.Batch is zero.
const DefaultBatch = 256

// Options tune one query or update.
type Options struct {
	// Now is the value of NOW(); the zero time means time.Now() at the
	// start of the request.
	Now time.Time
	// Base is the base IRI for IRI() and relative IRIs in loaded data.
	Base string
	// Batch is the most solutions one Graph.Match call carries (the batch
	// of an index nested loop join); 0 means DefaultBatch.
	Batch int
	// Load reads the triples of LOAD <iri>; nil makes LOAD an error.
	Load func(ctx context.Context, iri string) ([]rdf.Triple, error)
}

// Output receives a query's answer: Solutions for SELECT and ASK,
// Triples for CONSTRUCT and DESCRIBE.
type Output struct {
	Solutions results.Writer
	Triples   func(rdf.Triple) error
}

// binding is one solution while it is evaluated. Hidden variables (blank
// nodes of patterns, aggregate values) may be in it; projection drops
// them.
type binding = results.Solution

type emitFn func(b binding) error

// evaluator runs the algebra of one request against one Graph.
type evaluator struct {
	g      Graph
	env    fn.Env
	batch  int
	aggs   map[*sparql.ExprAggregate]string
	exists map[*sparql.Group]*existsPlan
	// blankPrefix and blanks name the blank nodes that BNODE() and
	// CONSTRUCT templates mint, unlike any label of the graph.
	blankPrefix string
	blanks      int
}

type existsPlan struct {
	n    node
	vars []string
}

func newEvaluator(g Graph, opts Options, aggs map[*sparql.ExprAggregate]string) *evaluator {
	e := &evaluator{g: g, batch: opts.Batch, aggs: aggs, exists: map[*sparql.Group]*existsPlan{}}
	if e.batch <= 0 {
		e.batch = DefaultBatch
	}
	e.env.Now = opts.Now
	if e.env.Now.IsZero() {
		e.env.Now = time.Now()
	}
	e.env.Base = opts.Base
	e.env.Exists = e.evalExists
	var r [4]byte
	if _, err := rand.Read(r[:]); err != nil {
		// A fixed prefix still names distinct nodes within the request.
		e.blankPrefix = "n"
	} else {
		e.blankPrefix = "n" + hex.EncodeToString(r[:])
	}
	return e
}

// newBlank mints a blank node no other part of the request uses.
func (e *evaluator) newBlank() rdf.Term {
	e.blanks++
	return rdf.NewBlank(e.blankPrefix + "b" + strconv.Itoa(e.blanks))
}

// Run evaluates q against g and writes the answer to out: SELECT and ASK
// answers through out.Solutions, CONSTRUCT and DESCRIBE triples through
// out.Triples. Solutions stream: only ORDER BY (without LIMIT), GROUP BY,
// DISTINCT and the hash sides of joins hold more than a batch. FROM, FROM
// NAMED, GRAPH and SERVICE give an error wrapping ErrNotSupported.
func Run(ctx context.Context, q *sparql.Query, g Graph, out Output, opts Options) error {
	if q == nil {
		return errors.New("evaluating a query: no query")
	}
	tr := &translator{aggs: map[*sparql.ExprAggregate]string{}}
	n, err := tr.translateQuery(q)
	if err != nil {
		return fmt.Errorf("translating the query: %w", err)
	}
	if q.Base != "" {
		opts.Base = q.Base
	}
	e := newEvaluator(g, opts, tr.aggs)
	switch q.Form {
	case sparql.Select:
		if out.Solutions == nil {
			return errors.New("evaluating a SELECT query: no solutions writer")
		}
		if err := out.Solutions.Begin(resultVars(n)); err != nil {
			return fmt.Errorf("writing the result header: %w", err)
		}
		if err := e.eval(ctx, n, nil, func(b binding) error { return out.Solutions.Write(b) }); err != nil {
			return err
		}
		return out.Solutions.End()
	case sparql.Ask:
		if out.Solutions == nil {
			return errors.New("evaluating an ASK query: no solutions writer")
		}
		found, err := e.any(ctx, n, nil)
		if err != nil {
			return err
		}
		return out.Solutions.WriteBoolean(found)
	case sparql.Construct:
		if out.Triples == nil {
			return errors.New("evaluating a CONSTRUCT query: no triples callback")
		}
		return e.construct(ctx, q.Template, n, out.Triples)
	case sparql.Describe:
		if out.Triples == nil {
			return errors.New("evaluating a DESCRIBE query: no triples callback")
		}
		return e.describe(ctx, q, n, out.Triples)
	}
	return fmt.Errorf("evaluating a query: unknown form %d", q.Form)
}

// resultVars is the projection of a SELECT's algebra.
func resultVars(n node) []string {
	for {
		switch x := n.(type) {
		case *slice:
			n = x.inner
		case *distinct:
			n = x.inner
		case *reduced:
			n = x.inner
		case *project:
			return x.vars
		default:
			return inScope(n)
		}
	}
}

// stopError ends one subtree's evaluation early (LIMIT, ASK, EXISTS);
// each use has its own, so an inner LIMIT does not stop an outer loop.
type stopError struct{}

func (*stopError) Error() string { return "evaluation stopped early" }

// any reports whether n has a solution, stopping at the first.
func (e *evaluator) any(ctx context.Context, n node, seed binding) (bool, error) {
	stop := &stopError{}
	found := false
	err := e.eval(ctx, n, seed, func(binding) error { found = true; return stop })
	if err != nil && !errors.Is(err, stop) {
		return false, err
	}
	return found, nil
}

// collect evaluates n whole: for the hash sides of joins and the like.
func (e *evaluator) collect(ctx context.Context, n node, seed binding) ([]binding, error) {
	var out []binding
	err := e.eval(ctx, n, seed, func(b binding) error { out = append(out, b); return nil })
	return out, err
}

// evalBGP pushes the solutions of n to emit; filters are hints for its
// lookups from a FILTER over it (see chain).
func (e *evaluator) evalBGP(ctx context.Context, n *bgp, seed binding, filters map[string][]pushedCmp, emit emitFn) error {
	c := e.newChain(ctx, n.triples, seed, nil, func(_ int, b binding) error { return emit(b) })
	c.filters = filters
	if err := c.push(ctx, 0, tagged{b: clone(seed)}); err != nil {
		return err
	}
	return c.close(ctx)
}

// eval pushes the solutions of n to emit. seed is a solution every leaf
// starts from (nil at the top; the current solution inside EXISTS, which
// is the substitution of the specification's errata).
func (e *evaluator) eval(ctx context.Context, n node, seed binding, emit emitFn) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch n := n.(type) {
	case unit:
		return emit(clone(seed))
	case *bgp:
		return e.evalBGP(ctx, n, seed, nil, emit)
	case *join:
		return e.evalJoin(ctx, n, seed, emit)
	case *leftJoin:
		return e.evalLeftJoin(ctx, n, seed, emit)
	case *minus:
		return e.evalMinus(ctx, n, seed, emit)
	case *union:
		if err := e.eval(ctx, n.left, seed, emit); err != nil {
			return err
		}
		return e.eval(ctx, n.right, seed, emit)
	case *filter:
		keep := func(b binding) error {
			ok, err := e.test(ctx, n.exprs, b)
			if err != nil || !ok {
				return err
			}
			return emit(b)
		}
		if inner, ok := n.inner.(*bgp); ok {
			// The lookups may narrow what they find by the FILTER's
			// comparisons; the FILTER still decides.
			return e.evalBGP(ctx, inner, seed, objectFilters(n.exprs), keep)
		}
		return e.eval(ctx, n.inner, seed, keep)
	case *extend:
		return e.eval(ctx, n.inner, seed, func(b binding) error {
			if _, bound := b[n.v]; bound {
				return emit(b)
			}
			out := clone(b)
			t, err := e.evalScoped(ctx, n.expr, out, out)
			if err != nil {
				if !errors.Is(err, fn.ErrType) {
					return err
				}
				return emit(out)
			}
			out[n.v] = t
			return emit(out)
		})
	case *values:
		for _, row := range valuesRows(n.data) {
			if compatible(seed, row) {
				if err := emit(merge(seed, row)); err != nil {
					return err
				}
			}
		}
		return nil
	case *group:
		return e.evalGroup(ctx, n, seed, emit)
	case *orderBy:
		return e.evalOrderBy(ctx, n, seed, emit)
	case *project:
		inner := seed
		if len(seed) > 0 {
			inner = binding{}
			for _, v := range n.vars {
				if t, ok := seed[v]; ok {
					inner[v] = t
				}
			}
		}
		return e.eval(ctx, n.inner, inner, func(b binding) error {
			out := make(binding, len(n.vars))
			for _, v := range n.vars {
				if t, ok := b[v]; ok {
					out[v] = t
				}
			}
			return emit(out)
		})
	case *distinct:
		seen := map[string]bool{}
		return e.eval(ctx, n.inner, seed, func(b binding) error {
			k := bindingKey(b)
			if seen[k] {
				return nil
			}
			seen[k] = true
			return emit(b)
		})
	case *reduced:
		return e.eval(ctx, n.inner, seed, emit)
	case *slice:
		if n.limit == 0 {
			return nil
		}
		stop := &stopError{}
		var skipped, sent int64
		err := e.eval(ctx, n.inner, seed, func(b binding) error {
			if skipped < n.offset {
				skipped++
				return nil
			}
			if err := emit(b); err != nil {
				return err
			}
			sent++
			if n.limit >= 0 && sent >= n.limit {
				return stop
			}
			return nil
		})
		if errors.Is(err, stop) {
			return nil
		}
		return err
	}
	return fmt.Errorf("evaluating: unknown operator %T", n)
}

// binder adapts a solution to fn.Binding.
func binder(b binding) fn.Binding {
	return func(name string) (rdf.Term, bool) {
		t, ok := b[name]
		return t, ok
	}
}

// evalExpr evaluates one expression in b: aggregates read the values the
// group bound, BNODE(label) names one node per label within this call.
func (e *evaluator) evalExpr(ctx context.Context, x sparql.Expr, b binding) (rdf.Term, error) {
	return e.evalScoped(ctx, x, b, nil)
}

// blankLabelVar is the hidden variable that remembers which node
// BNODE(label) made in a solution, so that every expression of the
// solution (SELECT expressions, BINDs) gets the same one.
func blankLabelVar(label string) string { return "\x00bnode:" + label }

// evalScoped is evalExpr where scope, when not nil, is the solution being
// built, which keeps the nodes BNODE(label) makes.
func (e *evaluator) evalScoped(ctx context.Context, x sparql.Expr, b, scope binding) (rdf.Term, error) {
	env := e.env
	env.Aggregate = func(a *sparql.ExprAggregate) (rdf.Term, error) {
		if t, ok := b[e.aggs[a]]; ok {
			return t, nil
		}
		return rdf.Term{}, fmt.Errorf("aggregate %s has no value: %w", formatExpr(a), fn.ErrType)
	}
	var labels map[string]rdf.Term
	env.NewBlank = func(label string) rdf.Term {
		if label == "" {
			return e.newBlank()
		}
		if scope != nil {
			if t, ok := scope[blankLabelVar(label)]; ok {
				return t
			}
			t := e.newBlank()
			scope[blankLabelVar(label)] = t
			return t
		}
		if t, ok := labels[label]; ok {
			return t
		}
		if labels == nil {
			labels = map[string]rdf.Term{}
		}
		t := e.newBlank()
		labels[label] = t
		return t
	}
	return fn.Eval(ctx, x, binder(b), &env)
}

// test is a FILTER: every expression's effective boolean value is true.
// An expression error counts as false; any other error stops the query.
func (e *evaluator) test(ctx context.Context, exprs []sparql.Expr, b binding) (bool, error) {
	for _, x := range exprs {
		t, err := e.evalExpr(ctx, x, b)
		if err != nil {
			if errors.Is(err, fn.ErrType) {
				return false, nil
			}
			return false, err
		}
		ok, err := fn.EBV(t)
		if err != nil || !ok {
			return false, nil
		}
	}
	return true, nil
}

// evalExists is fn.Env.Exists: whether group has a solution once the
// variables that b binds are substituted in it.
func (e *evaluator) evalExists(ctx context.Context, g *sparql.Group, b fn.Binding) (bool, error) {
	plan, ok := e.exists[g]
	if !ok {
		tr := &translator{aggs: e.aggs}
		n, err := tr.translateGroup(g)
		if err != nil {
			return false, fmt.Errorf("translating EXISTS: %w", err)
		}
		plan = &existsPlan{n: n, vars: groupVars(g)}
		e.exists[g] = plan
	}
	seed := binding{}
	for _, v := range plan.vars {
		if t, ok := b(v); ok {
			seed[v] = t
		}
	}
	return e.any(ctx, plan.n, seed)
}

// groupVars lists the variables written anywhere in g.
func groupVars(g *sparql.Group) []string {
	seen := map[string]bool{}
	var walkGroup func(g *sparql.Group)
	var walkExpr func(x sparql.Expr)
	term := func(t sparql.Term) {
		if t.Kind == sparql.Var {
			seen[t.Value] = true
		}
	}
	walkExpr = func(x sparql.Expr) {
		switch x := x.(type) {
		case *sparql.ExprTerm:
			term(x.Term)
		case *sparql.ExprBinary:
			walkExpr(x.Left)
			walkExpr(x.Right)
		case *sparql.ExprUnary:
			walkExpr(x.Arg)
		case *sparql.ExprIn:
			walkExpr(x.Arg)
			for _, y := range x.List {
				walkExpr(y)
			}
		case *sparql.ExprCall:
			for _, y := range x.Args {
				walkExpr(y)
			}
		case *sparql.ExprExists:
			walkGroup(x.Group)
		case *sparql.ExprAggregate:
			if x.Arg != nil {
				walkExpr(x.Arg)
			}
		}
	}
	walkGroup = func(g *sparql.Group) {
		for _, el := range g.Elements {
			switch el := el.(type) {
			case *sparql.BGP:
				for _, t := range el.Triples {
					term(t.Subject)
					term(t.Predicate)
					term(t.Object)
				}
			case *sparql.Group:
				walkGroup(el)
			case *sparql.Optional:
				walkGroup(el.Group)
			case *sparql.Minus:
				walkGroup(el.Group)
			case *sparql.Union:
				for _, a := range el.Alternatives {
					walkGroup(a)
				}
			case *sparql.Filter:
				walkExpr(el.Expr)
			case *sparql.Bind:
				walkExpr(el.Expr)
				seen[el.Var] = true
			case *sparql.Values:
				for _, v := range el.Vars {
					seen[v] = true
				}
			case *sparql.SubQuery:
				for _, p := range el.Query.Projection {
					seen[p.Var] = true
				}
				if el.Query.Star && el.Query.Where != nil {
					walkGroup(el.Query.Where)
				}
			}
		}
	}
	walkGroup(g)
	return sortedKeys(seen)
}

func clone(b binding) binding {
	out := make(binding, len(b)+2)
	for k, v := range b {
		out[k] = v
	}
	return out
}

// compatible reports whether a and b agree on every variable both bind.
func compatible(a, b binding) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	for k, v := range a {
		if w, ok := b[k]; ok && w != v {
			return false
		}
	}
	return true
}

func merge(a, b binding) binding {
	out := clone(a)
	for k, v := range b {
		out[k] = v
	}
	return out
}

// sharesVar reports whether a and b bind a common variable (MINUS).
func sharesVar(a, b binding) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	for k := range a {
		if _, ok := b[k]; ok && !hidden(k) {
			return true
		}
	}
	return false
}

// bindingKey encodes a solution so that equal solutions, and only they,
// have equal keys.
func bindingKey(b binding) string {
	keys := make([]string, 0, len(b))
	for k := range b {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var sb strings.Builder
	for _, k := range keys {
		sb.WriteString(k)
		sb.WriteByte(0)
		writeTermKey(&sb, b[k])
	}
	return sb.String()
}

func writeTermKey(sb *strings.Builder, t rdf.Term) {
	sb.WriteByte(byte('0' + t.Kind))
	sb.WriteString(strconv.Itoa(len(t.Value)))
	sb.WriteByte(':')
	sb.WriteString(t.Value)
	sb.WriteByte(0)
	sb.WriteString(t.Datatype)
	sb.WriteByte(0)
	sb.WriteString(t.Lang)
	sb.WriteByte(1)
}

func termKey(t rdf.Term) string {
	var sb strings.Builder
	writeTermKey(&sb, t)
	return sb.String()
}

func tripleKey(t rdf.Triple) string {
	var sb strings.Builder
	writeTermKey(&sb, t.S)
	writeTermKey(&sb, t.P)
	writeTermKey(&sb, t.O)
	return sb.String()
}

// valuesRows turns a VALUES block into solutions (UNDEF left unbound).
func valuesRows(v *sparql.Values) []binding {
	out := make([]binding, 0, len(v.Rows))
	for _, row := range v.Rows {
		b := binding{}
		for i, t := range row {
			if t != nil && i < len(v.Vars) {
				b[v.Vars[i]] = t.RDF()
			}
		}
		out = append(out, b)
	}
	return out
}
