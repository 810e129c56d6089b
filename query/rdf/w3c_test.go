package rdf

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The W3C RDF 1.1 test suites, copied from the w3c/rdf-tests repository
// (see testdata/w3c/LICENSE.md). Their manifests are Turtle, read with
// this package's own reader.
const (
	mf   = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
	rdft = "http://www.w3.org/ns/rdftest#"
)

// manifestTest is one entry of a manifest.
type manifestTest struct {
	name, kind     string
	action, result string // IRIs
}

// readManifest reads dir/manifest.ttl with base IRI baseDir+"manifest.ttl"
// and returns its entries in order.
func readManifest(t *testing.T, dir, baseDir string) []manifestTest {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "manifest.ttl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	triples, err := ReadAll(NewTurtleReader(f, baseDir+"manifest.ttl"))
	if err != nil {
		t.Fatalf("reading %s/manifest.ttl: %v", dir, err)
	}
	props := map[Term]map[string]Term{}
	for _, tr := range triples {
		if props[tr.S] == nil {
			props[tr.S] = map[string]Term{}
		}
		props[tr.S][tr.P.Value] = tr.O
	}
	var out []manifestTest
	list := props[NewIRI(baseDir+"manifest.ttl")][mf+"entries"]
	for list.Value != RDFNil {
		entry := props[list][RDFFirst]
		p := props[entry]
		out = append(out, manifestTest{
			name: p[mf+"name"].Value, kind: strings.TrimPrefix(p[RDFType].Value, rdft),
			action: p[mf+"action"].Value, result: p[mf+"result"].Value,
		})
		list = props[list][RDFRest]
		if list.Kind == 0 {
			t.Fatalf("%s: malformed entries list", dir)
		}
	}
	return out
}

func readFile(t *testing.T, path string, turtle bool, base string) ([]Triple, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if turtle {
		return ReadAll(NewTurtleReader(f, base))
	}
	return ReadAll(NewNTriplesReader(f))
}

// runSuite runs every test of a manifest and checks how many ran.
func runSuite(t *testing.T, dir, baseDir string, want int) {
	tests := readManifest(t, dir, baseDir)
	if len(tests) != want {
		t.Fatalf("%s: manifest lists %d tests, want %d", dir, len(tests), want)
	}
	counts := map[string]int{}
	for _, mt := range tests {
		counts[mt.kind]++
		t.Run(mt.name, func(t *testing.T) { runTest(t, dir, baseDir, mt) })
	}
	t.Logf("%s: %v", dir, counts)
}

func runTest(t *testing.T, dir, baseDir string, mt manifestTest) {
	file := func(iri string) string { return filepath.Join(dir, strings.TrimPrefix(iri, baseDir)) }
	turtle := strings.HasPrefix(mt.kind, "TestTurtle")
	got, err := readFile(t, file(mt.action), turtle, mt.action)
	switch mt.kind {
	case "TestNTriplesPositiveSyntax", "TestTurtlePositiveSyntax":
		if err != nil {
			t.Fatalf("rejected a valid document: %v", err)
		}
	case "TestNTriplesNegativeSyntax", "TestTurtleNegativeSyntax":
		if err == nil {
			t.Fatalf("accepted an invalid document, giving %d triples", len(got))
		}
	case "TestTurtleEval":
		if err != nil {
			t.Fatalf("rejected a valid document: %v", err)
		}
		want, err := readFile(t, file(mt.result), false, "")
		if err != nil {
			t.Fatalf("reading the expected result: %v", err)
		}
		if !isomorphic(got, want) {
			t.Fatalf("graphs differ:\ngot:\n%s\nwant:\n%s", dump(got), dump(want))
		}
	default:
		t.Fatalf("unknown test type %q", mt.kind)
	}
}

func TestW3CNTriples(t *testing.T) {
	runSuite(t, "testdata/w3c/rdf-n-triples", "http://example.test/rdf-n-triples/", 70)
}

