package eval

import (
	"context"
	"fmt"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
)

// construct instantiates the template once per solution (section 16.2):
// template blank nodes become fresh nodes per solution, triples with an
// unbound variable or that are not valid RDF are left out, and each
// triple is emitted once.
func (e *evaluator) construct(ctx context.Context, template []sparql.TriplePattern, n node, out func(rdf.Triple) error) error {
	seen := map[string]bool{}
	return e.eval(ctx, n, nil, func(b binding) error {
		fresh := map[string]rdf.Term{}
		for _, tp := range template {
			t, ok := e.instantiate(tp, b, fresh)
			if !ok {
				continue
			}
			k := tripleKey(t)
			if seen[k] {
				continue
			}
			seen[k] = true
			if err := out(t); err != nil {
				return err
			}
		}
		return nil
	})
}

// instantiate is one template triple in solution b; fresh maps the
// template's blank node labels to this solution's new nodes.
func (e *evaluator) instantiate(tp sparql.TriplePattern, b binding, fresh map[string]rdf.Term) (rdf.Triple, bool) {
	var parts [3]rdf.Term
	for i, x := range []sparql.Term{tp.Subject, tp.Predicate, tp.Object} {
		switch x.Kind {
		case sparql.Var:
			t, ok := b[x.Value]
			if !ok {
				return rdf.Triple{}, false
			}
			parts[i] = t
		case sparql.Blank:
			t, ok := fresh[x.Value]
			if !ok {
				t = e.newBlank()
				fresh[x.Value] = t
			}
			parts[i] = t
		default:
			parts[i] = x.RDF()
		}
	}
	if tp.Path != nil || parts[0].Kind == rdf.Literal || parts[1].Kind != rdf.IRI {
		return rdf.Triple{}, false
	}
	return rdf.Triple{S: parts[0], P: parts[1], O: parts[2]}, true
}

// describe emits, for each resource described, the triples with it as
// subject and, through blank-node objects, the triples of those blank
// nodes (a simple concise bounded description).
func (e *evaluator) describe(ctx context.Context, q *sparql.Query, n node, out func(rdf.Triple) error) error {
	var resources []rdf.Term
	seen := map[string]bool{}
	add := func(t rdf.Term) {
		if t.Kind == rdf.Literal {
			return
		}
		if k := termKey(t); !seen[k] {
			seen[k] = true
			resources = append(resources, t)
		}
	}
	var vars []string
	for _, t := range q.DescribeTerms {
		if t.Kind == sparql.Var {
			vars = append(vars, t.Value)
		} else {
			add(t.RDF())
		}
	}
	if q.Star {
		vars = inScope(n)
	}
	if len(vars) > 0 && q.Where != nil {
		err := e.eval(ctx, n, nil, func(b binding) error {
			for _, v := range vars {
				if t, ok := b[v]; ok {
					add(t)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	emitted := map[string]bool{}
	for len(resources) > 0 {
		batch := resources[:min(len(resources), e.batch)]
		resources = resources[len(batch):]
		patterns := make([]Pattern, len(batch))
		for i := range batch {
			patterns[i] = Pattern{S: &batch[i]}
		}
		err := e.g.Match(ctx, patterns, func(_ int, t rdf.Triple) error {
			k := tripleKey(t)
			if emitted[k] {
				return nil
			}
			emitted[k] = true
			if t.O.Kind == rdf.Blank {
				add(t.O)
			}
			return out(t)
		})
		if err != nil {
			return fmt.Errorf("describing resources: %w", err)
		}
	}
	return nil
}
