package eval

import (
	"context"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
)

// Property paths (section 18.4). pathFrom walks a path forward from many
// start nodes at once, so each step of a link is one batched Graph.Match;
// an end bound and a start free walks the inverse path from the end.
// Links, sequences and alternatives keep duplicates (they are joins and
// unions); ?, * and + give each reachable node once (node-set semantics)
// and stop on cycles because a node is visited once per start.

// inversePath is ^p pushed down to the links.
func inversePath(p sparql.Path) sparql.Path {
	switch p := p.(type) {
	case *sparql.PathLink:
		return &sparql.PathInverse{Path: p}
	case *sparql.PathInverse:
		return p.Path
	case *sparql.PathSequence:
		steps := make([]sparql.Path, len(p.Steps))
		for i, s := range p.Steps {
			steps[len(steps)-1-i] = inversePath(s)
		}
		return &sparql.PathSequence{Steps: steps}
	case *sparql.PathAlternative:
		choices := make([]sparql.Path, len(p.Choices))
		for i, c := range p.Choices {
			choices[i] = inversePath(c)
		}
		return &sparql.PathAlternative{Choices: choices}
	case *sparql.PathRepeat:
		return &sparql.PathRepeat{Path: inversePath(p.Path), Op: p.Op}
	case *sparql.PathNegated:
		return &sparql.PathNegated{Forward: p.Inverse, Inverse: p.Forward}
	}
	return p
}

// pathFrom calls emit(i, end) for each end of path p from starts[i].
func (e *evaluator) pathFrom(ctx context.Context, p sparql.Path, starts []rdf.Term, emit func(i int, end rdf.Term) error) error {
	if len(starts) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(starts) > e.batch {
		for lo := 0; lo < len(starts); lo += e.batch {
			hi := min(lo+e.batch, len(starts))
			err := e.pathFrom(ctx, p, starts[lo:hi], func(i int, end rdf.Term) error { return emit(lo+i, end) })
			if err != nil {
				return err
			}
		}
		return nil
	}
	switch p := p.(type) {
	case *sparql.PathLink:
		pred := rdf.NewIRI(p.IRI)
		patterns := make([]Pattern, len(starts))
		for i := range starts {
			patterns[i] = Pattern{S: &starts[i], P: &pred}
		}
		return e.g.Match(ctx, patterns, func(i int, t rdf.Triple) error { return emit(i, t.O) })
	case *sparql.PathInverse:
		if link, ok := p.Path.(*sparql.PathLink); ok {
			pred := rdf.NewIRI(link.IRI)
			patterns := make([]Pattern, len(starts))
			for i := range starts {
				patterns[i] = Pattern{P: &pred, O: &starts[i]}
			}
			return e.g.Match(ctx, patterns, func(i int, t rdf.Triple) error { return emit(i, t.S) })
		}
		return e.pathFrom(ctx, inversePath(p.Path), starts, emit)
	case *sparql.PathSequence:
		if len(p.Steps) == 0 {
			for i, s := range starts {
				if err := emit(i, s); err != nil {
					return err
				}
			}
			return nil
		}
		type mid struct {
			origin int
			node   rdf.Term
		}
		var mids []mid
		err := e.pathFrom(ctx, p.Steps[0], starts, func(i int, end rdf.Term) error {
			mids = append(mids, mid{i, end})
			return nil
		})
		if err != nil {
			return err
		}
		nodes := make([]rdf.Term, len(mids))
		for i, m := range mids {
			nodes[i] = m.node
		}
		rest := &sparql.PathSequence{Steps: p.Steps[1:]}
		return e.pathFrom(ctx, rest, nodes, func(i int, end rdf.Term) error { return emit(mids[i].origin, end) })
	case *sparql.PathAlternative:
		for _, c := range p.Choices {
			if err := e.pathFrom(ctx, c, starts, emit); err != nil {
				return err
			}
		}
		return nil
	case *sparql.PathNegated:
		return e.negatedFrom(ctx, p, starts, emit)
	case *sparql.PathRepeat:
		return e.repeatFrom(ctx, p, starts, emit)
	}
	return nil
}

