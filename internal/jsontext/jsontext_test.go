package jsontext

import (
	"bytes"
	"testing"
)

func TestNoHTMLEscapes(t *testing.T) {
	v := map[string]string{"query": "SELECT * WHERE { <http://a> ?p ?o } # a & b"}
	want := `{"query":"SELECT * WHERE { <http://a> ?p ?o } # a & b"}`
	b, err := Marshal(v)
	if err != nil || string(b) != want {
		t.Errorf("Marshal = %s, %v; want %s", b, err, want)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, v, true); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"query\": \"SELECT * WHERE { <http://a> ?p ?o } # a & b\"\n}\n"; buf.String() != want {
		t.Errorf("Encode = %q, want %q", buf.String(), want)
	}
}
