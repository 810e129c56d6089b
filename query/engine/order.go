package engine

import "fmt"

// order chooses the execution order: required fact patterns greedily, most
// selective lookup first given what is already bound; each operator as soon
// as its variables are bound; optional patterns last, in query order.
func order(patterns []*pattern, nvars int) ([]*pattern, error) {
	bound := make([]bool, nvars)
	var required, optional, ops []*pattern
	for _, p := range patterns {
		switch {
		case p.Op != 0:
			ops = append(ops, p)
		case p.Optional:
			optional = append(optional, p)
		default:
			required = append(required, p)
		}
	}
	var steps []*pattern
	place := func(p *pattern) {
		steps = append(steps, p)
		for _, t := range []term{p.ID, p.S, p.P, p.O} {
			if t.isVar() {
				bound[t.Var] = true
			}
		}
	}
	placeReadyOps := func(final bool) {
		var rest []*pattern
		for _, op := range ops {
			if opReady(op, bound) || (final && op.Op != 0 && bindsBySet(op, bound)) {
				place(op)
			} else {
				rest = append(rest, op)
			}
		}
		ops = rest
	}
	for len(required) > 0 {
		placeReadyOps(false)
		best := 0
		for i, p := range required {
			if score(p, bound) > score(required[best], bound) {
				best = i
			}
		}
		place(required[best])
		required = append(required[:best], required[best+1:]...)
	}
	placeReadyOps(true)
	for _, p := range optional {
		place(p)
	}
	placeReadyOps(true)
	if len(ops) > 0 {
		return nil, fmt.Errorf("%s: the comparison's variable is not bound by any fact pattern", ops[0].pos)
	}
	return steps, nil
}

func known(t term, bound []bool) bool { return !t.isVar() || bound[t.Var] }

// opReady reports whether every variable an operator reads is bound.
func opReady(p *pattern, bound []bool) bool {
	return known(p.S, bound) && (p.Set != nil || known(p.O, bound))
}

// bindsBySet reports whether an <in> pattern can enumerate its set to bind
// a variable nothing else binds.
func bindsBySet(p *pattern, bound []bool) bool { return p.Set != nil && p.S.isVar() && !bound[p.S.Var] }

// score ranks fact patterns by the lookup they allow: higher is narrower.
func score(p *pattern, bound []bool) int {
	s, pr, o := known(p.S, bound), known(p.P, bound), known(p.O, bound)
	switch {
	case p.missing:
		return 100 // matches nothing: run it first and stop early
	case s && pr && o:
		return 10
	case s && pr:
		return 8
	case pr && o:
		return 7
	case s:
		return 5
	case pr:
		return 2
	}
	return 0
}
