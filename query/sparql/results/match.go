package results

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/akutan-dev/akutan/query/rdf"
)

// row is one solution (its terms in a fixed variable order) or one triple
// (subject, predicate, object); the zero Term is an unbound variable.
type row []rdf.Term

// maxMatchSteps bounds the backtracking search. Real answers need a few
// steps per row; only contrived symmetric blank node structures come
// near the bound, and those are reported rather than searched forever.
const maxMatchSteps = 1 << 22

// matcher decides whether two multisets of rows are equal up to a
// bijection between their blank nodes. Rows without blank nodes are
// compared as multisets by key; the rest are paired by backtracking,
// trying only partners with the same signature and keeping the blank node
// mapping one-to-one.
type matcher struct {
	loose      bool // compare IRIs and literals by string form only (CSV)
	aToB, bToA map[string]string
	steps      int
}

func newMatcher(loose bool) *matcher {
	return &matcher{loose: loose, aToB: map[string]string{}, bToA: map[string]string{}}
}

// termKey identifies a term that is not a blank node, exactly or by its
// string form. Length prefixes keep the parts apart.
func (m *matcher) termKey(b []byte, t rdf.Term) []byte {
	if m.loose {
		if t.Kind == 0 || t.Value == "" && t.Kind == rdf.Literal {
			return append(b, 'u') // CSV writes unbound and "" alike
		}
		return appendPart(append(b, 's'), t.Value)
	}
	b = append(b, "?ibl"[t.Kind%4])
	b = appendPart(b, t.Value)
	if t.Kind == rdf.Literal {
		b = appendPart(b, datatypeOf(t))
		b = appendPart(b, strings.ToLower(t.Lang))
	}
	return b
}

// datatypeOf treats a missing datatype as xsd:string, as RDF 1.1 does.
func datatypeOf(t rdf.Term) string {
	if t.Datatype == "" && t.Lang == "" {
		return rdf.XSDString
	}
	return t.Datatype
}

func appendPart(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	return append(append(b, ':'), s...)
}

func hasBlank(r row) bool {
	for _, t := range r {
		if t.Kind == rdf.Blank {
			return true
		}
	}
	return false
}

// rowKey identifies a row; blank nodes are written as the given labels,
// so signature-level keys pass a label that ignores the blank's name.
func (m *matcher) rowKey(r row, blank func(label string) string) string {
	var b []byte
	for _, t := range r {
		if t.Kind == rdf.Blank {
			b = appendPart(append(b, '_'), blank(t.Value))
		} else {
			b = m.termKey(b, t)
		}
		b = append(b, '|')
	}
	return string(b)
}

// unordered reports whether a and b are equal as multisets of rows.
func (m *matcher) unordered(a, b []row) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d rows, want %d", len(b), len(a))
	}
	groundA, blankA := splitGround(a)
	groundB, blankB := splitGround(b)
	if err := m.sameGround(groundA, groundB); err != nil {
		return err
	}
	if len(blankA) != len(blankB) {
		return fmt.Errorf("%d rows with blank nodes, want %d", len(blankB), len(blankA))
	}
	return m.pairBlankRows(blankA, blankB)
}

func splitGround(rows []row) (ground, blank []row) {
	for _, r := range rows {
		if hasBlank(r) {
			blank = append(blank, r)
		} else {
			ground = append(ground, r)
		}
	}
	return ground, blank
}

func (m *matcher) sameGround(a, b []row) error {
	counts := map[string]int{}
	for _, r := range a {
		counts[m.rowKey(r, nil)]++
	}
	for _, r := range b {
		k := m.rowKey(r, nil)
		if counts[k] == 0 {
			return fmt.Errorf("unexpected row %s", formatRow(r))
		}
		counts[k]--
	}
	for _, r := range a {
		if counts[m.rowKey(r, nil)] > 0 {
			return fmt.Errorf("missing row %s", formatRow(r))
		}
	}
	return nil
}

