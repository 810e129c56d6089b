package parser

import (
	"strings"
	"testing"
)

func TestParseUpdate(t *testing.T) {
	up, err := ParseUpdate(`DELETE DATA {
    <simon> <givenName> "Simone"
} ;
INSERT DATA {
    <simon> <givenName> "Simon"
    _:b <likes> <simon>
}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Delete.Facts) != 1 || len(up.Insert.Facts) != 2 {
		t.Fatalf("got %d deletes and %d inserts, want 1 and 2", len(up.Delete.Facts), len(up.Insert.Facts))
	}
	if up.Insert.Facts[0].Pos.Line != 5 {
		t.Fatalf("insert fact on line %d, want 5", up.Insert.Facts[0].Pos.Line)
	}
	only, err := ParseUpdate("INSERT DATA { <a> <b> <c> }")
	if err != nil || len(only.Insert.Facts) != 1 || len(only.Delete.Facts) != 0 {
		t.Fatalf("insert-only update: %+v, %v", only, err)
	}
}

func TestParseUpdateErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"", "needs DELETE DATA"},
		{"DELETE DATA { _:b <p> <o> }", "blank"},
		{"DELETE DATA { <a> <b> <c>", "missing '}'"},
		{"INSERT DATA { <a> <b> }", "line 1"},
		{"INSERT DATA { <a> <b> <c> } ; DELETE DATA { <a> <b> <c> }", "line 1"},
		{"UPSERT DATA { <a> <b> <c> }", "DELETE DATA"},
	} {
		_, err := ParseUpdate(c.text)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseUpdate(%q) = %v, want an error containing %q", c.text, err, c.want)
		}
	}
}
