package rdf

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
)

func TestSyntaxErrorPositions(t *testing.T) {
	tests := []struct {
		name, in string
		turtle   bool
		pos      Position
		msg      string
	}{
		{"nt bad subject", "<http://a> <http://b> <http://c> .\n  \"x\" <http://b> <http://c> .\n", false, Position{2, 3}, "expected a subject"},
		{"nt relative IRI", "<a> <http://b> <http://c> .", false, Position{1, 1}, "relative IRI"},
		{"nt column counts characters", "<http://a> <http://é> \"ü\" x", false, Position{1, 27}, "expected '.'"},
		{"nt two triples", "<http://a> <http://b> <http://c> . <http://a> <http://b> <http://c> .", false, Position{1, 36}, "one triple per line"},
		{"nt bad escape", "<http://a> <http://b> \"\\q\" .", false, Position{1, 24}, "bad escape"},
		{"nt lone CR ends lines", "<http://a> <http://b> <http://c> .\r<http://a> <http://b> .", false, Position{2, 23}, "expected an object"},
		{"ttl undeclared prefix", "@prefix a: <http://a/> .\n\na:s b:p a:o .", true, Position{3, 5}, "undeclared prefix"},
		{"ttl missing dot", "<http://a> <http://b> <http://c>\n<http://d> <http://e> <http://f> .", true, Position{2, 1}, "expected '.'"},
		{"ttl literal subject", "\"x\" <http://b> <http://c> .", true, Position{1, 1}, "expected a subject"},
		{"ttl unclosed bracket", "<http://a> <http://b> [ <http://c> <http://d> .", true, Position{1, 47}, "expected ']'"},
		{"ttl line break in string", "<http://a> <http://b> \"x\ny\" .", true, Position{1, 25}, "line break in a string"},
		{"ttl bad UTF-8", "<http://a> <http://b> \"\xff\" .", true, Position{1, 24}, "invalid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Reader = NewNTriplesReader(strings.NewReader(tc.in))
			if tc.turtle {
				r = NewTurtleReader(strings.NewReader(tc.in), "")
			}
			_, err := ReadAll(r)
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error = %v, want an *Error", err)
			}
			if perr.Pos != tc.pos || !strings.Contains(perr.Msg, tc.msg) {
				t.Fatalf("error = %v, want %v and %q", err, tc.pos, tc.msg)
			}
			if _, again := r.Next(); again != err {
				t.Fatalf("Next after an error = %v, want the same error", again)
			}
		})
	}
}

func TestTriplePositions(t *testing.T) {
	in := "@prefix : <http://x/> .\n:s :p :a ,\n   :b ;\n :q ( 1 ) .\n"
	ts, err := ReadAll(NewTurtleReader(strings.NewReader(in), ""))
	if err != nil {
		t.Fatal(err)
	}
	var got []Position
	for _, tr := range ts {
		got = append(got, tr.Pos)
	}
	want := []Position{{2, 7}, {3, 4}, {4, 7}, {4, 9}, {4, 5}}
	if len(got) != len(want) {
		t.Fatalf("positions %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("positions %v, want %v", got, want)
		}
	}
}

func TestNTriplesRoundTrip(t *testing.T) {
	in := []Triple{
		{S: NewIRI("http://a/\u00e9"), P: NewIRI("http://b"), O: NewLiteral("a \"q\" \\ \n\r\t\u0001 \U0001F600", XSDString, "")},
		{S: NewBlank("b.1"), P: NewIRI("http://b"), O: NewLiteral("x", "", "en-GB")},
		{S: NewBlank("b"), P: NewIRI("http://b"), O: NewLiteral("5", XSDInteger, "")},
		{S: NewBlank("b"), P: NewIRI("http://b"), O: NewIRI("http://c/\U0001F600?q=1#f")},
	}
	var data []byte
	for _, tr := range in {
		data = AppendNTriples(data, tr)
	}
	out, err := ReadAll(NewNTriplesReader(strings.NewReader(string(data))))
	if err != nil {
		t.Fatalf("%v in\n%s", err, data)
	}
	if len(out) != len(in) {
		t.Fatalf("read %d triples back, want %d", len(out), len(in))
	}
	for i := range in {
		out[i].Pos = Position{}
		if out[i] != in[i] {
			t.Errorf("triple %d: read back %+v, want %+v", i, out[i], in[i])
		}
	}
}