func TestW3CTurtle(t *testing.T) {
	runSuite(t, "testdata/w3c/rdf-turtle", "https://w3c.github.io/rdf-tests/rdf/rdf11/rdf-turtle/", 313)
}

func dump(ts []Triple) string {
	var lines []string
	for _, t := range ts {
		lines = append(lines, FormatTriple(t))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// isomorphic compares two graphs, ignoring duplicate triples and mapping
// blank nodes one-to-one by backtracking; candidates are pruned by a
// signature of the ground terms around each blank node.
func isomorphic(a, b []Triple) bool {
	ga, gb := graphOf(a), graphOf(b)
	if len(ga.triples) != len(gb.triples) || len(ga.blanks) != len(gb.blanks) {
		return false
	}
	m := &matcher{a: ga, b: gb, to: map[string]string{}, used: map[string]bool{}}
	return m.match(0)
}

type graph struct {
	triples []Triple
	set     map[string]bool
	blanks  []string // in order of first appearance
	sig     map[string]string
	about   map[string][]Triple // triples mentioning each blank node
}

func termKey(t Term) string {
	return fmt.Sprintf("%d|%s|%s|%s", t.Kind, t.Value, t.Datatype, strings.ToLower(t.Lang))
}

func tripleKey(t Triple) string { return termKey(t.S) + " " + termKey(t.P) + " " + termKey(t.O) }

func graphOf(ts []Triple) *graph {
	g := &graph{set: map[string]bool{}, sig: map[string]string{}, about: map[string][]Triple{}}
	sigs := map[string][]string{}
	for _, t := range ts {
		k := tripleKey(t)
		if g.set[k] {
			continue
		}
		g.set[k] = true
		g.triples = append(g.triples, t)
		for i, term := range []Term{t.S, t.P, t.O} {
			if term.Kind != Blank {
				continue
			}
			if _, seen := g.about[term.Value]; !seen {
				g.blanks = append(g.blanks, term.Value)
			}
			g.about[term.Value] = append(g.about[term.Value], t)
			sigs[term.Value] = append(sigs[term.Value], fmt.Sprintf("%d:%s", i, groundKey(t)))
		}
	}
	for b, s := range sigs {
		sort.Strings(s)
		g.sig[b] = strings.Join(s, ";")
	}
	return g
}

// groundKey is a triple's key with blank nodes blanked out.
func groundKey(t Triple) string {
	f := func(x Term) string {
		if x.Kind == Blank {
			return "_"
		}
		return termKey(x)
	}
	return f(t.S) + " " + f(t.P) + " " + f(t.O)
}

type matcher struct {
	a, b *graph
	to   map[string]string
	used map[string]bool
}

func (m *matcher) match(i int) bool {
	if i == len(m.a.blanks) {
		for _, t := range m.a.triples {
			if !m.b.set[tripleKey(m.image(t))] {
				return false
			}
		}
		return true
	}
	x := m.a.blanks[i]
	for _, y := range m.b.blanks {
		if m.used[y] || m.a.sig[x] != m.b.sig[y] {
			continue
		}
		m.to[x], m.used[y] = y, true
		if m.consistent(x) && m.match(i+1) {
			return true
		}
		delete(m.to, x)
		m.used[y] = false
	}
	return false
}

// consistent checks the triples about x whose blank nodes are all mapped.
func (m *matcher) consistent(x string) bool {
	for _, t := range m.a.about[x] {
		img, ok := m.tryImage(t)
		if ok && !m.b.set[tripleKey(img)] {
			return false
		}
	}
	return true
}

func (m *matcher) tryImage(t Triple) (Triple, bool) {
	ok := true
	f := func(x Term) Term {
		if x.Kind != Blank {
			return x
		}
		y, mapped := m.to[x.Value]
		ok = ok && mapped
		return NewBlank(y)
	}
	return Triple{S: f(t.S), P: f(t.P), O: f(t.O)}, ok
}

func (m *matcher) image(t Triple) Triple {
	img, _ := m.tryImage(t)
	return img
}
