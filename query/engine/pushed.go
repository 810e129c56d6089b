package engine

import (
	"context"
	"fmt"

	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/query/planner"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// findPushed answers a pattern whose object comparison the planner turned
// into a range scan (LookupPOCmp). For an inferring pattern, a chain
// x -> ... -> y -> value matches when y's stored fact is in range, so the
// scan is followed by a backward search from each y.
func (l *lookuper) findPushed(ctx context.Context, p *planner.Pattern, pushed []*planner.Pattern, f func(match)) error {
	cmp, err := rangeCmp(p.P.Val.Entity, pushed)
	if err != nil {
		return fmt.Errorf("%s: %w", p.Pos, err)
	}
	var stored []storage.Fact
	err = l.views.LookupPOCmp(ctx, l.index, []*wire.POCmp{cmp}, func(_ int, fact storage.Fact) {
		if p.Infers() {
			stored = append(stored, fact)
			return
		}
		f(factMatch(fact))
	})
	if err != nil || !p.Infers() {
		return err
	}
	return l.closeBackward(ctx, p, stored, f)
}

// closeBackward reports the stored facts, then every fact they imply
// through chains that end in them. Every link of such a chain is a fact
// with the predicate and an entity object, so one more scan reads all
// possible links and the chains are closed in memory.
func (l *lookuper) closeBackward(ctx context.Context, p *planner.Pattern, stored []storage.Fact, f func(match)) error {
	pred := p.P.Val
	seen := map[string]bool{}
	for _, fact := range stored {
		m := factMatch(fact)
		seen[objectKey(m.s)+objectKey(m.o)] = true
		f(m)
	}
	if len(stored) == 0 {
		return nil
	}
	back, err := l.scanLinks(ctx, pred.Entity, false)
	if err != nil {
		return err
	}
	for _, fact := range stored {
		for _, e := range reachable(back, storage.AEntity(fact.Subject)) {
			// (reachable's IDs are those of x -> y links, not of x -> value.)
			k := objectKey(e.to) + objectKey(fact.Object)
			if !seen[k] {
				seen[k] = true
				f(match{s: e.to, p: pred, o: fact.Object})
			}
		}
	}
	return nil
}

// rangeCmp turns pushed comparisons into one view range lookup: a single
// comparison, or a <gte>/<lt> pair as CMP_RANGE.
func rangeCmp(pred uint64, pushed []*planner.Pattern) (*wire.POCmp, error) {
	if len(pushed) == 2 {
		lo, hi := pushed[0], pushed[1]
		return &wire.POCmp{Predicate: pred, Op: wire.CmpOp_CMP_RANGE, Value: wire.FromObject(lo.O.Val), End: wire.FromObject(hi.O.Val)}, nil
	}
	if len(pushed) != 1 {
		return nil, fmt.Errorf("internal error: %d pushed comparisons", len(pushed))
	}
	c := pushed[0]
	ops := map[parser.Op]wire.CmpOp{
		parser.OpEq: wire.CmpOp_CMP_EQ, parser.OpGt: wire.CmpOp_CMP_GT, parser.OpGte: wire.CmpOp_CMP_GTE,
		parser.OpLt: wire.CmpOp_CMP_LT, parser.OpLte: wire.CmpOp_CMP_LTE,
	}
	op, ok := ops[c.Op]
	if !ok {
		return nil, fmt.Errorf("internal error: comparison %d cannot be a range lookup", c.Op)
	}
	return &wire.POCmp{Predicate: pred, Op: op, Value: wire.FromObject(c.O.Val)}, nil
}