// TestResolveIRI checks the examples of RFC 3986, section 5.4.
func TestResolveIRI(t *testing.T) {
	base := "http://a/b/c/d;p?q"
	cases := map[string]string{
		"g:h": "g:h", "g": "http://a/b/c/g", "./g": "http://a/b/c/g", "g/": "http://a/b/c/g/",
		"/g": "http://a/g", "//g": "http://g", "?y": "http://a/b/c/d;p?y", "g?y": "http://a/b/c/g?y",
		"#s": "http://a/b/c/d;p?q#s", "g#s": "http://a/b/c/g#s", "g?y#s": "http://a/b/c/g?y#s",
		";x": "http://a/b/c/;x", "g;x": "http://a/b/c/g;x", "g;x?y#s": "http://a/b/c/g;x?y#s",
		"": "http://a/b/c/d;p?q", ".": "http://a/b/c/", "./": "http://a/b/c/", "..": "http://a/b/",
		"../": "http://a/b/", "../g": "http://a/b/g", "../..": "http://a/", "../../": "http://a/",
		"../../g": "http://a/g", "../../../g": "http://a/g", "../../../../g": "http://a/g",
		"/./g": "http://a/g", "/../g": "http://a/g", "g.": "http://a/b/c/g.", ".g": "http://a/b/c/.g",
		"g..": "http://a/b/c/g..", "..g": "http://a/b/c/..g", "./../g": "http://a/b/g",
		"./g/.": "http://a/b/c/g/", "g/./h": "http://a/b/c/g/h", "g/../h": "http://a/b/c/h",
		"g;x=1/./y": "http://a/b/c/g;x=1/y", "g;x=1/../y": "http://a/b/c/y", "g?y/./x": "http://a/b/c/g?y/./x",
		"g?y/../x": "http://a/b/c/g?y/../x", "g#s/./x": "http://a/b/c/g#s/./x", "g#s/../x": "http://a/b/c/g#s/../x",
		"http:g": "http:g",
	}
	for ref, want := range cases {
		if got := ResolveIRI(base, ref); got != want {
			t.Errorf("resolve %q = %q, want %q", ref, got, want)
		}
	}
}

func TestLiteralObject(t *testing.T) {
	ts := func(s string, p storage.Precision) storage.Object {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return storage.ATimestamp(v, p)
	}
	x := func(local string) string { return XSDNS + local }
	cases := []struct {
		lex, dt, lang string
		want          storage.Object
	}{
		{"chat", "", "fr", storage.AString("chat", "fr")},
		{"plain", XSDString, "", storage.AString("plain", "")},
		{"42", x("integer"), "", storage.AInt64(42, 0)},
		{"+42", x("int"), "", storage.AInt64(42, 0)},
		{"-9223372036854775808", x("long"), "", storage.AInt64(math.MinInt64, 0)},
		{"9223372036854775808", x("integer"), "", storage.AString("9223372036854775808", "")},
		{"300", x("byte"), "", storage.AString("300", "")},
		{"-1", x("nonNegativeInteger"), "", storage.AString("-1", "")},
		{"4294967295", x("unsignedInt"), "", storage.AInt64(4294967295, 0)},
		{"1.5", x("decimal"), "", storage.AFloat64(1.5, 0)},
		{"1e3", x("decimal"), "", storage.AString("1e3", "")},
		{"-1.5E-2", x("double"), "", storage.AFloat64(-0.015, 0)},
		{".5", x("float"), "", storage.AFloat64(0.5, 0)},
		{"INF", x("double"), "", storage.AFloat64(math.Inf(1), 0)},
		{"NaN", x("double"), "", storage.AString("NaN", "")},
		{"inf", x("double"), "", storage.AString("inf", "")},
		{"true", x("boolean"), "", storage.ABool(true)},
		{"0", x("boolean"), "", storage.ABool(false)},
		{"yes", x("boolean"), "", storage.AString("yes", "")},
		{"2004-04-12T13:20:00-05:00", x("dateTime"), "", ts("2004-04-12T18:20:00Z", storage.PrecisionSecond)},
		{"2004-04-12T13:20:15.5", x("dateTime"), "", ts("2004-04-12T13:20:15.5Z", storage.PrecisionNanosecond)},
		{"1999-12-31T24:00:00Z", x("dateTime"), "", ts("2000-01-01T00:00:00Z", storage.PrecisionSecond)},
		{"2004-02-30T00:00:00Z", x("dateTime"), "", storage.AString("2004-02-30T00:00:00Z", "")},
		{"2004-02-29", x("date"), "", ts("2004-02-29T00:00:00Z", storage.PrecisionDay)},
		{"2004-02+14:00", x("gYearMonth"), "", ts("2004-02-01T00:00:00Z", storage.PrecisionMonth)},
		{"2004", x("gYear"), "", ts("2004-01-01T00:00:00Z", storage.PrecisionYear)},
		{"04", x("gYear"), "", storage.AString("04", "")},
		{"P1Y", x("duration"), "", storage.AString("P1Y", "")},
		{"<b>x</b>", RDFNS + "HTML", "", storage.AString("<b>x</b>", "")},
	}
	for _, c := range cases {
		got := LiteralObject(NewLiteral(c.lex, c.dt, c.lang))
		if got.Kind != c.want.Kind || storage.CompareObjects(got, c.want) != 0 {
			t.Errorf("%q^^%s@%s = %+v, want the value %+v", c.lex, c.dt, c.lang, got, c.want)
		}
		checkRoundTrip(t, NewLiteral(c.lex, c.dt, c.lang))
	}
}

