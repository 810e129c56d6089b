package parser

import (
	"reflect"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/storage"
)

func TestParseInsertExampleData(t *testing.T) {
	ins, err := ParseInsert(exampleData)
	if err != nil {
		t.Fatal(err)
	}
	// The file has 27 fact lines: 24 base facts, the UK fact and its two
	// metafacts.
	if len(ins.Facts) != 27 {
		t.Fatalf("got %d facts, want 27", len(ins.Facts))
	}
	checks := map[int]*Quad{
		0:  quad(at(1, 1), e("John_Scalzi"), e("rdfs:label"), str("John Scalzi", "en")),
		8:  quad(at(10, 1), e("California"), e("locatedIn"), e("USA")),
		17: quad(at(20, 1), e("NU7100"), e("size"), unitInt(40, e("inch"))),
		24: {Pos: at(28, 1), ID: v("ukFact"), Subject: e("UK"), Predicate: e("memberOf"), Object: e("EuropeanUnion")},
		25: quad(at(29, 5), v("ukFact"), e("validFrom"), ts(1973, 1, 1, 0, 0, 0, 0, storage.PrecisionDay)),
		26: quad(at(30, 5), v("ukFact"), e("validUntil"), ts(2019, 3, 29, 23, 0, 0, 0, storage.PrecisionSecond)),
	}
	for i, want := range checks {
		if got := ins.Facts[i]; !reflect.DeepEqual(got, want) {
			t.Errorf("fact %d:\n got %s\nwant %s", i, dumpQuad(got), dumpQuad(want))
		}
	}
	for i, f := range ins.Facts[:24] {
		if f.ID != nil || f.Optional {
			t.Errorf("fact %d: unexpected ID %s or optional %v", i, dumpTerm(f.ID), f.Optional)
		}
	}
	if _, err := ParseDelete(exampleData); err != nil {
		t.Errorf("ParseDelete: %v", err)
	}
}

func TestParseInsertTerms(t *testing.T) {
	text := "# header comment\n" +
		"_:b\tfoaf:name\t\"Bob\"\n" +
		"#50 <color> #52 .\n" +
		"?f _:b <likes> <tea>\n" +
		"\t<alice> <doubts> ?f # trailing comment\n" +
		"<x> <y> '2019-03-22T10:11:12.5'\n" +
		"<x> <y> -1.5e-3^^#9\n" +
		"<x> <y> \"a\\tb\"@fr-CA\n" +
		"<x> <y> false\n"
	want := []*Quad{
		quad(at(2, 1), &BlankNode{Name: "b"}, e("foaf:name"), str("Bob", "")),
		quad(at(3, 1), kid(50), e("color"), kid(52)),
		{Pos: at(4, 1), ID: v("f"), Subject: &BlankNode{Name: "b"}, Predicate: e("likes"), Object: e("tea")},
		quad(at(5, 2), e("alice"), e("doubts"), v("f")),
		quad(at(6, 1), e("x"), e("y"), lit(storage.ATimestamp(time.Date(2019, 3, 22, 10, 11, 12, 5e8, time.UTC), storage.PrecisionNanosecond))),
		quad(at(7, 1), e("x"), e("y"), &Literal{Value: storage.AFloat64(-1.5e-3, 0), Unit: kid(9)}),
		quad(at(8, 1), e("x"), e("y"), str("a\tb", "fr-CA")),
		quad(at(9, 1), e("x"), e("y"), lit(storage.ABool(false))),
	}
	ins, err := ParseInsert(text)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ins.Facts, want) {
		t.Errorf("got %s\nwant %s", dumpQuery(&Query{Where: ins.Facts}), dumpQuery(&Query{Where: want}))
	}
}

func TestParseInsertEmpty(t *testing.T) {
	for _, text := range []string{"", "\n\n", "# just a comment\n  \n"} {
		ins, err := ParseInsert(text)
		if err != nil || len(ins.Facts) != 0 {
			t.Errorf("%q: got %v, %v; want no facts", text, ins, err)
		}
	}
}

