package results

import (
	"fmt"
	"sort"
	"strings"

	"github.com/akutan-dev/akutan/query/rdf"
)

// CompareOptions says how the W3C tests compare two answers.
type CompareOptions struct {
	// Ordered compares solutions in order, for queries with ORDER BY.
	// Otherwise answers are compared as multisets of solutions.
	Ordered bool
	// Loose compares IRIs and literals by their string form alone, and an
	// empty literal equal to an unbound variable, for answers read from
	// CSV, which keeps nothing more.
	Loose bool
}

// Compare returns nil when got equals want, or an error that describes a
// difference. Solutions are equal when they bind the same variables to
// equal terms, with blank nodes equal up to one consistent renaming
// across the whole answer; literals are equal when their lexical forms,
// datatypes and language tags are (tags ignoring case). The order of the
// variables does not matter.
func Compare(want, got *Results, opt CompareOptions) error {
	if want.IsBoolean || got.IsBoolean {
		return compareBoolean(want, got)
	}
	vars, err := sameVars(want.Vars, got.Vars)
	if err != nil {
		return err
	}
	wantRows, gotRows := solutionRows(want, vars), solutionRows(got, vars)
	m := newMatcher(opt.Loose)
	if opt.Ordered {
		err = m.ordered(wantRows, gotRows)
	} else {
		err = m.unordered(wantRows, gotRows)
	}
	if err != nil {
		return fmt.Errorf("solutions (%s) differ: %w", strings.Join(vars, " "), err)
	}
	return nil
}

// Equal reports whether Compare finds no difference.
func Equal(want, got *Results, opt CompareOptions) bool { return Compare(want, got, opt) == nil }

func compareBoolean(want, got *Results) error {
	switch {
	case want.IsBoolean != got.IsBoolean:
		return fmt.Errorf("one answer is a boolean and the other is solutions")
	case want.Boolean != got.Boolean:
		return fmt.Errorf("boolean is %t, want %t", got.Boolean, want.Boolean)
	}
	return nil
}

// sameVars checks that both answers have the same variables and returns
// them sorted, the column order of the rows compared.
func sameVars(want, got []string) ([]string, error) {
	w, g := sortedCopy(want), sortedCopy(got)
	if strings.Join(w, "\x00") != strings.Join(g, "\x00") {
		return nil, fmt.Errorf("variables are %v, want %v", got, want)
	}
	return w, nil
}

func sortedCopy(s []string) []string {
	c := append([]string{}, s...)
	sort.Strings(c)
	return c
}

func solutionRows(r *Results, vars []string) []row {
	rows := make([]row, len(r.Solutions))
	for i, s := range r.Solutions {
		rows[i] = make(row, len(vars))
		for j, v := range vars {
			rows[i][j] = s[v]
		}
	}
	return rows
}

// Isomorphic returns nil when two graphs, such as a CONSTRUCT answer and
// its expected result, are equal up to a renaming of blank nodes, or an
// error that describes a difference. Graphs are sets: a repeated triple
// counts once.
func Isomorphic(want, got []rdf.Triple) error {
	m := newMatcher(false)
	wantRows, gotRows := tripleSet(m, want), tripleSet(m, got)
	if err := m.unordered(wantRows, gotRows); err != nil {
		return fmt.Errorf("graphs differ: %w", err)
	}
	return nil
}

func tripleSet(m *matcher, triples []rdf.Triple) []row {
	seen := map[string]bool{}
	var rows []row
	for _, t := range triples {
		r := row{t.S, t.P, t.O}
		k := m.rowKey(r, func(label string) string { return label })
		if !seen[k] {
			seen[k] = true
			rows = append(rows, r)
		}
	}
	return rows
}
