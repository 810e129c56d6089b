package rdf

import (
	"bytes"
	"strings"
	"testing"
)

func TestTurtleWriterRoundTrip(t *testing.T) {
	in := `<http://a/s> <http://a/p> "x\"y\n"@en .
<http://a/s> <http://a/q> "01"^^<http://www.w3.org/2001/XMLSchema#integer> .
_:b1 <http://a/p> <http://a/s> .
<http://a/s> <http://a/p> "é\u00E9" .
`
	want, err := ReadAll(NewNTriplesReader(strings.NewReader(in)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := NewTurtleWriter(&buf)
	for _, tr := range want {
		if err := w.Write(tr); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), " ;\n"); n != 1 {
		t.Errorf("want the first two triples in one statement, got %d continuations:\n%s", n, buf.String())
	}
	got, err := ReadAll(NewTurtleReader(&buf, ""))
	if err != nil {
		t.Fatalf("reading back %q: %v", buf.String(), err)
	}
	if len(got) != len(want) {
		t.Fatalf("read back %d triples, want %d", len(got), len(want))
	}
	for i := range want {
		if FormatTriple(got[i]) != FormatTriple(want[i]) {
			t.Errorf("triple %d: got %s, want %s", i, FormatTriple(got[i]), FormatTriple(want[i]))
		}
	}
}
