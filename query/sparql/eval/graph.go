package eval

import (
	"context"

	"github.com/akutan-dev/akutan/query/rdf"
)

// Pattern is a triple pattern with its variables left out: a nil term
// matches any term.
//
// ObjectFilter is a hint, set only when O is nil: the comparisons a FILTER
// over the pattern's BGP makes of the object's variable with a constant.
// Evaluation keeps a match only if its object satisfies every one of them
// (and always applies the FILTER itself), so a Graph may return just the
// triples whose object can, or ignore the hint, or use only the
// comparisons it understands; it must never leave out a triple whose
// object satisfies them all under SPARQL's operators (package fn).
type Pattern struct {
	S, P, O      *rdf.Term
	ObjectFilter []Comparison
}

// Comparison is one conjunct of a FILTER, "object Op Value": Op is "<",
// "<=", ">", ">=" or "=", and Value is a literal.
type Comparison struct {
	Op    string
	Value rdf.Term
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

// Preparer is what an Estimator may also be: Prepare is called with the
// constant terms of a BGP's patterns (variables nil) before they are
// estimated, so that the graph can look up everything they name at once
// rather than one pattern at a time (a viewgraph.Graph resolves names
// with a round trip to the views per call).
type Preparer interface {
	Prepare(ctx context.Context, patterns []Pattern)
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

// Namer is what a Graph may also be: one that can match without naming
// the entities it finds, so that a BGP names only the entities of its
// solutions, not those of every step on the way (naming an entity may
// cost a lookup of its own).
type Namer interface {
	// MatchUnnamed is Match, except that an entity at a position a
	// pattern leaves open may come back as a stand-in: a term of no RDF
	// kind that denotes the entity to this Graph, in the patterns of
	// later calls too. A position a pattern fixes comes back as the
	// pattern's own term.
	MatchUnnamed(ctx context.Context, patterns []Pattern, emit func(i int, t rdf.Triple) error) error
	// StandIns returns terms with each IRI or blank node that denotes an
	// entity replaced by its stand-in; other terms are left as they are.
	StandIns(ctx context.Context, terms []rdf.Term) ([]rdf.Term, error)
	// Name returns terms with each stand-in replaced by the term of its
	// entity; other terms are left as they are.
	Name(ctx context.Context, terms []rdf.Term) ([]rdf.Term, error)
}

// Memo is what a Graph may also offer: a place to keep the evaluator's
// decisions about the data it serves, for later queries over the same
// data, which then skip making them again. The only decision kept is
// whether a check moved to the end of its BGP (deferstep.go), which
// costs a sample's round of lookups to make and changes no answer, only
// what the answer costs.
type Memo interface {
	Recall(key string) (value, ok bool)
	Remember(key string, value bool)
}
