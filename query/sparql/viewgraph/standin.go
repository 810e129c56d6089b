package viewgraph

import (
	"context"
	"fmt"
	"strconv"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql/eval"
	"github.com/akutan-dev/akutan/storage"
)

var _ eval.Namer = (*Graph)(nil)

// standInKind is the kind of a stand-in: a term that denotes an entity by
// its KID (Value, in decimal) to this Graph only. It is no RDF kind, so a
// stand-in that escaped evaluation would fail loudly in any writer rather
// than pass for an IRI.
const standInKind rdf.Kind = 0xff

func standIn(kid uint64) rdf.Term {
	return rdf.Term{Kind: standInKind, Value: strconv.FormatUint(kid, 10)}
}

// standInKID returns the KID t stands for, if t is a stand-in.
func standInKID(t rdf.Term) (uint64, bool) {
	if t.Kind != standInKind {
		return 0, false
	}
	kid, err := strconv.ParseUint(t.Value, 10, 64)
	return kid, err == nil && kid != 0
}

// MatchUnnamed implements eval.Namer: Match without naming the entities
// it finds. An entity at a position the pattern leaves open comes back as
// a stand-in; a position the pattern fixes comes back as the pattern's own
// term (the stored one, since a pattern matches exact terms).
func (g *Graph) MatchUnnamed(ctx context.Context, patterns []eval.Pattern, emit func(i int, t rdf.Triple) error) error {
	return g.match(ctx, patterns, func(hits []hit) error {
		for _, h := range hits {
			p := patterns[h.pattern]
			t := rdf.Triple{S: fixedOr(p.S, h.f.Subject), P: fixedOr(p.P, h.f.Predicate)}
			switch {
			case p.O != nil:
				t.O = *p.O
			case h.f.Object.Kind == storage.KindEntity:
				t.O = standIn(h.f.Object.Entity)
			default:
				t.O = rdf.ObjectTerm(h.f.Object)
			}
			if err := emit(h.pattern, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// fixedOr is the pattern's term at a position it fixes, else the
// stand-in of the entity found there (made only then: most steps of a
// join fix the subject and predicate of every match).
func fixedOr(fixed *rdf.Term, found uint64) rdf.Term {
	if fixed != nil {
		return *fixed
	}
	return standIn(found)
}

// StandIns implements eval.Namer: the IRIs and blank nodes among terms
// that denote entities become their stand-ins, resolved in one batch.
func (g *Graph) StandIns(ctx context.Context, terms []rdf.Term) ([]rdf.Term, error) {
	var entities []rdf.Term
	for _, t := range terms {
		if t.Kind == rdf.IRI || t.Kind == rdf.Blank {
			entities = append(entities, t)
		}
	}
	if len(entities) == 0 {
		return terms, nil
	}
	kids, err := g.kidsOf(ctx, entities)
	if err != nil {
		return nil, fmt.Errorf("resolving %d IRIs and blank nodes: %w", len(entities), err)
	}
	return replaced(terms, func(t rdf.Term) (rdf.Term, bool) {
		kid := kids[t]
		return standIn(kid), kid != 0 && (t.Kind == rdf.IRI || t.Kind == rdf.Blank)
	}), nil
}

// Name implements eval.Namer: the stand-ins among terms become the terms
// of their entities, named in one batch (through the Graph's cache).
func (g *Graph) Name(ctx context.Context, terms []rdf.Term) ([]rdf.Term, error) {
	kids := map[uint64]bool{}
	for _, t := range terms {
		if kid, ok := standInKID(t); ok {
			kids[kid] = true
		}
	}
	if len(kids) == 0 {
		return terms, nil
	}
	named, err := g.termsOf(ctx, kids)
	if err != nil {
		return nil, fmt.Errorf("naming %d entities: %w", len(kids), err)
	}
	return replaced(terms, func(t rdf.Term) (rdf.Term, bool) {
		kid, ok := standInKID(t)
		return named[kid], ok
	}), nil
}

// replaced returns a copy of terms with each term that by gives a
// replacement for replaced by it.
func replaced(terms []rdf.Term, by func(rdf.Term) (rdf.Term, bool)) []rdf.Term {
	out := make([]rdf.Term, len(terms))
	for i, t := range terms {
		out[i] = t
		if r, ok := by(t); ok {
			out[i] = r
		}
	}
	return out
}
