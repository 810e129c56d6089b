package eval

import (
	"context"
	"errors"
	"fmt"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
)

// Changes is the net effect of an update request on the default graph:
// triples of the base graph to delete and triples it lacks to insert.
// NewBlanks holds the labels of blank nodes the request minted (INSERT
// DATA, INSERT templates, LOAD), which the caller allocates for real, as
// opposed to blank nodes that came from the graph.
type Changes struct {
	Delete, Insert []rdf.Triple
	NewBlanks      map[string]bool
}

// Overlay is a Graph that shows a base graph with pending changes: the
// operations of one update request see each other's effects through it
// before anything is applied.
type Overlay struct {
	base    Graph
	inserts *MemGraph
	deletes *MemGraph
}

// NewOverlay returns an overlay of base with no changes.
func NewOverlay(base Graph) *Overlay {
	return &Overlay{base: base, inserts: NewMemGraph(nil), deletes: NewMemGraph(nil)}
}

// Match implements Graph: base triples not deleted, then inserted ones
// (which the base never has).
func (o *Overlay) Match(ctx context.Context, patterns []Pattern, emit func(i int, t rdf.Triple) error) error {
	if o.deletes.Len() == 0 {
		if err := o.base.Match(ctx, patterns, emit); err != nil {
			return err
		}
	} else {
		deleted := func(t rdf.Triple) bool { return len(o.deletes.matches(groundPattern(t))) > 0 }
		err := o.base.Match(ctx, patterns, func(i int, t rdf.Triple) error {
			if deleted(t) {
				return nil
			}
			return emit(i, t)
		})
		if err != nil {
			return err
		}
	}
	return o.inserts.Match(ctx, patterns, emit)
}

func groundPattern(t rdf.Triple) Pattern { return Pattern{S: &t.S, P: &t.P, O: &t.O} }

