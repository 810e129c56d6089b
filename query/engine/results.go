package engine

import (
	"context"
	"sort"
	"strings"

	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
)

// Value is one cell of a result.
type Value struct {
	Unbound bool // an optional variable with no match
	Object  storage.Object
	Text    string // the value in the query language's syntax
}

// Result is a query's answer at one log index.
type Result struct {
	Index   uint64
	Columns []string
	Rows    [][]Value
}

// shape turns solutions into the query's output columns and raw cells.
func shape(q *parser.Query, p *plan, rows []row) ([]string, []row) {
	if q.Form == parser.FormAsk {
		return []string{"result"}, []row{{storage.ABool(len(rows) > 0)}}
	}
	if len(q.Select) > 0 && q.Select[0].Count != nil {
		return countColumns(q, p, rows)
	}
	cols, idx := projection(q, p)
	out := make([]row, len(rows))
	for i, r := range rows {
		out[i] = make(row, len(idx))
		for j, v := range idx {
			out[i][j] = r[v]
		}
	}
	return cols, out
}

// projection lists the output variables and their numbers.
func projection(q *parser.Query, p *plan) ([]string, []int) {
	if q.Star || q.Form == parser.FormFacts {
		idx := make([]int, len(p.vars))
		for i := range idx {
			idx[i] = i
		}
		return append([]string(nil), p.vars...), idx
	}
	var cols []string
	var idx []int
	for _, item := range q.Select {
		cols = append(cols, item.Var.Name)
		idx = append(idx, varNumber(p, item.Var.Name))
	}
	return cols, idx
}

func varNumber(p *plan, name string) int {
	for i, v := range p.vars {
		if v == name {
			return i
		}
	}
	return -1
}

// countColumns evaluates SELECT (COUNT(...) AS ?n) ...: one row.
func countColumns(q *parser.Query, p *plan, rows []row) ([]string, []row) {
	var cols []string
	var out row
	for _, item := range q.Select {
		cols = append(cols, item.Var.Name)
		n := 0
		of := -1
		if item.Count.Of != nil {
			of = varNumber(p, item.Count.Of.Name)
		}
		seen := map[string]bool{}
		for _, r := range rows {
			if of >= 0 && r[of].Kind == 0 {
				continue
			}
			if q.Distinct && of >= 0 {
				k := objectKey(r[of])
				if seen[k] {
					continue
				}
				seen[k] = true
			}
			n++
		}
		out = append(out, storage.AInt64(int64(n), 0))
	}
	return cols, []row{out}
}

func distinct(rows []row) []row {
	seen := map[string]bool{}
	var out []row
	for _, r := range rows {
		var b strings.Builder
		for _, v := range r {
			b.WriteString(objectKey(v))
			b.WriteByte(0xff)
		}
		if !seen[b.String()] {
			seen[b.String()] = true
			out = append(out, r)
		}
	}
	return out
}

// sortRows orders rows by the ORDER BY keys: unbound first, then by kind,
// entities by external name, literals by value.
func sortRows(q *parser.Query, cols []string, rows []row, names map[uint64]string) {
	type key struct {
		col  int
		desc bool
	}
	var keys []key
	for _, k := range q.OrderBy {
		for i, c := range cols {
			if c == k.Var.Name {
				keys = append(keys, key{i, k.Desc})
			}
		}
	}
	sort.SliceStable(rows, func(a, b int) bool {
		for _, k := range keys {
			c := compareForOrder(rows[a][k.col], rows[b][k.col], names)
			if c != 0 {
				return (c < 0) != k.desc
			}
		}
		return false
	})
}

func compareForOrder(a, b storage.Object, names map[uint64]string) int {
	switch {
	case a.Kind == 0 || b.Kind == 0:
		return int(a.Kind) - int(b.Kind)
	case a.Kind == storage.KindEntity && b.Kind == storage.KindEntity:
		if c := strings.Compare(names[a.Entity], names[b.Entity]); c != 0 {
			return c
		}
	}
	return storage.CompareObjects(a, b)
}

func window(rows []row, offset uint64, limit *uint64) []row {
	if offset >= uint64(len(rows)) {
		return nil
	}
	rows = rows[offset:]
	if limit != nil && *limit < uint64(len(rows)) {
		rows = rows[:*limit]
	}
	return rows
}

// entityKIDs lists the KIDs that formatting rows needs names for.
func entityKIDs(rows []row) []uint64 {
	var kids []uint64
	for _, r := range rows {
		for _, v := range r {
			switch {
			case v.Kind == storage.KindEntity:
				kids = append(kids, v.Entity)
			case v.Unit != 0:
				kids = append(kids, v.Unit)
			}
		}
	}
	return kids
}

// finish orders, windows and formats the shaped rows.
func (e *executor) finish(ctx context.Context, q *parser.Query, cols []string, rows []row) (*Result, error) {
	if q.Distinct {
		rows = distinct(rows)
	}
	var names map[uint64]string
	var err error
	if len(q.OrderBy) > 0 {
		if names, err = ResolveKIDs(ctx, e.views, e.index, entityKIDs(rows)); err != nil {
			return nil, err
		}
		sortRows(q, cols, rows, names)
	}
	rows = window(rows, q.Offset, q.Limit)
	if names == nil {
		if names, err = ResolveKIDs(ctx, e.views, e.index, entityKIDs(rows)); err != nil {
			return nil, err
		}
	}
	name := func(kid uint64) string { return names[kid] }
	res := &Result{Index: e.index, Columns: cols, Rows: make([][]Value, len(rows))}
	for i, r := range rows {
		res.Rows[i] = make([]Value, len(r))
		for j, v := range r {
			if v.Kind == 0 {
				res.Rows[i][j] = Value{Unbound: true}
				continue
			}
			res.Rows[i][j] = Value{Object: v, Text: parser.FormatObject(v, name)}
		}
	}
	return res, nil
}