func TestMapper(t *testing.T) {
	tr := Triple{S: NewBlank("b"), P: NewIRI("http://p"), O: NewLiteral("1", XSDInteger, ""), Pos: Position{3, 4}}
	q := Mapper{}.Quad(tr)
	if b, ok := q.Subject.(*parser.BlankNode); !ok || b.Name != "b" {
		t.Fatalf("subject = %#v, want blank node b", q.Subject)
	}
	if e, ok := q.Predicate.(*parser.Entity); !ok || e.Name != "http://p" {
		t.Fatalf("predicate = %#v", q.Predicate)
	}
	if l, ok := q.Object.(*parser.Literal); !ok || l.Value != storage.AInt64(1, 0) || l.Unit != nil {
		t.Fatalf("object = %#v", q.Object)
	}
	if q.Pos != (parser.Position{Line: 3, Col: 4}) {
		t.Fatalf("position = %v", q.Pos)
	}
	q = Mapper{LoadID: "x1"}.Quad(tr)
	if e, ok := q.Subject.(*parser.Entity); !ok || e.Name != "_:load-x1-b" {
		t.Fatalf("subject in a load = %#v, want entity _:load-x1-b", q.Subject)
	}
}

func TestParseInsert(t *testing.T) {
	ins, err := ParseInsert("turtle;load=abc;base=http://x/", "<a> <b> _:c , 'd'@en .")
	if err != nil {
		t.Fatal(err)
	}
	if len(ins.Facts) != 2 || ins.Facts[0].Subject.(*parser.Entity).Name != "http://x/a" ||
		ins.Facts[0].Object.(*parser.Entity).Name != "_:load-abc-c" {
		t.Fatalf("facts = %+v", ins.Facts)
	}
	for _, bad := range []string{"ntriples;load=a b", "ntriples;base=http://x/", "turtle;base=rel", "rdfxml", "ntriples;x=1"} {
		if _, err := ParseInsert(bad, ""); err == nil {
			t.Errorf("format %q accepted", bad)
		}
	}
	_, err = ParseInsert("ntriples", "<http://a> <http://b> <http://c> .\n<http://a> <http://b> .\n")
	if err == nil || !strings.HasPrefix(err.Error(), "line 2, column 23:") {
		t.Fatalf("error = %v, want one at line 2, column 23", err)
	}
}

// TestIsomorphicRejects makes sure the graph comparison the W3C suite
// relies on can fail.
func TestIsomorphicRejects(t *testing.T) {
	p := NewIRI("http://p")
	a := []Triple{{S: NewBlank("x"), P: p, O: NewBlank("y")}, {S: NewBlank("y"), P: p, O: NewBlank("x")}}
	b := []Triple{{S: NewBlank("x"), P: p, O: NewBlank("y")}, {S: NewBlank("y"), P: p, O: NewBlank("z")}}
	c := []Triple{{S: NewBlank("m"), P: p, O: NewBlank("n")}, {S: NewBlank("n"), P: p, O: NewBlank("m")}}
	if isomorphic(a, b) || !isomorphic(a, c) {
		t.Fatal("isomorphism check is wrong")
	}
}

// seeds adds every file of the W3C suites to a fuzz corpus.
func seeds(f *testing.F, glob string) {
	files, err := filepath.Glob(glob)
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
}

// readUntilDone reads triples until EOF or an error, which must be an
// *Error, and checks the reader never panics.
func readUntilDone(t *testing.T, r Reader) {
	for {
		_, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || perr.Pos.Line < 1 || perr.Pos.Col < 1 {
				t.Fatalf("error %v has no position", err)
			}
			return
		}
	}
}

func FuzzNTriples(f *testing.F) {
	seeds(f, "testdata/w3c/rdf-n-triples/*.nt")
	f.Fuzz(func(t *testing.T, in string) { readUntilDone(t, NewNTriplesReader(strings.NewReader(in))) })
}

func FuzzTurtle(f *testing.F) {
	seeds(f, "testdata/w3c/rdf-turtle/*.ttl")
	f.Fuzz(func(t *testing.T, in string) {
		readUntilDone(t, NewTurtleReader(strings.NewReader(in), "http://example/base/"))
	})
}

func BenchmarkNTriples(b *testing.B) {
	line := `<http://www.Department0.University0.edu/GraduateStudent12> <http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#emailAddress> "GraduateStudent12@Department0.University0.edu" .` + "\n"
	data := strings.Repeat(line, 10000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ReadAll(NewNTriplesReader(strings.NewReader(data))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTurtle(b *testing.B) {
	data := "@prefix ub: <http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#> .\n" +
		strings.Repeat("<http://www.Department0.University0.edu/GraduateStudent12> a ub:GraduateStudent ; ub:name \"GraduateStudent12\" .\n", 5000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ReadAll(NewTurtleReader(strings.NewReader(data), "")); err != nil {
			b.Fatal(err)
		}
	}
}
