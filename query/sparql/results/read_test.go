package results

import (
	"strings"
	"testing"
)

const rsPrefix = "@prefix rs: <http://www.w3.org/2001/sw/DataAccess/tests/result-set#> .\n"

func TestReadTurtleResultSetOrderAndBoolean(t *testing.T) {
	ordered := rsPrefix + `[] a rs:ResultSet ; rs:resultVariable "x" ;
	  rs:solution [ rs:index 2 ; rs:binding [ rs:variable "x" ; rs:value "second" ] ] ,
	              [ rs:index 1 ; rs:binding [ rs:variable "x" ; rs:value "first" ] ] ,
	              [ rs:index 3 ] .`
	got, err := ReadTurtleResultSet(strings.NewReader(ordered), "http://example.org/")
	if err != nil {
		t.Fatal(err)
	}
	want := sel("x", Solution{"x": str("first")}, Solution{"x": str("second")}, Solution{})
	if err := Compare(want, got, CompareOptions{Ordered: true}); err != nil {
		t.Error(err)
	}
	ask, err := ReadTurtleResultSet(strings.NewReader(rsPrefix+"[] a rs:ResultSet ; rs:boolean false ."), "")
	if err != nil || !ask.IsBoolean || ask.Boolean {
		t.Errorf("rs:boolean false read as %+v, %v", ask, err)
	}
}

func TestReadersRefuseBadInput(t *testing.T) {
	cases := []struct {
		f    Format
		text string
	}{
		{JSON, `{"head":{"vars":["a"]}}`},
		{JSON, `{"head":{"vars":["a"]},"results":{"bindings":[{"b":{"type":"uri","value":"x"}}]}}`},
		{JSON, `{"head":{"vars":["a"]},"results":{"bindings":[{"a":{"type":"triple","value":"x"}}]}}`},
		{JSON, `{"head":{"vars":["a","a"]},"results":{"bindings":[]}}`},
		{JSON, `{"head":{"vars":["a"]},"results":{"bindings":[{"a":{"type":"literal","value":"x","xml:lang":"en","datatype":"http://x"}}]}}`},
		{XML, `<sparql><head><variable name="a"/></head><results><result><binding name="a"><uri>x</uri><bnode>y</bnode></binding></result></results></sparql>`},
		{XML, `<sparql><head/><boolean>maybe</boolean></sparql>`},
		{XML, `<sparql><head/>`},
		{CSV, "a,b\r\n1\r\n"},
		{TSV, "a\n"},
		{TSV, "?a\t?b\n<x>\n"},
		{TSV, "?a\nbare\n"},
		{TSV, "?a\n\"x\" . <a> <b> <c>\n"},
		{TSV, "?a\n<http://x> <http://y>\n"},
		{TSV, ""},
	}
	for _, c := range cases {
		if r, err := Read(c.f, strings.NewReader(c.text)); err == nil {
			t.Errorf("%s %q read as %+v, want an error", c.f, c.text, r)
		}
	}
}
