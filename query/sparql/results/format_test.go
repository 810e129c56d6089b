package results

import (
	"errors"
	"testing"
)

func TestNegotiate(t *testing.T) {
	cases := []struct {
		accept string
		want   Format
	}{
		{"", JSON},
		{"*/*", JSON},
		{"application/sparql-results+xml", XML},
		{"application/sparql-results+json", JSON},
		{"text/csv", CSV},
		{"text/tab-separated-values", TSV},
		{"TEXT/CSV; charset=utf-8", CSV},
		{"application/sparql-results+xml;q=0.5, application/sparql-results+json;q=0.9", JSON},
		{"application/sparql-results+json;q=0.5, application/sparql-results+xml", XML},
		{"text/*", CSV},
		{"text/*;q=0.5, text/tab-separated-values", TSV},
		{"text/*, text/tab-separated-values", CSV}, // equal quality: the server's order
		{"text/*;q=0.9, text/csv;q=0.1", TSV},
		{"application/json", JSON},
		{"application/xml, text/html;q=0.9", XML},
		{"text/html, */*;q=0.1", JSON},
		{"*/*, application/sparql-results+json;q=0", XML},
		{"application/sparql-results+json, , text/csv", JSON},
	}
	for _, c := range cases {
		got, err := Negotiate(c.accept)
		if err != nil || got != c.want {
			t.Errorf("Negotiate(%q) = %v, %v; want %v", c.accept, got, err, c.want)
		}
	}
}

func TestNegotiateNotAcceptable(t *testing.T) {
	for _, accept := range []string{
		"text/html",
		"image/png, text/html;q=0.5",
		"*/*;q=0",
		"text/csv;q=2",
		"text/csv;q=high",
		"nonsense",
		"*/csv",
	} {
		_, err := Negotiate(accept)
		var na *NotAcceptableError
		if !errors.As(err, &na) {
			t.Errorf("Negotiate(%q) = %v, want a NotAcceptableError", accept, err)
		}
	}
}

func TestFormatByNameAndChoose(t *testing.T) {
	for name, want := range map[string]Format{
		"json": JSON, "XML": XML, " csv ": CSV, "tsv": TSV,
		"application/sparql-results+json": JSON, "text/tab-separated-values": TSV,
	} {
		if got, err := FormatByName(name); err != nil || got != want {
			t.Errorf("FormatByName(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	if _, err := FormatByName("yaml"); err == nil {
		t.Error("FormatByName(yaml) succeeded")
	}
	if f, err := Choose("csv", "application/sparql-results+xml"); err != nil || f != CSV {
		t.Errorf("Choose: the format parameter should win, got %v, %v", f, err)
	}
	if f, err := Choose("", "application/sparql-results+xml"); err != nil || f != XML {
		t.Errorf("Choose without a parameter = %v, %v; want XML", f, err)
	}
}

func TestContentTypes(t *testing.T) {
	for _, f := range allFormats() {
		got, err := FormatByName(f.MediaType())
		if err != nil || got != f {
			t.Errorf("%s's media type %q names %v", f, f.MediaType(), got)
		}
		if f.ContentType() != f.MediaType()+"; charset=utf-8" {
			t.Errorf("%s content type %q", f, f.ContentType())
		}
	}
}
