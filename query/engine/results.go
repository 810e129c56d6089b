package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/query/planner"
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

// output is the last stage of a query: it projects, aggregates, orders,
// de-duplicates and windows the solutions, names their entities and sends
// them on.
type output struct {
	q      *parser.Query
	views  Views
	shared *Names // names shared with other queries; nil: none
	index  uint64
	cols   []string
	cells  []planner.Term // per column: a variable or a constant
	// visible are the variables a solution consists of (DISTINCT and
	// COUNT(*) compare these).
	visible  []int
	varNames []string
	names    map[uint64]string
	seen     map[string]bool // DISTINCT
	skipped  uint64          // OFFSET so far
	sent     uint64          // rows sent, for LIMIT
}

func newOutput(q *parser.Query, c *compiled, views Views, shared *Names, index uint64) *output {
	// cols is never nil, even with no column, so that the header chunk
	// tells itself apart and answers "columns": [] (see Chunk).
	o := &output{q: q, views: views, shared: shared, index: index, cols: []string{}, names: map[uint64]string{}, seen: map[string]bool{}}
	vars := c.pq.Vars
	o.varNames = vars
	for i := range vars {
		if !c.pq.Hidden.Has(i) {
			o.visible = append(o.visible, i)
		}
	}
	switch {
	case q.Form == parser.FormAsk:
		o.cols = []string{"result"}
	case isCount(q):
		for _, item := range q.Select {
			o.cols = append(o.cols, item.Var.Name)
		}
	case q.Form == parser.FormFacts:
		o.factColumns(c.facts)
	case q.Star:
		for _, v := range o.visible {
			o.cols = append(o.cols, vars[v])
			o.cells = append(o.cells, planner.Variable(v))
		}
	default:
		for _, item := range q.Select {
			o.cols = append(o.cols, item.Var.Name)
			o.cells = append(o.cells, planner.Variable(varNumber(vars, item.Var.Name)))
		}
	}
	return o
}

// factColumns lays out the bare form's answer: each fact pattern's fact
// ID, subject, predicate and object, suffixed by the pattern's number
// when there are several.
func (o *output) factColumns(facts []*planner.Pattern) {
	for i, p := range facts {
		suffix := ""
		if len(facts) > 1 {
			suffix = fmt.Sprint(i + 1)
		}
		for j, name := range []string{"id", "subject", "predicate", "object"} {
			o.cols = append(o.cols, name+suffix)
			o.cells = append(o.cells, p.Terms()[j])
		}
	}
}

func isCount(q *parser.Query) bool { return len(q.Select) > 0 && q.Select[0].Count != nil }

func varNumber(vars []string, name string) int {
	for i, v := range vars {
		if v == name {
			return i
		}
	}
	return -1
}

// describe prints the output stage for explain.
func (o *output) describe() string {
	var parts []string
	switch {
	case o.q.Form == parser.FormAsk:
		parts = append(parts, "Ask (stops at the first row)")
	case isCount(o.q):
		parts = append(parts, "Count "+strings.Join(o.cols, " "))
	default:
		parts = append(parts, "Project "+strings.Join(o.cols, " "))
	}
	if o.q.Distinct {
		parts = append(parts, "Distinct")
	}
	if len(o.q.OrderBy) > 0 {
		var keys []string
		for _, k := range o.q.OrderBy {
			dir := "ASC"
			if k.Desc {
				dir = "DESC"
			}
			keys = append(keys, fmt.Sprintf("%s(?%s)", dir, k.Var.Name))
		}
		parts = append(parts, "OrderBy "+strings.Join(keys, " "))
	}
	if o.q.Offset > 0 {
		parts = append(parts, fmt.Sprintf("Offset %d", o.q.Offset))
	}
	if o.q.Limit != nil {
		parts = append(parts, fmt.Sprintf("Limit %d", *o.q.Limit))
	}
	return strings.Join(parts, " | ") + "\n"
}

// consume turns the plan's rows into the answer and sends it. Nothing
// that depends on rows not yet seen is sent before the plan has ended
// without failure, and a plan stopped early (ASK, LIMIT) is checked for a
// failure before its last rows are sent. Rows of a long SELECT stream out
// while the plan runs; if the plan then fails, consume returns the error
// and the caller must discard what it was sent.
func (o *output) consume(ctx context.Context, plan running, send func(*Chunk) error) error {
	switch {
	case o.q.Form == parser.FormAsk:
		return o.ask(ctx, plan, send)
	case isCount(o.q):
		all, err := readAll(plan)
		if err != nil {
			return err
		}
		return o.sendRows(ctx, send, []row{o.count(all)}, true)
	case len(o.q.OrderBy) > 0:
		all, err := readAll(plan)
		if err != nil {
			return err
		}
		if err := o.order(ctx, all); err != nil {
			return err
		}
		rows, _ := o.window(all)
		return o.sendRows(ctx, send, rows, false)
	}
	return o.stream(ctx, plan, send)
}

// ask answers true at the first row, false when the plan ends without one.
func (o *output) ask(ctx context.Context, plan running, send func(*Chunk) error) error {
	_, found := <-plan.rows
	end := plan.finish
	if found {
		end = plan.stop
	}
	if err := end(); err != nil {
		return err
	}
	return o.sendRows(ctx, send, []row{{storage.ABool(found)}}, true)
}

// readAll collects every row of a plan that ended without failure.
func readAll(plan running) ([]row, error) {
	var all []row
	for b := range plan.rows {
		all = append(all, b...)
	}
	if err := plan.finish(); err != nil {
		return nil, err
	}
	return all, nil
}