func TestParseInsertErrors(t *testing.T) {
	tests := []errorCase{
		{"<a> <b> <c>\n<d> <e> <f>\n\n# c\n<g> <h> <i>\n<j> <k> <l>\n<m> <n>\n<o> <p> <q>", []string{"line 7, column 1", "expected 3 or 4 fields, found 2"}},
		{"<a> <b> <c>\n\t<a> <b> <c> <d> <e>", []string{"line 2, column 2", "expected 3 or 4 fields, found 5"}},
		{"<a> <b> <c>\n<a> <b> \"x\n", []string{"line 2, column 9", "unterminated string"}},
		{"<a> <b> <c>\n<a> <b> '2019-02-29'", []string{"line 2, column 9", "day 29 is out of range for February 2019"}},
		{"<a> <b> <c>\n<a> <b> 99999999999999999999", []string{"line 2, column 9", "out of range"}},
		{"<a> <b> ?x", []string{"line 1, column 9", "variable ?x is not bound"}},
		{"?f <a> <b> ?f", []string{"line 1, column 12", "variable ?f is not bound"}},
		{"?f <a> <b> <c>\n?f <a> <b> <d>", []string{"line 2, column 1", "?f is already bound on line 1"}},
		{"?f <a> <b> <c>\n<x> ?f <d>", []string{"line 2, column 5", "?f cannot be the predicate"}},
		{"<f> <a> <b> <c>", []string{"line 1, column 1", "fact ID field must be a variable"}},
		{"#5 <a> <b> <c>", []string{"fact ID field must be a variable"}},
		{"_:f <a> <b> <c>", []string{"blank node _:f cannot be a fact ID"}},
		{"<a> _:p <c>", []string{"blank node _:p cannot be the predicate"}},
		{"<a> <gt> <c>", []string{"line 1, column 5", "operator <gt> is not allowed in insert data"}},
		{"<a> <b> { <c> }", []string{"line 1, column 9", "sets are not allowed in insert data"}},
		{"<a> <b>? <c>", []string{"line 1, column 8", "optional marker '?' is not allowed"}},
		{"\"a\" <b> <c>", []string{"a literal cannot be the subject"}},
		{"<a> 5 <c>", []string{"a literal cannot be the predicate"}},
		{"<a> <b> <c> <d> <e> <f>", []string{"expected 3 or 4 fields, found 6"}},
		{"<a> <b> <c> . <d> <e> <f>", []string{"line 1, column 15", "expected end of line", "one fact per line"}},
		{"<a> <b> <c>\n}", []string{"line 2, column 1", "unexpected '}'"}},
		{"<a> <b> <c> }", []string{"line 1, column 13", "expected end of line"}},
		{"SELECT * WHERE", []string{"line 1, column 1", "unknown keyword 'SELECT'"}},
		{"<a> <b> c", []string{"line 1, column 9", "unexpected word 'c'", "<c>"}},
		{"<a> <b> <c>\n<a>\t<b>\t<c\td>", []string{"line 2, column 9", "missing its closing '>'"}},
	}
	checkErrors(t, func(s string) error { _, err := ParseInsert(s); return err }, tests)
}

func TestParseDeleteRefusesBlankNodes(t *testing.T) {
	tests := []errorCase{
		{"<a> <b> <c>\n_:b <p> <o>", []string{"line 2, column 1", "blank node _:b is not allowed in delete data"}},
		{"<a> <b> _:c", []string{"line 1, column 9", "not allowed in delete data"}},
		{"<a> <b>", []string{"line 1, column 1", "expected 3 or 4 fields, found 2"}},
	}
	checkErrors(t, func(s string) error { _, err := ParseDelete(s); return err }, tests)
	ins, err := ParseDelete("?f <a> <b> <c>\n ?f <src> #7")
	if err != nil || len(ins.Facts) != 2 {
		t.Errorf("got %v, %v; want 2 facts", ins, err)
	}
}