// signatures keys each row by its terms with every blank node replaced by
// the number of rows it occurs in: rows that can pair have equal
// signatures, and the counts split most candidates apart cheaply.
func (m *matcher) signatures(rows []row) []string {
	degree := map[string]int{}
	for _, r := range rows {
		for _, t := range r {
			if t.Kind == rdf.Blank {
				degree[t.Value]++
			}
		}
	}
	sigs := make([]string, len(rows))
	for i, r := range rows {
		sigs[i] = m.rowKey(r, func(label string) string { return strconv.Itoa(degree[label]) })
	}
	return sigs
}

func (m *matcher) pairBlankRows(a, b []row) error {
	sigA, sigB := m.signatures(a), m.signatures(b)
	bySig := map[string][]int{}
	for j, s := range sigB {
		bySig[s] = append(bySig[s], j)
	}
	order := make([]int, len(a))
	for i := range a {
		if len(bySig[sigA[i]]) == 0 {
			return fmt.Errorf("missing row %s (no row has its shape)", formatRow(a[i]))
		}
		order[i] = i
	}
	// Rows with few candidates first: they fix blank node pairs early and
	// prune the rest of the search.
	sort.SliceStable(order, func(x, y int) bool {
		return len(bySig[sigA[order[x]]]) < len(bySig[sigA[order[y]]])
	})
	s := search{m: m, a: a, b: b, order: order, sigA: sigA, bySig: bySig, used: make([]bool, len(b))}
	ok := s.match(0)
	if m.steps > maxMatchSteps {
		return fmt.Errorf("gave up pairing blank nodes after %d steps", maxMatchSteps)
	}
	if !ok {
		return fmt.Errorf("no one-to-one renaming of blank nodes makes the rows equal")
	}
	return nil
}

// search is the state of one backtracking search.
type search struct {
	m     *matcher
	a, b  []row
	order []int
	sigA  []string
	bySig map[string][]int
	used  []bool
}

func (s *search) match(k int) bool {
	if k == len(s.order) {
		return true
	}
	i := s.order[k]
	for _, j := range s.bySig[s.sigA[i]] {
		if s.used[j] {
			continue
		}
		if s.m.steps++; s.m.steps > maxMatchSteps {
			return false
		}
		added, ok := s.m.bind(s.a[i], s.b[j])
		if ok {
			s.used[j] = true
			if s.match(k + 1) {
				return true
			}
			s.used[j] = false
		}
		s.m.unbind(added)
	}
	return false
}

// bind extends the blank node bijection so that row x maps onto row y,
// whose non-blank terms are already known to be equal. It returns the
// labels of x it added, for unbind, and whether it succeeded.
func (m *matcher) bind(x, y row) (added []string, ok bool) {
	for p, t := range x {
		if t.Kind != rdf.Blank {
			continue
		}
		to := y[p].Value
		if mapped, seen := m.aToB[t.Value]; seen {
			if mapped != to {
				return added, false
			}
			continue
		}
		if _, taken := m.bToA[to]; taken {
			return added, false
		}
		m.aToB[t.Value], m.bToA[to] = to, t.Value
		added = append(added, t.Value)
	}
	return added, true
}

func (m *matcher) unbind(added []string) {
	for _, label := range added {
		delete(m.bToA, m.aToB[label])
		delete(m.aToB, label)
	}
}

// ordered reports whether a and b are equal row by row; the blank node
// mapping is forced by the order, so there is nothing to search.
func (m *matcher) ordered(a, b []row) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d rows, want %d", len(b), len(a))
	}
	for i := range a {
		blankAsIs := func(string) string { return "" }
		if m.rowKey(a[i], blankAsIs) != m.rowKey(b[i], blankAsIs) {
			return fmt.Errorf("row %d is %s, want %s", i+1, formatRow(b[i]), formatRow(a[i]))
		}
		if _, ok := m.bind(a[i], b[i]); !ok {
			return fmt.Errorf("row %d: blank nodes %s do not map one-to-one onto %s", i+1, formatRow(a[i]), formatRow(b[i]))
		}
	}
	return nil
}

func formatRow(r row) string {
	var b []byte
	for i, t := range r {
		if i > 0 {
			b = append(b, ' ')
		}
		if t.Kind == 0 {
			b = append(b, "UNDEF"...)
			continue
		}
		b = appendTurtleTerm(b, t)
	}
	return "(" + string(b) + ")"
}