// negatedFrom is !(a|^b): forward triples whose predicate is not listed
// forward, and, when inverse IRIs are listed, inverse triples whose
// predicate is not listed inverse.
func (e *evaluator) negatedFrom(ctx context.Context, p *sparql.PathNegated, starts []rdf.Term, emit func(int, rdf.Term) error) error {
	excluded := func(list []string, pred rdf.Term) bool {
		for _, iri := range list {
			if pred.Kind == rdf.IRI && pred.Value == iri {
				return true
			}
		}
		return false
	}
	if len(p.Forward) > 0 || len(p.Inverse) == 0 {
		patterns := make([]Pattern, len(starts))
		for i := range starts {
			patterns[i] = Pattern{S: &starts[i]}
		}
		err := e.g.Match(ctx, patterns, func(i int, t rdf.Triple) error {
			if excluded(p.Forward, t.P) {
				return nil
			}
			return emit(i, t.O)
		})
		if err != nil {
			return err
		}
	}
	if len(p.Inverse) > 0 {
		patterns := make([]Pattern, len(starts))
		for i := range starts {
			patterns[i] = Pattern{O: &starts[i]}
		}
		return e.g.Match(ctx, patterns, func(i int, t rdf.Triple) error {
			if excluded(p.Inverse, t.P) {
				return nil
			}
			return emit(i, t.S)
		})
	}
	return nil
}

// repeatFrom is p?, p* and p+: a breadth-first walk per start, one batch
// of lookups per level for all starts together, each node reported once
// per start.
func (e *evaluator) repeatFrom(ctx context.Context, p *sparql.PathRepeat, starts []rdf.Term, emit func(int, rdf.Term) error) error {
	visited := make([]map[string]bool, len(starts))
	type item struct {
		origin int
		node   rdf.Term
	}
	var frontier []item
	for i, s := range starts {
		visited[i] = map[string]bool{}
		if p.Op != '+' {
			visited[i][termKey(s)] = true
			if err := emit(i, s); err != nil {
				return err
			}
		}
		frontier = append(frontier, item{i, s})
	}
	for len(frontier) > 0 {
		nodes := make([]rdf.Term, len(frontier))
		for i, it := range frontier {
			nodes[i] = it.node
		}
		var next []item
		err := e.pathFrom(ctx, p.Path, nodes, func(i int, end rdf.Term) error {
			origin := frontier[i].origin
			k := termKey(end)
			if visited[origin][k] {
				return nil
			}
			visited[origin][k] = true
			next = append(next, item{origin, end})
			return emit(origin, end)
		})
		if err != nil {
			return err
		}
		if p.Op == '?' {
			return nil
		}
		frontier = next
	}
	return nil
}

// allNodes lists every subject and object of the graph once: the start
// nodes of a path whose both ends are free.
func (e *evaluator) allNodes(ctx context.Context) ([]rdf.Term, error) {
	seen := map[string]bool{}
	var out []rdf.Term
	err := e.g.Match(ctx, []Pattern{{}}, func(_ int, t rdf.Triple) error {
		for _, x := range []rdf.Term{t.S, t.O} {
			if k := termKey(x); !seen[k] {
				seen[k] = true
				out = append(out, x)
			}
		}
		return nil
	})
	return out, err
}

// pathStarts lists the start nodes worth trying for p when both ends are
// free: every node when p can be of length zero, else the subjects of
// p's first steps.
func (e *evaluator) pathStarts(ctx context.Context, p sparql.Path) ([]rdf.Term, error) {
	switch p := p.(type) {
	case *sparql.PathLink:
		return e.distinctPosition(ctx, Pattern{P: termPtr(rdf.NewIRI(p.IRI))}, true)
	case *sparql.PathInverse:
		if link, ok := p.Path.(*sparql.PathLink); ok {
			return e.distinctPosition(ctx, Pattern{P: termPtr(rdf.NewIRI(link.IRI))}, false)
		}
		return e.pathStarts(ctx, inversePath(p.Path))
	case *sparql.PathSequence:
		if len(p.Steps) > 0 {
			if _, ok := p.Steps[0].(*sparql.PathRepeat); !ok {
				return e.pathStarts(ctx, p.Steps[0])
			}
		}
	case *sparql.PathRepeat:
		if p.Op == '+' {
			return e.pathStarts(ctx, p.Path)
		}
	}
	return e.allNodes(ctx)
}

func (e *evaluator) distinctPosition(ctx context.Context, pat Pattern, subject bool) ([]rdf.Term, error) {
	seen := map[string]bool{}
	var out []rdf.Term
	err := e.g.Match(ctx, []Pattern{pat}, func(_ int, t rdf.Triple) error {
		x := t.O
		if subject {
			x = t.S
		}
		if k := termKey(x); !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
		return nil
	})
	return out, err
}

func termPtr(t rdf.Term) *rdf.Term { return &t }

