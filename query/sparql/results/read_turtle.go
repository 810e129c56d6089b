package results

import (
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/akutan-dev/akutan/query/rdf"
)

// The result-set vocabulary of the W3C SPARQL tests.
const (
	rsNS             = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
	rsResultSet      = rsNS + "ResultSet"
	rsResultVariable = rsNS + "resultVariable"
	rsSolution       = rsNS + "solution"
	rsBinding        = rsNS + "binding"
	rsVariable       = rsNS + "variable"
	rsValue          = rsNS + "value"
	rsIndex          = rsNS + "index"
	rsBoolean        = rsNS + "boolean"
)

// rsGraph indexes a result-set graph by subject; objects keep document
// order, which is the variables' order.
type rsGraph map[rdf.Term]map[string][]rdf.Term

func (g rsGraph) objects(s rdf.Term, p string) []rdf.Term { return g[s][p] }

// ReadTurtleResultSet reads an answer written as RDF in Turtle with the
// rs: vocabulary (one rs:ResultSet node with rs:resultVariable,
// rs:solution / rs:binding / rs:variable / rs:value, rs:index for
// ordered answers, or rs:boolean). base resolves relative IRIs; the W3C
// tests use the file's own IRI.
func ReadTurtleResultSet(r io.Reader, base string) (*Results, error) {
	triples, err := rdf.ReadAll(rdf.NewTurtleReader(r, base))
	if err != nil {
		return nil, fmt.Errorf("reading Turtle results: %w", err)
	}
	g := rsGraph{}
	for _, t := range triples {
		if g[t.S] == nil {
			g[t.S] = map[string][]rdf.Term{}
		}
		g[t.S][t.P.Value] = append(g[t.S][t.P.Value], t.O)
	}
	set, err := findResultSet(triples)
	if err != nil {
		return nil, err
	}
	if b := g.objects(set, rsBoolean); len(b) > 0 {
		return rsBooleanValue(b)
	}
	return g.selectResults(set)
}

func findResultSet(triples []rdf.Triple) (rdf.Term, error) {
	var sets []rdf.Term
	for _, t := range triples {
		if t.P.Value == rdf.RDFType && t.O == rdf.NewIRI(rsResultSet) {
			sets = append(sets, t.S)
		}
	}
	if len(sets) != 1 {
		return rdf.Term{}, fmt.Errorf("Turtle results have %d rs:ResultSet nodes, want 1", len(sets))
	}
	return sets[0], nil
}

func rsBooleanValue(b []rdf.Term) (*Results, error) {
	if len(b) != 1 || b[0].Kind != rdf.Literal {
		return nil, fmt.Errorf("rs:boolean must have one literal value")
	}
	switch b[0].Value {
	case "true", "1":
		return NewBoolean(true), nil
	case "false", "0":
		return NewBoolean(false), nil
	}
	return nil, fmt.Errorf("rs:boolean is %q, not a boolean", b[0].Value)
}

func (g rsGraph) selectResults(set rdf.Term) (*Results, error) {
	var vars []string
	for _, v := range g.objects(set, rsResultVariable) {
		vars = append(vars, v.Value)
	}
	res, err := newSelect(vars)
	if err != nil {
		return nil, fmt.Errorf("reading rs:resultVariable: %w", err)
	}
	type indexed struct {
		s     Solution
		index int
	}
	var rows []indexed
	for i, node := range g.objects(set, rsSolution) {
		s, err := g.solution(node, res.Vars)
		if err != nil {
			return nil, fmt.Errorf("reading rs:solution %d: %w", i+1, err)
		}
		index, err := g.index(node)
		if err != nil {
			return nil, fmt.Errorf("reading rs:solution %d: %w", i+1, err)
		}
		rows = append(rows, indexed{s, index})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].index < rows[j].index })
	for _, r := range rows {
		res.Solutions = append(res.Solutions, r.s)
	}
	return res, nil
}

// index returns a solution's rs:index, or 0 when it has none, which keeps
// the document order of unordered answers.
func (g rsGraph) index(node rdf.Term) (int, error) {
	idx := g.objects(node, rsIndex)
	if len(idx) == 0 {
		return 0, nil
	}
	n, err := strconv.Atoi(idx[0].Value)
	if err != nil || len(idx) > 1 {
		return 0, fmt.Errorf("rs:index must be one integer")
	}
	return n, nil
}

func (g rsGraph) solution(node rdf.Term, vars []string) (Solution, error) {
	s := Solution{}
	for _, b := range g.objects(node, rsBinding) {
		name, value := g.objects(b, rsVariable), g.objects(b, rsValue)
		if len(name) != 1 || len(value) != 1 {
			return nil, fmt.Errorf("an rs:binding needs one rs:variable and one rs:value")
		}
		v := name[0].Value
		if !contains(vars, v) {
			return nil, fmt.Errorf("binds %q, which is not a result variable", v)
		}
		if _, dup := s[v]; dup {
			return nil, fmt.Errorf("binds %q twice", v)
		}
		s[v] = value[0]
	}
	return s, nil
}