// stream sends rows as the plan produces them, stopping the plan once
// LIMIT is reached.
func (o *output) stream(ctx context.Context, plan running, send func(*Chunk) error) error {
	for b := range plan.rows {
		if err := plan.failed(); err != nil {
			return err
		}
		rows, done := o.window(b)
		if done {
			if err := plan.stop(); err != nil {
				return err
			}
			return o.sendRows(ctx, send, rows, false)
		}
		if err := o.sendRows(ctx, send, rows, false); err != nil {
			return err
		}
	}
	return plan.finish()
}

// window projects rows, drops duplicates (DISTINCT) and applies OFFSET
// and LIMIT; done is true once LIMIT is reached.
func (o *output) window(rows []row) (out []row, done bool) {
	for _, r := range rows {
		if o.q.Limit != nil && o.sent >= *o.q.Limit {
			break
		}
		p := o.project(r)
		if o.q.Distinct {
			k := rowKey(p, nil)
			if o.seen[k] {
				continue
			}
			o.seen[k] = true
		}
		if o.skipped < o.q.Offset {
			o.skipped++
			continue
		}
		out = append(out, p)
		o.sent++
	}
	return out, o.q.Limit != nil && o.sent >= *o.q.Limit
}

func (o *output) project(r row) row {
	out := make(row, len(o.cells))
	for i, c := range o.cells {
		out[i] = value(c, r)
	}
	return out
}

// rowKey encodes the chosen cells of r (all when cols is nil).
func rowKey(r row, cols []int) string {
	var b strings.Builder
	add := func(v storage.Object) {
		b.WriteString(objectKey(v))
		b.WriteByte(0xff)
	}
	if cols == nil {
		for _, v := range r {
			add(v)
		}
	}
	for _, c := range cols {
		add(r[c])
	}
	return b.String()
}

// count evaluates SELECT (COUNT(...) AS ?n) ...: one row. With DISTINCT,
// COUNT(?x) counts distinct values and COUNT(*) distinct solutions.
func (o *output) count(rows []row) row {
	var out row
	for _, item := range o.q.Select {
		cols := o.visible
		if item.Count.Of != nil {
			cols = []int{varNumber(o.vars(), item.Count.Of.Name)}
		}
		n := 0
		seen := map[string]bool{}
		for _, r := range rows {
			if item.Count.Of != nil && r[cols[0]].Kind == 0 {
				continue
			}
			if o.q.Distinct {
				k := rowKey(r, cols)
				if seen[k] {
					continue
				}
				seen[k] = true
			}
			n++
		}
		out = append(out, storage.AInt64(int64(n), 0))
	}
	return out
}

func (o *output) vars() []string { return o.varNames }

// order sorts solutions by the ORDER BY keys: unbound first, then by
// kind; entities by external name, literals by value.
func (o *output) order(ctx context.Context, rows []row) error {
	type key struct {
		v    int
		desc bool
	}
	var keys []key
	var kids []uint64
	for _, k := range o.q.OrderBy {
		v := varNumber(o.vars(), k.Var.Name)
		if v < 0 {
			continue // the parser only lets bound variables through
		}
		keys = append(keys, key{v, k.Desc})
		for _, r := range rows {
			kids = appendKIDs(kids, r[v])
		}
	}
	if err := o.resolve(ctx, kids); err != nil {
		return err
	}
	sort.SliceStable(rows, func(a, b int) bool {
		for _, k := range keys {
			if c := compareForOrder(rows[a][k.v], rows[b][k.v], o.names); c != 0 {
				return (c < 0) != k.desc
			}
		}
		return false
	})
	return nil
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

func appendKIDs(kids []uint64, v storage.Object) []uint64 {
	switch {
	case v.Kind == storage.KindEntity:
		kids = append(kids, v.Entity)
	case v.Unit != 0:
		kids = append(kids, v.Unit)
	}
	return kids
}

// resolve names the KIDs not named yet.
func (o *output) resolve(ctx context.Context, kids []uint64) error {
	var need []uint64
	for _, k := range kids {
		if _, ok := o.names[k]; !ok {
			need = append(need, k)
			o.names[k] = "" // asked: an unnamed KID prints as #kid
		}
	}
	if len(need) == 0 {
		return nil
	}
	got, err := o.shared.ResolveKIDs(ctx, o.views, o.index, need)
	if err != nil {
		return err
	}
	for k, n := range got {
		o.names[k] = n
	}
	return nil
}

// sendRows names the rows' entities and sends them as one chunk.
func (o *output) sendRows(ctx context.Context, send func(*Chunk) error, rows []row, always bool) error {
	var kids []uint64
	for _, r := range rows {
		for _, v := range r {
			kids = appendKIDs(kids, v)
		}
	}
	if err := o.resolve(ctx, kids); err != nil {
		return err
	}
	name := func(kid uint64) string { return o.names[kid] }
	chunk := &Chunk{Rows: make([][]Value, len(rows))}
	for i, r := range rows {
		chunk.Rows[i] = make([]Value, len(r))
		for j, v := range r {
			if v.Kind == 0 {
				chunk.Rows[i][j] = Value{Unbound: true}
				continue
			}
			chunk.Rows[i][j] = Value{Object: v, Text: parser.FormatObject(v, name)}
		}
	}
	if len(rows) == 0 && !always {
		return nil
	}
	return send(chunk)
}
