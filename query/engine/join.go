package engine

import (
	"strings"

	"github.com/akutan-dev/akutan/query/planner"
)

// hashTable holds one side of a hash join, keyed by the join variables.
// Rows with an unbound join variable (possible after an optional pattern)
// go to wild and are checked against every probe row.
type hashTable struct {
	vars []int
	rows map[string][]row
	wild []row
}

func newHashTable(vars []int) *hashTable { return &hashTable{vars: vars, rows: map[string][]row{}} }

// key returns r's join key; ok is false when a join variable is unbound.
func (h *hashTable) key(r row) (string, bool) {
	var b strings.Builder
	for _, v := range h.vars {
		if r[v].Kind == 0 {
			return "", false
		}
		b.WriteString(objectKey(r[v]))
		b.WriteByte(0xff)
	}
	return b.String(), true
}

func (h *hashTable) add(r row) {
	if k, ok := h.key(r); ok {
		h.rows[k] = append(h.rows[k], r)
		return
	}
	h.wild = append(h.wild, r)
}

// probe calls fn with each stored row compatible with r.
func (h *hashTable) probe(r row, fn func(row)) {
	if k, ok := h.key(r); ok {
		for _, m := range h.rows[k] {
			fn(m)
		}
	} else {
		for _, m := range h.rows {
			for _, x := range m {
				fn(x)
			}
		}
	}
	for _, x := range h.wild {
		fn(x)
	}
}

// hashJoin runs both inputs in parallel (each is already running in its
// own goroutine): it hashes the build side while the probe side fills its
// bounded channel, then streams the probe side through the table.
func (x *executor) hashJoin(n *planner.Node, em *emitter, left, right <-chan batch) error {
	build, probe := left, right
	if n.BuildRight {
		build, probe = right, left
	}
	table := newHashTable(n.JoinVars)
	for b := range drain(x.g.ctx, build) {
		for _, r := range b {
			table.add(r)
		}
	}
	for b := range drain(x.g.ctx, probe) {
		for _, r := range b {
			matched := false
			table.probe(r, func(m row) {
				if out, ok := merge(r, m); ok {
					matched = true
					em.add(out)
				}
			})
			if n.Outer && !matched {
				em.add(r)
			}
		}
	}
	return nil
}

// merge combines two rows; ok is false when they disagree on a variable.
func merge(a, b row) (row, bool) {
	out := append(row(nil), a...)
	for i, v := range b {
		switch {
		case v.Kind == 0:
		case out[i].Kind == 0:
			out[i] = v
		case !sameValue(out[i], v):
			return nil, false
		}
	}
	return out, true
}