// inBase reports which of triples the base graph holds.
func (o *Overlay) inBase(ctx context.Context, triples []rdf.Triple) ([]bool, error) {
	out := make([]bool, len(triples))
	for lo := 0; lo < len(triples); lo += DefaultBatch {
		hi := min(lo+DefaultBatch, len(triples))
		patterns := make([]Pattern, hi-lo)
		for i := range patterns {
			patterns[i] = groundPattern(triples[lo+i])
		}
		err := o.base.Match(ctx, patterns, func(i int, _ rdf.Triple) error {
			out[lo+i] = true
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("looking up triples in the graph: %w", err)
		}
	}
	return out, nil
}

// Insert adds triples to the overlay.
func (o *Overlay) Insert(ctx context.Context, triples []rdf.Triple) error {
	have, err := o.inBase(ctx, triples)
	if err != nil {
		return err
	}
	for i, t := range triples {
		t.Pos = rdf.Position{}
		if have[i] {
			o.deletes.Delete(t)
		} else {
			o.inserts.Add(t)
		}
	}
	return nil
}

// Delete removes triples from the overlay.
func (o *Overlay) Delete(ctx context.Context, triples []rdf.Triple) error {
	have, err := o.inBase(ctx, triples)
	if err != nil {
		return err
	}
	for i, t := range triples {
		t.Pos = rdf.Position{}
		if have[i] {
			o.deletes.Add(t)
		} else {
			o.inserts.Delete(t)
		}
	}
	return nil
}

// Changes returns the net change to the base graph.
func (o *Overlay) Changes() Changes {
	return Changes{Delete: o.deletes.Triples(), Insert: o.inserts.Triples()}
}

// updater runs the operations of one request against an overlay.
type updater struct {
	ov   *Overlay
	opts Options
	e    *evaluator
	news map[string]bool
}

// Update evaluates the operations of u in order against g, each seeing
// the effects of those before it, and returns the net change, which the
// caller applies as one transaction. Only the default graph exists:
// operations on named graphs, WITH and USING give an error wrapping
// ErrNotSupported (or do nothing when SILENT).
func Update(ctx context.Context, u *sparql.Update, g Graph, opts Options) (Changes, error) {
	if u == nil {
		return Changes{}, errors.New("evaluating an update: no update")
	}
	ov := NewOverlay(g)
	up := &updater{ov: ov, opts: opts, news: map[string]bool{}}
	up.e = newEvaluator(ov, opts, nil)
	for i, op := range u.Operations {
		if err := up.apply(ctx, op); err != nil {
			return Changes{}, fmt.Errorf("update operation %d: %w", i+1, err)
		}
	}
	ch := ov.Changes()
	ch.NewBlanks = map[string]bool{}
	for _, t := range ch.Insert {
		for _, x := range []rdf.Term{t.S, t.O} {
			if x.Kind == rdf.Blank && up.news[x.Value] {
				ch.NewBlanks[x.Value] = true
			}
		}
	}
	return ch, nil
}

// silently turns an error into nothing when the operation is SILENT.
func silently(silent bool, err error) error {
	if silent {
		return nil
	}
	return err
}

func (up *updater) apply(ctx context.Context, op sparql.Operation) error {
	switch op := op.(type) {
	case *sparql.InsertData:
		fresh := map[string]rdf.Term{}
		var triples []rdf.Triple
		for _, q := range op.Quads {
			if !q.Graph.IsZero() {
				return errNamedGraphs
			}
			t, ok := up.instantiate(q.TriplePattern, nil, fresh)
			if ok {
				triples = append(triples, t)
			}
		}
		return up.ov.Insert(ctx, triples)
	case *sparql.DeleteData:
		var triples []rdf.Triple
		for _, q := range op.Quads {
			if !q.Graph.IsZero() {
				return errNamedGraphs
			}
			if t, ok := up.e.instantiate(q.TriplePattern, nil, map[string]rdf.Term{}); ok {
				triples = append(triples, t)
			}
		}
		return up.ov.Delete(ctx, triples)
	case *sparql.DeleteWhere:
		triples := make([]sparql.TriplePattern, len(op.Quads))
		for i, q := range op.Quads {
			if !q.Graph.IsZero() {
				return errNamedGraphs
			}
			triples[i] = q.TriplePattern
		}
		where := &sparql.Group{Elements: []sparql.Pattern{&sparql.BGP{Triples: triples}}}
		return up.modify(ctx, where, op.Quads, nil)
	case *sparql.Modify:
		if op.With != "" || len(op.Using) > 0 || len(op.UsingNamed) > 0 {
			return errNamedGraphs
		}
		for _, q := range append(append([]sparql.Quad(nil), op.Delete...), op.Insert...) {
			if !q.Graph.IsZero() {
				return errNamedGraphs
			}
		}
		up.e.env.Base = up.opts.Base
		if op.Base != "" {
			up.e.env.Base = op.Base
		}
		return up.modify(ctx, op.Where, op.Delete, op.Insert)
	case *sparql.Load:
		if op.Into != "" {
			return silently(op.Silent, errNamedGraphs)
		}
		return silently(op.Silent, up.load(ctx, op.Source))
	case *sparql.Clear:
		return up.clear(op.Silent, op.Target, ctx)
	case *sparql.Drop:
		return up.clear(op.Silent, op.Target, ctx)
	case *sparql.Create:
		return silently(op.Silent, errNamedGraphs)
	case *sparql.Add:
		return up.transfer(op.Transfer)
	case *sparql.Move:
		return up.transfer(op.Transfer)
	case *sparql.Copy:
		return up.transfer(op.Transfer)
	}
	return fmt.Errorf("unknown update operation %T", op)
}

// instantiate is a template triple for INSERT: its blank nodes are new
// nodes, the same within fresh.
func (up *updater) instantiate(tp sparql.TriplePattern, b binding, fresh map[string]rdf.Term) (rdf.Triple, bool) {
	t, ok := up.e.instantiate(tp, b, fresh)
	for _, x := range fresh {
		up.news[x.Value] = true
	}
	return t, ok
}

// modify is DELETE/INSERT ... WHERE (and DELETE WHERE): the pattern is
// evaluated whole first, then every solution's deletions are applied,
// then every solution's insertions (section 3.1.3).
func (up *updater) modify(ctx context.Context, where *sparql.Group, del, ins []sparql.Quad) error {
	tr := &translator{aggs: map[*sparql.ExprAggregate]string{}}
	n, err := tr.translateGroup(where)
	if err != nil {
		return err
	}
	up.e.aggs = tr.aggs
	solutions, err := up.e.collect(ctx, n, nil)
	if err != nil {
		return fmt.Errorf("evaluating WHERE: %w", err)
	}
	var dels, inss []rdf.Triple
	for _, b := range solutions {
		for _, q := range del {
			if t, ok := up.e.instantiate(q.TriplePattern, b, map[string]rdf.Term{}); ok && q.Subject.Kind != sparql.Blank && q.Object.Kind != sparql.Blank {
				dels = append(dels, t)
			}
		}
		fresh := map[string]rdf.Term{}
		for _, q := range ins {
			if t, ok := up.instantiate(q.TriplePattern, b, fresh); ok {
				inss = append(inss, t)
			}
		}
	}
	if err := up.ov.Delete(ctx, dels); err != nil {
		return err
	}
	return up.ov.Insert(ctx, inss)
}

// load reads a document through Options.Load; its blank nodes become new
// nodes of the graph.
func (up *updater) load(ctx context.Context, iri string) error {
	if up.opts.Load == nil {
		return fmt.Errorf("LOAD <%s>: loading is not available here", iri)
	}
	triples, err := up.opts.Load(ctx, iri)
	if err != nil {
		return fmt.Errorf("LOAD <%s>: %w", iri, err)
	}
	fresh := map[string]rdf.Term{}
	rename := func(x rdf.Term) rdf.Term {
		if x.Kind != rdf.Blank {
			return x
		}
		t, ok := fresh[x.Value]
		if !ok {
			t = up.e.newBlank()
			fresh[x.Value] = t
			up.news[t.Value] = true
		}
		return t
	}
	out := make([]rdf.Triple, len(triples))
	for i, t := range triples {
		out[i] = rdf.Triple{S: rename(t.S), P: t.P, O: rename(t.O)}
	}
	return up.ov.Insert(ctx, out)
}

// clear is CLEAR and DROP: DEFAULT and ALL empty the default graph; there
// are no named graphs, so NAMED has nothing to do and one graph by IRI
// does not exist.
func (up *updater) clear(silent bool, target sparql.GraphTarget, ctx context.Context) error {
	switch target.Kind {
	case sparql.TargetDefault, sparql.TargetAll:
		var all []rdf.Triple
		err := up.ov.Match(ctx, []Pattern{{}}, func(_ int, t rdf.Triple) error {
			all = append(all, t)
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading the default graph: %w", err)
		}
		return up.ov.Delete(ctx, all)
	case sparql.TargetNamed:
		return nil
	}
	return silently(silent, errNamedGraphs)
}

// transfer is ADD, MOVE and COPY: from the default graph to itself they
// do nothing; anything else involves a named graph.
func (up *updater) transfer(t sparql.Transfer) error {
	if t.From.Kind == sparql.TargetDefault && t.To.Kind == sparql.TargetDefault {
		return nil
	}
	return silently(t.Silent, errNamedGraphs)
}
