package engine

import (
	"bytes"

	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/query/planner"
	"github.com/akutan-dev/akutan/storage"
)

// filter keeps the rows that pass a comparison. An <in> on an unbound
// variable binds it to each member instead.
func filter(c *planner.Pattern, rows []row) []row {
	var out []row
	for _, r := range rows {
		left := value(c.S, r)
		if c.Op == parser.OpIn {
			out = append(out, inSet(c, r, left)...)
			continue
		}
		if compare(c, left, value(c.O, r)) {
			out = append(out, r)
		}
	}
	return out
}

func inSet(c *planner.Pattern, r row, left storage.Object) []row {
	var out []row
	for _, member := range c.Set {
		if left.Kind == 0 && c.S.IsVar() {
			ext := append(row(nil), r...)
			ext[c.S.Var] = member
			out = append(out, ext)
		} else if left.Kind != 0 && sameValue(left, member) {
			return []row{r}
		}
	}
	return out
}

// compare evaluates a comparison. Values compare only within one kind and
// group (the same unit, or the same language); otherwise only <notEqual>
// holds. A constant that names a missing entity (such as an unknown unit)
// equals nothing.
func compare(c *planner.Pattern, a, b storage.Object) bool {
	if a.Kind == 0 || b.Kind == 0 {
		return false
	}
	comparable := !c.Missing && bytes.Equal(storage.AppendObjectGroup(nil, a), storage.AppendObjectGroup(nil, b))
	if !comparable {
		return c.Op == parser.OpNotEqual
	}
	r := storage.CompareObjects(a, b)
	switch c.Op {
	case parser.OpEq:
		return r == 0
	case parser.OpNotEqual:
		return r != 0
	case parser.OpGt:
		return r > 0
	case parser.OpGte:
		return r >= 0
	case parser.OpLt:
		return r < 0
	case parser.OpLte:
		return r <= 0
	}
	return false
}
