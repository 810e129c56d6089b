package eval

import (
	"context"

	"github.com/akutan-dev/akutan/query/rdf"
)

// Pattern is a triple pattern with its variables left out: a nil term
// matches any term.
type Pattern struct {
	S, P, O *rdf.Term
}

// Estimator is what a Graph may also offer: roughly how many triples a
// pattern matches, to order the patterns of a basic graph pattern by. In
// p, nil marks a variable; bound marks those of them that an earlier
// pattern binds, so that each solution so far looks the pattern up with
// some value there: the estimate is then per solution. Without it, the
// order is a heuristic of known positions (see orderTriples).
type Estimator interface {
	Estimate(ctx context.Context, p Pattern, bound Bound) float64
}

// Bound marks the positions of a Pattern that earlier patterns fill.
type Bound struct{ S, P, O bool }

// Graph is the default graph as evaluation sees it: the facts as of one
// log index. Match is the only way evaluation reads it, so a batch of
// patterns (one per solution of an index nested loop join) becomes one
// batch of lookups per view.
type Graph interface {
	// Match calls emit for each triple matching patterns[i], with i. Terms
	// come back exactly as stored. emit is called from one goroutine at a
	// time; an error from it stops Match and is returned.
	Match(ctx context.Context, patterns []Pattern, emit func(i int, t rdf.Triple) error) error
}
