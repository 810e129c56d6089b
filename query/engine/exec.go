package engine

import (
	"bytes"
	"context"
	"fmt"

	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// row holds one solution: a value per variable; Kind 0 means unbound.
type row []storage.Object

// executor runs a plan's steps at one log index.
type executor struct {
	views Views
	index uint64
}

func (e *executor) run(ctx context.Context, p *plan) ([]row, error) {
	rows := []row{make(row, len(p.vars))}
	for _, st := range p.steps {
		var err error
		if st.Op != 0 {
			rows = applyOperator(st, rows)
		} else if rows, err = e.factStep(ctx, st, rows); err != nil {
			return nil, err
		}
		if len(rows) == 0 {
			break
		}
	}
	return rows, nil
}

// match is what one fact (or inferred fact) binds.
type match struct {
	id, s, p, o storage.Object
}

// factStep extends every row with the facts matching the pattern.
func (e *executor) factStep(ctx context.Context, p *pattern, rows []row) ([]row, error) {
	var matches [][]match
	if !p.missing {
		var err error
		if matches, err = e.lookup(ctx, p, rows); err != nil {
			return nil, fmt.Errorf("%s: %w", p.pos, err)
		}
	}
	var out []row
	for i, r := range rows {
		n := len(out)
		if matches != nil {
			for _, m := range matches[i] {
				if ext, ok := extend(r, p, m); ok {
					out = append(out, ext)
				}
			}
		}
		if p.Optional && len(out) == n {
			out = append(out, r)
		}
	}
	return out, nil
}

// extend binds a match into a copy of r; ok is false when the match
// contradicts a value r already has.
func extend(r row, p *pattern, m match) (row, bool) {
	out := append(row(nil), r...)
	for _, b := range []struct {
		t term
		v storage.Object
	}{{p.ID, m.id}, {p.S, m.s}, {p.P, m.p}, {p.O, m.o}} {
		if b.v.Kind == 0 {
			continue
		}
		if !b.t.isVar() {
			// Lookups match constant fields already, except a constant fact ID.
			if b.t == p.ID && p.hasID && !sameValue(b.t.Val, b.v) {
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

func sameValue(a, b storage.Object) bool {
	return bytes.Equal(storage.AppendObject(nil, a), storage.AppendObject(nil, b))
}

func value(t term, r row) storage.Object {
	if t.isVar() {
		return r[t.Var]
	}
	return t.Val
}

// lookup finds the matches of pattern p for every row, batching all rows'
// lookups of the same shape into one request.
func (e *executor) lookup(ctx context.Context, p *pattern, rows []row) ([][]match, error) {
	matches := make([][]match, len(rows))
	infer := !p.hasID && !p.P.isVar()
	var spRows, spoRows, poRows, sRows, pRows []int
	for i, r := range rows {
		s, pr, o := value(p.S, r), value(p.P, r), value(p.O, r)
		switch {
		case s.Kind != 0 && s.Kind != storage.KindEntity, pr.Kind != 0 && pr.Kind != storage.KindEntity:
			// a literal cannot be a subject or predicate: no match
		case s.Kind != 0 && pr.Kind != 0 && o.Kind != 0:
			spoRows = append(spoRows, i)
		case s.Kind != 0 && pr.Kind != 0:
			spRows = append(spRows, i)
		case pr.Kind != 0 && o.Kind != 0:
			poRows = append(poRows, i)
		case s.Kind != 0:
			sRows = append(sRows, i)
		case pr.Kind != 0:
			pRows = append(pRows, i)
		default:
			return nil, fmt.Errorf("a pattern needs a known subject or predicate")
		}
	}
	if infer {
		return matches, e.inferAll(ctx, p, rows, matches, spoRows, spRows, poRows, pRows, sRows)
	}
	return matches, e.directAll(ctx, p, rows, matches, spoRows, spRows, poRows, pRows, sRows)
}

func factMatch(f storage.Fact) match {
	return match{id: storage.AEntity(f.ID), s: storage.AEntity(f.Subject), p: storage.AEntity(f.Predicate), o: f.Object}
}

// directAll answers each group of rows with one lookup of stored facts.
func (e *executor) directAll(ctx context.Context, p *pattern, rows []row, matches [][]match, spo, sp, po, pOnly, sOnly []int) error {
	add := func(group []int) viewclient.Emit {
		return func(i int, f storage.Fact) { matches[group[i]] = append(matches[group[i]], factMatch(f)) }
	}
	if len(spo) > 0 {
		l := make([]viewclient.SPO, len(spo))
		for i, ri := range spo {
			l[i] = viewclient.SPO{Subject: value(p.S, rows[ri]).Entity, Predicate: value(p.P, rows[ri]).Entity, Object: value(p.O, rows[ri])}
		}
		if err := e.views.LookupSPO(ctx, e.index, l, add(spo)); err != nil {
			return err
		}
	}
	if len(sp) > 0 {
		if err := e.views.LookupSP(ctx, e.index, spLookups(p, rows, sp), add(sp)); err != nil {
			return err
		}
	}
	if len(po) > 0 {
		if err := e.views.LookupPO(ctx, e.index, poLookups(p, rows, po), add(po)); err != nil {
			return err
		}
	}
	if len(sOnly) > 0 {
		subjects := make([]uint64, len(sOnly))
		for i, ri := range sOnly {
			subjects[i] = value(p.S, rows[ri]).Entity
		}
		if err := e.views.LookupS(ctx, e.index, subjects, add(sOnly)); err != nil {
			return err
		}
	}
	if len(pOnly) > 0 {
		return e.views.LookupPOCmp(ctx, e.index, predicateScans(p, rows, pOnly), add(pOnly))
	}
	return nil
}

func spLookups(p *pattern, rows []row, group []int) []viewclient.SP {
	l := make([]viewclient.SP, len(group))
	for i, ri := range group {
		l[i] = viewclient.SP{Subject: value(p.S, rows[ri]).Entity, Predicate: value(p.P, rows[ri]).Entity}
	}
	return l
}

func poLookups(p *pattern, rows []row, group []int) []viewclient.PO {
	l := make([]viewclient.PO, len(group))
	for i, ri := range group {
		l[i] = viewclient.PO{Predicate: value(p.P, rows[ri]).Entity, Object: value(p.O, rows[ri])}
	}
	return l
}

func predicateScans(p *pattern, rows []row, group []int) []*wire.POCmp {
	l := make([]*wire.POCmp, len(group))
	for i, ri := range group {
		l[i] = &wire.POCmp{Predicate: value(p.P, rows[ri]).Entity, Op: wire.CmpOp_CMP_ANY}
	}
	return l
}

// applyOperator filters rows by a comparison, or by set membership (an <in>
// on an unbound variable binds it to each member instead).
func applyOperator(p *pattern, rows []row) []row {
	var out []row
	for _, r := range rows {
		left := value(p.S, r)
		if p.Op == parser.OpIn {
			for _, member := range p.Set {
				if left.Kind == 0 {
					ext := append(row(nil), r...)
					ext[p.S.Var] = member.Val
					out = append(out, ext)
				} else if sameValue(left, member.Val) {
					out = append(out, r)
					break
				}
			}
			continue
		}
		if compare(p.Op, left, value(p.O, r)) {
			out = append(out, r)
		}
	}
	return out
}

// compare evaluates a comparison. Values compare only within one kind and
// group (the same unit, or the same language); otherwise only notEqual
// holds.
func compare(op parser.Op, a, b storage.Object) bool {
	if a.Kind == 0 || b.Kind == 0 {
		return false
	}
	comparable := bytes.Equal(storage.AppendObjectGroup(nil, a), storage.AppendObjectGroup(nil, b))
	if !comparable {
		return op == parser.OpNotEqual
	}
	c := storage.CompareObjects(a, b)
	switch op {
	case parser.OpEq:
		return c == 0
	case parser.OpNotEqual:
		return c != 0
	case parser.OpGt:
		return c > 0
	case parser.OpGte:
		return c >= 0
	case parser.OpLt:
		return c < 0
	case parser.OpLte:
		return c <= 0
	}
	return false
}
