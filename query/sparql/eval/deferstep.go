package eval

import (
	"context"
	"fmt"
	"slices"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
)

// A check is a step whose every variable the solutions reaching it bind:
// it binds nothing, it only keeps the solutions whose triple exists, one
// lookup per distinct value. The estimates cannot say how many it keeps
// (a Graph estimates a fully bound pattern at one match), so the order
// puts it where its variables are bound, as early as it can. Where it
// keeps most solutions and later steps drop most, that wastes its
// lookups: LUBM's Q2 checks that each of 297 alumni is a graduate
// student (238 are), then finds their departments, and only 28 of those
// belong to the university they graduated from.
//
// So when a check first runs on a batch of enough solutions, as a lookup
// per solution (not as an open step, whose lookups do not grow with the
// solutions), it first runs on a sample of them. If the sample keeps at
// least deferKeep of its solutions and the estimates say the steps after
// it make no more solutions than they get (deferFanOut), the check moves
// to the end of the chain: it then looks up only the solutions that the
// other steps keep. Moving a step that binds nothing changes no answer;
// it moves only on its first flush, when no solution has gone past it
// yet. A Graph that is a Memo keeps the decision for the next run of the
// same BGP at its index, which then moves the check, or not, without a
// sample.

const (
	// deferSample is how many distinct lookups of a check its sample
	// makes.
	deferSample = 16
	// deferMinSolutions is the fewest solutions a batch must bring a
	// check for it to be sampled (unless the batches are smaller).
	deferMinSolutions = 64
	// deferKeep is the share of its sample a check must keep to move.
	deferKeep = 0.75
	// deferFanOut bounds the solutions per solution that the steps after
	// a check may be estimated to make for it to move past them: each
	// solution it would have dropped then costs them at most that many.
	deferFanOut = 1.5
)

// deferCheck moves step k to the end of the chain if it is a check that
// keeps most of a sample of buf and the steps after it do not fan out,
// and reports whether it did. It decides on the step's first flush only
// (first), when no solution has gone past it yet.
func (c *chain) deferCheck(ctx context.Context, k int, buf []tagged, first bool) (bool, error) {
	if !first {
		return false, nil
	}
	cost := c.e.estimate(ctx)
	step := c.steps[k]
	if cost == nil || k == len(c.steps)-1 || step.Path != nil || len(buf) < min(deferMinSolutions, c.e.batch) {
		return false, nil
	}
	vars := stepVars(step)
	for _, in := range buf {
		for _, v := range vars {
			if _, ok := in.b[v]; !ok {
				return false, nil // not a check for every solution
			}
		}
	}
	bound := map[string]bool{}
	for v := range buf[0].b {
		bound[v] = true
	}
	later := c.steps[k+1:]
	if slices.ContainsFunc(later, func(s sparql.TriplePattern) bool { return s.Path != nil }) {
		return false, nil // a path's fan-out is not estimated
	}
	fanOut := 1.0
	for _, s := range later {
		fanOut *= cost(s, bound)
		for _, v := range stepVars(s) {
			bound[v] = true
		}
	}
	if fanOut > deferFanOut {
		return false, nil
	}
	key := fmt.Sprintf("defer %d of %v", k, c.steps)
	memo, _ := c.e.g.(Memo)
	move, known := false, false
	if memo != nil {
		move, known = memo.Recall(key)
	}
	if !known {
		kept, sampled, err := c.sampleCheck(ctx, step, buf)
		if err != nil {
			return false, err
		}
		move = sampled > 0 && float64(kept) >= deferKeep*float64(sampled)
		if memo != nil {
			memo.Remember(key, move)
		}
	}
	if !move {
		return false, nil
	}
	steps := slices.Clone(c.steps) // the order may be shared
	copy(steps[k:], steps[k+1:])
	steps[len(steps)-1] = step
	copy(c.settled[k:], c.settled[k+1:])
	c.settled[len(c.settled)-1] = true
	c.steps = steps
	return true, nil
}

// sampleCheck looks up the first deferSample distinct lookups of step for
// buf and returns how many found their triple.
func (c *chain) sampleCheck(ctx context.Context, step sparql.TriplePattern, buf []tagged) (kept, sampled int, err error) {
	seen := map[[3]rdf.Term]bool{}
	var patterns []Pattern
	for _, in := range buf {
		p := substituted(step, in.b)
		key := [3]rdf.Term{*p.S, *p.P, *p.O}
		if seen[key] {
			continue
		}
		seen[key] = true
		patterns = append(patterns, p)
		if len(patterns) == deferSample {
			break
		}
	}
	found := make([]bool, len(patterns))
	err = c.match(ctx, patterns, func(i int, t rdf.Triple) error {
		if i >= 0 && i < len(found) {
			found[i] = true
		}
		return nil
	})
	for _, f := range found {
		if f {
			kept++
		}
	}
	return kept, len(patterns), err
}