// pathStep joins a batch of solutions with one path pattern.
func (e *evaluator) pathStep(ctx context.Context, tp sparql.TriplePattern, buf []tagged, next func(tagged) error) error {
	sVar, sIsVar := patternVar(tp.Subject)
	oVar, oIsVar := patternVar(tp.Object)
	bindEnd := func(in tagged, v string, isVar bool, want *rdf.Term, got rdf.Term) (binding, bool) {
		if want != nil {
			return in.b, *want == got
		}
		if !isVar {
			return in.b, true
		}
		b := clone(in.b)
		b[v] = got
		return b, true
	}
	var fromSubject, fromObject, free []int
	for i, in := range buf {
		switch {
		case substitute(tp.Subject, in.b) != nil:
			fromSubject = append(fromSubject, i)
		case substitute(tp.Object, in.b) != nil:
			fromObject = append(fromObject, i)
		default:
			free = append(free, i)
		}
	}
	if len(fromSubject) > 0 {
		starts := make([]rdf.Term, len(fromSubject))
		for j, i := range fromSubject {
			starts[j] = *substitute(tp.Subject, buf[i].b)
		}
		if sIsVar {
			var err error
			if fromSubject, starts, err = e.graphNodesOnly(ctx, tp.Path, fromSubject, starts); err != nil {
				return err
			}
		}
		err := e.pathFrom(ctx, tp.Path, starts, func(j int, end rdf.Term) error {
			in := buf[fromSubject[j]]
			b, ok := bindEnd(in, oVar, oIsVar, substitute(tp.Object, in.b), end)
			if !ok {
				return nil
			}
			return next(tagged{tag: in.tag, b: b})
		})
		if err != nil {
			return err
		}
	}
	if len(fromObject) > 0 {
		starts := make([]rdf.Term, len(fromObject))
		for j, i := range fromObject {
			starts[j] = *substitute(tp.Object, buf[i].b)
		}
		if oIsVar {
			var err error
			if fromObject, starts, err = e.graphNodesOnly(ctx, tp.Path, fromObject, starts); err != nil {
				return err
			}
		}
		err := e.pathFrom(ctx, inversePath(tp.Path), starts, func(j int, end rdf.Term) error {
			in := buf[fromObject[j]]
			b, ok := bindEnd(in, sVar, sIsVar, nil, end)
			if !ok {
				return nil
			}
			return next(tagged{tag: in.tag, b: b})
		})
		if err != nil {
			return err
		}
	}
	if len(free) == 0 {
		return nil
	}
	starts, err := e.pathStarts(ctx, tp.Path)
	if err != nil {
		return err
	}
	return e.pathFrom(ctx, tp.Path, starts, func(j int, end rdf.Term) error {
		for _, i := range free {
			in := buf[i]
			b := clone(in.b)
			b[sVar] = starts[j]
			if sVar == oVar {
				if starts[j] != end {
					continue
				}
			} else {
				b[oVar] = end
			}
			if err := next(tagged{tag: in.tag, b: b}); err != nil {
				return err
			}
		}
		return nil
	})
}

// canBeEmpty reports whether p matches paths of length zero.
func canBeEmpty(p sparql.Path) bool {
	switch p := p.(type) {
	case *sparql.PathRepeat:
		return p.Op != '+' || canBeEmpty(p.Path)
	case *sparql.PathInverse:
		return canBeEmpty(p.Path)
	case *sparql.PathSequence:
		for _, s := range p.Steps {
			if !canBeEmpty(s) {
				return false
			}
		}
		return true
	case *sparql.PathAlternative:
		for _, c := range p.Choices {
			if canBeEmpty(c) {
				return true
			}
		}
	}
	return false
}

// graphNodesOnly drops the starts that are not nodes of the graph when p
// can be of length zero. A variable's value comes from elsewhere in the
// query, and the zero-length path of section 18.4 relates graph nodes
// only (a constant written in the pattern is the exception, and is not
// filtered). A start that is no node has no longer path either.
func (e *evaluator) graphNodesOnly(ctx context.Context, p sparql.Path, idx []int, starts []rdf.Term) ([]int, []rdf.Term, error) {
	if !canBeEmpty(p) {
		return idx, starts, nil
	}
	isNode := make([]bool, len(starts))
	for lo := 0; lo < len(starts); lo += e.batch {
		hi := min(lo+e.batch, len(starts))
		patterns := make([]Pattern, 0, 2*(hi-lo))
		for i := lo; i < hi; i++ {
			patterns = append(patterns, Pattern{S: &starts[i]}, Pattern{O: &starts[i]})
		}
		err := e.g.Match(ctx, patterns, func(j int, _ rdf.Triple) error {
			isNode[lo+j/2] = true
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	var outIdx []int
	var outStarts []rdf.Term
	for j, ok := range isNode {
		if ok {
			outIdx = append(outIdx, idx[j])
			outStarts = append(outStarts, starts[j])
		}
	}
	return outIdx, outStarts, nil
}
