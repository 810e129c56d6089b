package engine

import (
	"context"
	"fmt"

	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/planner"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// row holds one solution: a value per variable; Kind 0 means unbound.
type row []storage.Object

// match is what one fact (or inferred fact) binds. An inferred fact has no
// ID.
type match struct {
	id, s, p, o storage.Object
}

// found receives the matches of input row i. Calls are serialized.
type found func(i int, m match)

// lookuper answers one operator's lookups at one log index.
type lookuper struct {
	views Views
	index uint64
	// linkScanAbove is the plan's threshold for answering an inference
	// level with one scan (planner.Node.LinkScanAbove); 0: never.
	linkScanAbove int
}

func value(t planner.Term, r row) storage.Object {
	if t.IsVar() {
		return r[t.Var]
	}
	return t.Val
}

// shape groups rows by which fields of p they know: each group is one
// batched lookup.
type shape struct {
	spo, sp, po, s, p []int
}

func groupRows(p *planner.Pattern, rows []row) (shape, error) {
	var g shape
	for i, r := range rows {
		s, pr, o := value(p.S, r), value(p.P, r), value(p.O, r)
		switch {
		case s.Kind != 0 && s.Kind != storage.KindEntity, pr.Kind != 0 && pr.Kind != storage.KindEntity:
			// a literal cannot be a subject or predicate: no match
		case s.Kind != 0 && pr.Kind != 0 && o.Kind != 0:
			g.spo = append(g.spo, i)
		case s.Kind != 0 && pr.Kind != 0:
			g.sp = append(g.sp, i)
		case pr.Kind != 0 && o.Kind != 0:
			g.po = append(g.po, i)
		case s.Kind != 0:
			g.s = append(g.s, i)
		case pr.Kind != 0:
			g.p = append(g.p, i)
		default:
			return g, fmt.Errorf("%s: %s", p.Pos, "the pattern's subject and predicate are both unbound in some rows; "+
				"a pattern needs a known subject or predicate")
		}
	}
	return g, nil
}

// find looks up p for every row, batching all rows' lookups of the same
// shape into one request (one per breadth-first level for inference).
func (l *lookuper) find(ctx context.Context, p *planner.Pattern, access planner.Access, rows []row, f found) error {
	if p.Missing {
		return nil
	}
	g, err := groupRows(p, rows)
	if err != nil {
		return err
	}
	if p.Infers() {
		return l.inferAll(ctx, p, access, rows, g, f)
	}
	return l.directAll(ctx, p, rows, g, f)
}

func factMatch(f storage.Fact) match {
	return match{id: storage.AEntity(f.ID), s: storage.AEntity(f.Subject), p: storage.AEntity(f.Predicate), o: f.Object}
}

// directAll answers each group of rows with one lookup of stored facts.
func (l *lookuper) directAll(ctx context.Context, p *planner.Pattern, rows []row, g shape, f found) error {
	add := func(group []int) viewclient.Emit {
		return func(i int, fact storage.Fact) { f(group[i], factMatch(fact)) }
	}
	if len(g.spo) > 0 {
		if err := l.views.LookupSPO(ctx, l.index, spoLookups(p, rows, g.spo), add(g.spo)); err != nil {
			return err
		}
	}
	if len(g.sp) > 0 {
		if err := l.views.LookupSP(ctx, l.index, spLookups(p, rows, g.sp), add(g.sp)); err != nil {
			return err
		}
	}
	if len(g.po) > 0 {
		if err := l.views.LookupPO(ctx, l.index, poLookups(p, rows, g.po), add(g.po)); err != nil {
			return err
		}
	}
	if len(g.s) > 0 {
		subjects := make([]uint64, len(g.s))
		for i, ri := range g.s {
			subjects[i] = value(p.S, rows[ri]).Entity
		}
		if err := l.views.LookupS(ctx, l.index, subjects, add(g.s)); err != nil {
			return err
		}
	}
	if len(g.p) > 0 {
		return l.views.LookupPOCmp(ctx, l.index, predicateScans(p, rows, g.p), add(g.p))
	}
	return nil
}

func spoLookups(p *planner.Pattern, rows []row, group []int) []viewclient.SPO {
	out := make([]viewclient.SPO, len(group))
	for i, ri := range group {
		r := rows[ri]
		out[i] = viewclient.SPO{Subject: value(p.S, r).Entity, Predicate: value(p.P, r).Entity, Object: value(p.O, r)}
	}
	return out
}

func spLookups(p *planner.Pattern, rows []row, group []int) []viewclient.SP {
	out := make([]viewclient.SP, len(group))
	for i, ri := range group {
		out[i] = viewclient.SP{Subject: value(p.S, rows[ri]).Entity, Predicate: value(p.P, rows[ri]).Entity}
	}
	return out
}

func poLookups(p *planner.Pattern, rows []row, group []int) []viewclient.PO {
	out := make([]viewclient.PO, len(group))
	for i, ri := range group {
		out[i] = viewclient.PO{Predicate: value(p.P, rows[ri]).Entity, Object: value(p.O, rows[ri])}
	}
	return out
}

func predicateScans(p *planner.Pattern, rows []row, group []int) []*wire.POCmp {
	out := make([]*wire.POCmp, len(group))
	for i, ri := range group {
		out[i] = &wire.POCmp{Predicate: value(p.P, rows[ri]).Entity, Op: wire.CmpOp_CMP_ANY}
	}
	return out
}

// extend binds a match into a copy of r; ok is false when the match
// contradicts a value r already has.
func extend(r row, p *planner.Pattern, m match) (row, bool) {
	out := append(row(nil), r...)
	for _, b := range [4]struct {
		t planner.Term
		v storage.Object
	}{{p.ID, m.id}, {p.S, m.s}, {p.P, m.p}, {p.O, m.o}} {
		if b.v.Kind == 0 || b.t.IsAbsent() {
			continue
		}
		if !b.t.IsVar() {
			if !sameValue(b.t.Val, b.v) {
				return nil, false
			}
			continue
		}
		if cur := out[b.t.Var]; cur.Kind != 0 {
			if !sameValue(cur, b.v) {
				return nil, false
			}
			continue
		}
		out[b.t.Var] = b.v
	}
	return out, true
}

// sameValue reports whether a and b are the same term: equal values and
// annotations.
func sameValue(a, b storage.Object) bool { return storage.SameTerm(a, b) }
