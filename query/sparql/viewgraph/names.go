package viewgraph

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/storage"
)

// blankPrefix starts the external names that denote blank nodes.
const blankPrefix = "_:"

// internal reports whether kid is a well-known entity (or no entity at
// all): KIDs below 1<<OffsetBits are never created by the log.
func internal(kid uint64) bool { return kid < 1<<storage.OffsetBits }

// EntityTerm is the RDF term of the entity kid with the external name, or
// with none when named is false (see the package documentation, Terms):
// the export and the change feed name entities exactly as queries do.
func EntityTerm(kid uint64, name string, named bool) rdf.Term { return entityTerm(kid, name, named) }

// entityTerm is the RDF term of an entity with the external name, or with
// none when named is false.
func entityTerm(kid uint64, name string, named bool) rdf.Term {
	switch {
	case !named:
		return rdf.NewBlank("b" + strconv.FormatUint(kid, 10))
	case strings.HasPrefix(name, blankPrefix):
		return rdf.NewBlank(name[len(blankPrefix):])
	}
	return rdf.NewIRI(name)
}

// unnamedKID returns the KID a blank node label "b<KID>" stands for, if
// the label has that form exactly (decimal, no leading zeros).
func unnamedKID(label string) (uint64, bool) {
	digits, ok := strings.CutPrefix(label, "b")
	if !ok {
		return 0, false
	}
	kid, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || strconv.FormatUint(kid, 10) != digits || internal(kid) {
		return 0, false
	}
	return kid, true
}

// kidsOf returns the KID of each IRI or blank node term, resolving the
// ones the cache lacks in one batch (two when a blank node could be an
// unnamed entity). Terms that denote no entity map to 0.
func (g *Graph) kidsOf(ctx context.Context, terms []rdf.Term) (map[rdf.Term]uint64, error) {
	out := map[rdf.Term]uint64{} // terms repeat: one constant per pattern of a batch
	var names []string
	byName := map[string]rdf.Term{}
	g.mu.Lock()
	for _, t := range terms {
		if kid, ok := g.kids[t]; ok {
			out[t] = kid
			continue
		}
		var name string
		switch t.Kind {
		case rdf.IRI:
			if strings.HasPrefix(t.Value, blankPrefix) {
				out[t] = 0 // that name would denote a blank node
				continue
			}
			name = t.Value
		case rdf.Blank:
			name = blankPrefix + t.Value
		default:
			g.mu.Unlock()
			return nil, fmt.Errorf("%v cannot name an entity", t)
		}
		if _, dup := byName[name]; !dup {
			byName[name] = t
			names = append(names, name)
		}
	}
	g.mu.Unlock()
	if len(names) > 0 {
		if err := g.resolveNames(ctx, names, byName, out); err != nil {
			return nil, err
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, t := range byName {
		g.kids[t] = out[t]
		if kid := out[t]; kid != 0 {
			if _, known := g.terms[kid]; !known {
				g.terms[kid] = t
			}
		}
	}
	return out, nil
}

// resolveNames sets out for the terms of names (byName), from the shared
// cache (WithNames) or the views.
func (g *Graph) resolveNames(ctx context.Context, names []string, byName map[string]rdf.Term, out map[rdf.Term]uint64) error {
	found, err := g.shared.ResolveNames(ctx, g.views, g.index, names)
	if err != nil {
		return err
	}
	// A blank node no entity is named for may be an unnamed entity; it is
	// one only if that entity really has no name.
	var unnamed []uint64
	for _, name := range names {
		t := byName[name]
		if kid, ok := found[name]; ok && !internal(kid) {
			out[t] = kid
			continue
		}
		out[t] = 0
		if kid, ok := unnamedKID(t.Value); ok && t.Kind == rdf.Blank {
			unnamed = append(unnamed, kid)
		}
	}
	if len(unnamed) > 0 {
		named, err := g.shared.ResolveKIDs(ctx, g.views, g.index, unnamed)
		if err != nil {
			return err
		}
		for _, kid := range unnamed {
			if name, ok := named[kid]; ok {
				g.remember(kid, entityTerm(kid, name, true))
			} else {
				out[entityTerm(kid, "", false)] = kid
			}
		}
	}
	return nil
}

// termsOf returns the term of every KID, from the Graph's cache or
// resolving the missing names in one batch (through the shared cache,
// WithNames) and caching them. The answer is the caller's own, so that a
// cache emptied meanwhile (WithNameCacheLimit) loses it nothing.
func (g *Graph) termsOf(ctx context.Context, kids map[uint64]bool) (map[uint64]rdf.Term, error) {
	out := make(map[uint64]rdf.Term, len(kids))
	var missing []uint64
	g.mu.Lock()
	for kid := range kids {
		if t, ok := g.terms[kid]; ok {
			out[kid] = t
		} else {
			missing = append(missing, kid)
		}
	}
	g.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	names, err := g.shared.ResolveKIDs(ctx, g.views, g.index, missing)
	if err != nil {
		return nil, err
	}
	g.trimCache(len(missing))
	for _, kid := range missing {
		name, named := names[kid]
		t := entityTerm(kid, name, named)
		out[kid] = t
		g.remember(kid, t)
	}
	return out, nil
}

// trimCache empties the cache when adding more entries would take it over
// the Graph's limit (WithNameCacheLimit); without one it does nothing.
func (g *Graph) trimCache(more int) {
	if g.cacheLimit <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.terms)+more > g.cacheLimit || len(g.kids)+more > g.cacheLimit {
		clear(g.terms)
		clear(g.kids)
	}
}

// remember caches that kid is the entity t, both ways; what is cached
// first stays.
func (g *Graph) remember(kid uint64, t rdf.Term) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.terms[kid]; !ok {
		g.terms[kid] = t
	}
	if _, ok := g.kids[t]; !ok {
		g.kids[t] = kid
	}
}

// KID returns the entity that t, an IRI or blank node this Graph has
// matched or resolved, stands for. An update uses it to write the blank
// nodes that came from the graph back to the same entities.
func (g *Graph) KID(t rdf.Term) (uint64, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	kid, ok := g.kids[t]
	return kid, ok && kid != 0
}
