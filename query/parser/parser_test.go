package parser

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/storage"
)

// Short constructors keep the expected syntax trees readable.
func v(name string) *Variable   { return &Variable{Name: name} }
func e(name string) *Entity     { return &Entity{Name: name} }
func kid(id uint64) *KID        { return &KID{ID: id} }
func op(o Op) *Operator         { return &Operator{Op: o} }
func lit(o storage.Object) Term { return &Literal{Value: o} }
func at(line, col int) Position { return Position{Line: line, Col: col} }
func str(s, lang string) Term   { return lit(storage.AString(s, lang)) }
func u64(n uint64) *uint64      { return &n }

func quad(pos Position, s, p, o Term) *Quad {
	return &Quad{Pos: pos, Subject: s, Predicate: p, Object: o}
}

func day(y int, m time.Month, d int) Term {
	return lit(storage.ATimestamp(time.Date(y, m, d, 0, 0, 0, 0, time.UTC), storage.PrecisionDay))
}

func unitInt(n int64, unit Term) Term {
	return &Literal{Value: storage.AInt64(n, 0), Unit: unit}
}

// docQueryDir is where the manual's examples live in this workspace; the
// test that compares them to the embedded copies skips when it is absent.
const docQueryDir = "/work/shared/reference/akutan-docs/query"

func TestDocQueriesMatchFiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(docQueryDir, "*.bql"))
	if len(files) == 0 {
		t.Skipf("no .bql files in %s", docQueryDir)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := docQueries[filepath.Base(f)]; got != string(data) {
			t.Errorf("embedded copy of %s is out of date", f)
		}
		if _, err := ParseQuery(string(data)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	data, err := os.ReadFile(filepath.Join(docQueryDir, "example_data.tsv"))
	if err == nil && string(data) != exampleData {
		t.Errorf("embedded copy of example_data.tsv is out of date")
	}
}

func TestDocQueriesParse(t *testing.T) {
	forms := map[string]Form{"ask_01.bql": FormAsk, "cmp_02.bql": FormAsk}
	for name, text := range docQueries {
		q, err := ParseQuery(text)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want := forms[name]
		if want == 0 {
			want = FormSelect
		}
		if q.Form != want || len(q.Where) == 0 {
			t.Errorf("%s: form %v with %d patterns, want form %v", name, q.Form, len(q.Where), want)
		}
	}
}

func TestDocQueryASTs(t *testing.T) {
	tvWhere := []*Quad{
		quad(at(2, 5), v("tv"), e("rdf:type"), e("TV")),
		quad(at(3, 5), v("tv"), e("manufacturer"), e("Samsung")),
		quad(at(4, 5), v("tv"), e("size"), v("size")),
	}
	shift := func(quads []*Quad, lines int) []*Quad {
		var out []*Quad
		for _, q := range quads {
			c := *q
			c.Pos.Line += lines
			out = append(out, &c)
		}
		return out
	}
	tvSelect := []SelectItem{{Var: v("tv")}, {Var: v("size")}}
	descSize := []OrderKey{{Var: v("size"), Desc: true}}
	tests := map[string]*Query{
		"fp_01.bql": {Form: FormSelect, Star: true, Where: []*Quad{
			quad(at(2, 5), v("person"), e("rdfs:label"), str("John Scalzi", "en")),
			quad(at(3, 5), v("person"), e("born"), v("place")),
		}},
		"fp_03.bql": {Form: FormSelect, Star: true, Where: []*Quad{
			tvWhere[0], tvWhere[1],
			quad(at(4, 5), v("tv"), e("size"), unitInt(65, e("inch"))),
		}},
		"cmp_02.bql": {Form: FormAsk, Where: []*Quad{
			{Pos: at(2, 5), ID: v("fact"), Subject: e("UK"), Predicate: e("memberOf"), Object: e("EuropeanUnion")},
			quad(at(3, 9), v("fact"), e("validUntil"), v("until")),
			quad(at(4, 9), v("fact"), e("validFrom"), v("from")),
			quad(at(5, 9), v("until"), op(OpGte), day(2019, 3, 22)),
			quad(at(6, 9), v("from"), op(OpLte), day(2019, 3, 22)),
		}},
		"opt_01.bql": {Form: FormSelect,
			Select: []SelectItem{{Var: v("person")}, {Var: v("bornWhere")}, {Var: v("livesWhere")}},
			Where: []*Quad{
				quad(at(2, 5), v("person"), e("born"), v("bornWhere")),
				quad(at(3, 5), v("bornWhere"), e("locatedIn"), e("USA")),
				{Pos: at(4, 5), Subject: v("person"), Predicate: e("lives"), Object: v("livesWhere"), Optional: true},
			}},
		"count_01.bql": {Form: FormSelect,
			Select: []SelectItem{{Var: v("num"), Count: &Aggregate{Of: v("person")}}},
			Where: []*Quad{
				quad(at(2, 5), v("person"), e("born"), v("place")),
				quad(at(3, 5), v("place"), e("locatedIn"), e("USA")),
			}},
		"d_02.bql": {Form: FormSelect, Distinct: true, Select: []SelectItem{{Var: v("manf")}}, Where: []*Quad{
			quad(at(2, 5), v("p"), e("rdf:type"), e("TV")),
			quad(at(3, 5), v("p"), e("manufacturer"), v("manf")),
		}},
		"order_01.bql": {Form: FormSelect, Select: tvSelect, Where: shift(tvWhere, 1), OrderBy: descSize},
		"limit_01.bql": {Form: FormSelect, Select: tvSelect, Where: tvWhere, OrderBy: descSize, Limit: u64(1)},
		"limit_02.bql": {Form: FormSelect, Select: tvSelect, Where: tvWhere, OrderBy: descSize, Limit: u64(1), Offset: 1},
		"set_01.bql": {Form: FormSelect, Select: []SelectItem{{Var: v("person")}}, Where: []*Quad{
			quad(at(2, 5), v("person"), e("born"), v("place")),
			quad(at(3, 5), v("place"), e("locatedIn"), v("where")),
			quad(at(4, 5), v("where"), op(OpIn), &Set{Values: []Term{e("Maryland"), e("South_Carolina")}}),
		}},
	}
	for name, want := range tests {
		got, err := ParseQuery(docQueries[name])
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, dumpQuery(got), dumpQuery(want))
		}
	}
}

// dumpQuery prints a query with its quads expanded, for failure messages.
func dumpQuery(q *Query) string {
	var b strings.Builder
	c := *q
	c.Where = nil
	b.WriteString(strings.ReplaceAll(fmt.Sprintf("%+v", c), "0x", ""))
	for _, quad := range q.Where {
		b.WriteString("\n    " + dumpQuad(quad))
	}
	return b.String()
}

func dumpQuad(q *Quad) string {
	return fmt.Sprintf("%v id=%s s=%s p=%s o=%s opt=%v", q.Pos,
		dumpTerm(q.ID), dumpTerm(q.Subject), dumpTerm(q.Predicate), dumpTerm(q.Object), q.Optional)
}

func dumpTerm(t Term) string {
	switch t := t.(type) {
	case nil:
		return "nil"
	case *Literal:
		return fmt.Sprintf("Literal{%+v unit=%s}", t.Value, dumpTerm(t.Unit))
	case *Set:
		var parts []string
		for _, m := range t.Values {
			parts = append(parts, dumpTerm(m))
		}
		return "Set{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprintf("%T%+v", t, t)
}

func TestParseQueryForms(t *testing.T) {
	tests := []struct {
		name string
		text string
		want *Query
	}{
		{"bare facts", "?s <p> ?o\n  <a> rdf:type ?t .\n", &Query{Form: FormFacts, Where: []*Quad{
			quad(at(1, 1), v("s"), e("p"), v("o")),
			quad(at(2, 3), e("a"), e("rdf:type"), v("t")),
		}}},
		{"one-line where with dots", "select ?s where { ?s <p> ?o . ?o <q> #12 }", &Query{Form: FormSelect,
			Select: []SelectItem{{Var: v("s")}},
			Where: []*Quad{
				quad(at(1, 19), v("s"), e("p"), v("o")),
				quad(at(1, 31), v("o"), e("q"), kid(12)),
			}}},
		{"count star, offset before limit", "SELECT (COUNT(*) AS ?n) WHERE {\n#1 <p> ?o\n}\nORDER BY ?n OFFSET 5 LIMIT 0", &Query{
			Form:    FormSelect,
			Select:  []SelectItem{{Var: v("n"), Count: &Aggregate{}}},
			Where:   []*Quad{quad(at(2, 1), kid(1), e("p"), v("o"))},
			OrderBy: []OrderKey{{Var: v("n")}},
			Limit:   u64(0),
			Offset:  5,
		}},
		{"ask without where, comments", "# header\nASK {\n  # inside\n  ?s ?p ?o # trailing\n}\n# footer", &Query{
			Form: FormAsk, Where: []*Quad{quad(at(4, 3), v("s"), v("p"), v("o"))},
		}},
		{"order keys", "SELECT * WHERE { ?a <p> ?b\n?b <q> ?c }\nORDER BY ?a DESC(?b) asc(?c)", &Query{
			Form: FormSelect, Star: true,
			Where:   []*Quad{quad(at(1, 18), v("a"), e("p"), v("b")), quad(at(2, 1), v("b"), e("q"), v("c"))},
			OrderBy: []OrderKey{{Var: v("a")}, {Var: v("b"), Desc: true}, {Var: v("c")}},
		}},
		{"multi-line select list", "SELECT\n ?a\n ?b\nWHERE\n{\n?a <p> ?b\n}", &Query{
			Form: FormSelect, Select: []SelectItem{{Var: v("a")}, {Var: v("b")}},
			Where: []*Quad{quad(at(6, 1), v("a"), e("p"), v("b"))},
		}},
		{"variable predicate optional", "?s ?p? ?o", &Query{Form: FormFacts, Where: []*Quad{
			{Pos: at(1, 1), Subject: v("s"), Predicate: v("p"), Object: v("o"), Optional: true},
		}}},
		{"optional then variable without space", "?s <p>??o", &Query{Form: FormFacts, Where: []*Quad{
			{Pos: at(1, 1), Subject: v("s"), Predicate: e("p"), Object: v("o"), Optional: true},
		}}},
		{"CRLF line ends", "SELECT * WHERE {\r\n ?s <p> ?o\r\n}\r\n", &Query{Form: FormSelect, Star: true,
			Where: []*Quad{quad(at(2, 2), v("s"), e("p"), v("o"))}}},
		{"operators", "?a <eq> ?b\n?a <notEqual> 1\n?a <lt> 2.5\n?a <gte> -3\n?a <in> {1,\n 2}", &Query{Form: FormFacts, Where: []*Quad{
			quad(at(1, 1), v("a"), op(OpEq), v("b")),
			quad(at(2, 1), v("a"), op(OpNotEqual), lit(storage.AInt64(1, 0))),
			quad(at(3, 1), v("a"), op(OpLt), lit(storage.AFloat64(2.5, 0))),
			quad(at(4, 1), v("a"), op(OpGte), lit(storage.AInt64(-3, 0))),
			quad(at(5, 1), v("a"), op(OpIn), &Set{Values: []Term{lit(storage.AInt64(1, 0)), lit(storage.AInt64(2, 0))}}),
		}}},
	}
	for _, tc := range tests {
		got, err := ParseQuery(tc.text)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, dumpQuery(got), dumpQuery(tc.want))
		}
	}
}

func ts(y int, mo time.Month, d, h, mi, s, ns int, p storage.Precision) Term {
	return lit(storage.ATimestamp(time.Date(y, mo, d, h, mi, s, ns, time.UTC), p))
}

func TestObjectTerms(t *testing.T) {
	tests := []struct {
		text string
		want Term
	}{
		{`<John_Scalzi>`, e("John_Scalzi")},
		{`<a<b:c/d?e#f>`, e("a<b:c/d?e#f")},
		{`<日本>`, e("日本")},
		{`rdfs:label`, e("rdfs:label")},
		{`my-ns:a.b-c_d`, e("my-ns:a.b-c_d")},
		{`#1052`, kid(1052)},
		{`#18446744073709551615`, kid(math.MaxUint64)},
		{`?x`, v("x")},
		{`?名前_1`, v("名前_1")},
		{`"John Scalzi"@en`, str("John Scalzi", "en")},
		{`"colour"@en-GB`, str("colour", "en-GB")},
		{`"x"@zh-Hant-2017`, str("x", "zh-Hant-2017")},
		{`""`, str("", "")},
		{`"a\"b\\c\nd\te\rf"`, str("a\"b\\c\nd\te\rf", "")},
		{`"\u00e9\U0001F600"`, str("é😀", "")},
		{`"# not a comment"`, str("# not a comment", "")},
		{`"日本語"`, str("日本語", "")},
		{`10`, lit(storage.AInt64(10, 0))},
		{`-5`, lit(storage.AInt64(-5, 0))},
		{`+7`, lit(storage.AInt64(7, 0))},
		{`-9223372036854775808`, lit(storage.AInt64(math.MinInt64, 0))},
		{`9223372036854775807`, lit(storage.AInt64(math.MaxInt64, 0))},
		{`42.0`, lit(storage.AFloat64(42, 0))},
		{`1.5e3`, lit(storage.AFloat64(1500, 0))},
		{`1E-2`, lit(storage.AFloat64(0.01, 0))},
		{`2e+3`, lit(storage.AFloat64(2000, 0))},
		{`-0.5`, lit(storage.AFloat64(-0.5, 0))},
		{`INF`, lit(storage.AFloat64(math.Inf(1), 0))},
		{`-INF`, lit(storage.AFloat64(math.Inf(-1), 0))},
		{`+inf`, lit(storage.AFloat64(math.Inf(1), 0))},
		{`true`, lit(storage.ABool(true))},
		{`false`, lit(storage.ABool(false))},
		{`20^^<inch>`, unitInt(20, e("inch"))},
		{`30^^uom:mm`, unitInt(30, e("uom:mm"))},
		{`30 ^^ #77`, unitInt(30, kid(77))},
		{`11.5^^<inch>`, &Literal{Value: storage.AFloat64(11.5, 0), Unit: e("inch")}},
		{`'2019'`, ts(2019, 1, 1, 0, 0, 0, 0, storage.PrecisionYear)},
		{`'2019-03'`, ts(2019, 3, 1, 0, 0, 0, 0, storage.PrecisionMonth)},
		{`'2019-03-22'`, ts(2019, 3, 22, 0, 0, 0, 0, storage.PrecisionDay)},
		{`'2019-03-22 14'`, ts(2019, 3, 22, 14, 0, 0, 0, storage.PrecisionHour)},
		{`'2017-11-30 14:30'`, ts(2017, 11, 30, 14, 30, 0, 0, storage.PrecisionMinute)},
		{`'2017-11-30T14:30:59'`, ts(2017, 11, 30, 14, 30, 59, 0, storage.PrecisionSecond)},
		{`'2017-11-30 14:30:00.123'`, ts(2017, 11, 30, 14, 30, 0, 123000000, storage.PrecisionNanosecond)},
		{`'2017-11-30 14:30:00.000000001'`, ts(2017, 11, 30, 14, 30, 0, 1, storage.PrecisionNanosecond)},
		{`'2020-02-29'`, ts(2020, 2, 29, 0, 0, 0, 0, storage.PrecisionDay)},
	}
	for _, tc := range tests {
		q, err := ParseQuery("?s <p> " + tc.text)
		if err != nil {
			t.Errorf("%s: %v", tc.text, err)
			continue
		}
		if got := q.Where[0].Object; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %s, want %s", tc.text, dumpTerm(got), dumpTerm(tc.want))
		}
	}
}

// errorCase is an input and the substrings its error must contain.
type errorCase struct {
	text string
	want []string
}

func checkErrors(t *testing.T, parse func(string) error, tests []errorCase) {
	t.Helper()
	for _, tc := range tests {
		err := parse(tc.text)
		if err == nil {
			t.Errorf("%q: no error, want %q", tc.text, tc.want)
			continue
		}
		var perr *Error
		if !errors.As(err, &perr) {
			t.Errorf("%q: error %v is %T, want *Error", tc.text, err, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q:\n error %q\n  want it to contain %q", tc.text, err, w)
			}
		}
	}
}

func TestParseQueryErrors(t *testing.T) {
	tests := []errorCase{
		{"", []string{"line 1, column 1", "empty query"}},
		{"# only a comment\n", []string{"line 2, column 1", "empty query"}},
		{"SELEC * WHERE { ?s <p> ?o }", []string{"line 1, column 1", "unknown keyword 'SELEC'"}},
		{"CONSTRUCT { ?s <p> ?o }", []string{"unknown keyword 'CONSTRUCT'"}},
		{"SELECT * WHER { ?s <p> ?o }", []string{"line 1, column 10", "unknown keyword 'WHER'", "expected WHERE or '{'"}},
		{"SELECT REDUCED ?s WHERE { ?s <p> ?o }", []string{"line 1, column 8", "unknown keyword 'REDUCED'"}},
		{"SELECT * WHERE { FILTER(?s) }", []string{"line 1, column 18", "unknown keyword 'FILTER'"}},
		{"ASK WHERE WHERE { ?s <p> ?o }", []string{"line 1, column 11", "unknown keyword 'WHERE'"}},
		{"SELECT * WHERE { ?s <p> ?o }\nLIMT 3", []string{"line 2, column 1", "unknown keyword 'LIMT'"}},
		{"SELECT WHERE { ?s <p> ?o }", []string{"line 1, column 8", "'*' or variables to select"}},
		{"SELECT * WHERE {\n ?s <p> \"abc\n}", []string{"line 2, column 9", "unterminated string"}},
		{`?s <p> "a\qb"`, []string{"line 1, column 10", `invalid escape \q`}},
		{`?s <p> "a\u12"`, []string{"line 1, column 10", `\u needs 4 hex digits`}},
		{`?s <p> "\uD800"`, []string{"line 1, column 9", "not a valid code point"}},
		{`?s <p> "\U00110000"`, []string{"not a valid code point"}},
		{`?s <p> "x"@`, []string{"line 1, column 11", "invalid language tag"}},
		{`?s <p> "x"@en-`, []string{"invalid language tag @en-"}},
		{`?s <p> "x"@1en`, []string{"invalid language tag"}},
		{`?s <p> "x"^^<string>`, []string{"line 1, column 11", "a string cannot have a unit"}},
		{"?s <p> '2019-02-30'", []string{"line 1, column 8", "invalid timestamp '2019-02-30':", "day 30 is out of range for February 2019"}},
		{"?s <p> '2019-13'", []string{"month 13 is out of range"}},
		{"?s <p> '2019-12-01 24'", []string{"hour 24 is out of range"}},
		{"?s <p> '2019-12-01 23:60'", []string{"minute 60 is out of range"}},
		{"?s <p> '2019-12-01 23:59:60'", []string{"second 60 is out of range"}},
		{"?s <p> '2019-12-01 23:59:59.1234567890'", []string{"1 to 9 digits"}},
		{"?s <p> '2019-12-01 23:59:59.'", []string{"1 to 9 digits"}},
		{"?s <p> '19'", []string{"invalid timestamp", "like '2019'"}},
		{"?s <p> '2019-3-22'", []string{"invalid timestamp"}},
		{"?s <p> '2019/03/22'", []string{"invalid timestamp"}},
		{"?s <p> ''", []string{"invalid timestamp"}},
		{"?s <p> '2019-03-22 14:30:00Z'", []string{"invalid timestamp"}},
		{"?s <p> '2019", []string{"line 1, column 8", "unterminated timestamp"}},
		{"?s <p> 9223372036854775808", []string{"line 1, column 8", "integer 9223372036854775808 is out of range"}},
		{"?s <p> 1e400", []string{"float 1e400 is out of range"}},
		{"?s <p> #18446744073709551616", []string{"KID #18446744073709551616 is out of range"}},
		{"?s <p> #0", []string{"KID #0 is not a valid entity"}},
		{"?s <p> #12a", []string{"invalid KID"}},
		{"?s <p> #x", []string{"'#' must start a KID"}},
		{"?s <p> 12abc", []string{"malformed number 12abc"}},
		{"?s <p> 1.2.3", []string{"malformed number 1.2.3"}},
		{"?s <p> 1e", []string{"malformed number 1e"}},
		{"?s <p> -", []string{"expected digits after sign"}},
		{"?s <p> -foo", []string{"malformed number -foo"}},
		{"?s <p> 5^^", []string{"line 1, column 11", "expected a unit entity"}},
		{"?s <p> 5^^<gt>", []string{"operator <gt> cannot be a unit"}},
		{"?s <p> 5^^\"x\"", []string{"expected a unit entity"}},
		{"?s <p> 5^<inch>", []string{"single '^'"}},
		{"?s <p> <abc", []string{"line 1, column 8", "missing its closing '>'"}},
		{"?s <p> <a b>", []string{"missing its closing '>'"}},
		{"?s <p> <>", []string{"empty entity name"}},
		{"?s <p> rdf:", []string{"missing its local name"}},
		{"?s <p> foo", []string{"line 1, column 8", "unexpected word 'foo'", "<foo>"}},
		{"?s <p> $x", []string{"unexpected character '$'"}},
		{"?s <p> ?o\xff", []string{"line 1, column 10", "invalid UTF-8"}},
		{"SELECT * WHERE {\n ?s <p> ?o\n", []string{"line 3, column 1", "missing '}'", "opened at line 1, column 16"}},
		{"SELECT * WHERE {\n}", []string{"line 1, column 16", "empty WHERE clause"}},
		{"ASK WHERE { }", []string{"empty WHERE clause"}},
		{"SELECT * WHERE ?s <p> ?o", []string{"expected '{'"}},
		{"SELECT ?x WHERE { ?s <p> ?o }", []string{"line 1, column 8", "?x is selected but not bound"}},
		{"SELECT ?s ?s WHERE { ?s <p> ?o }", []string{"line 1, column 11", "?s is selected twice"}},
		{"SELECT ?s (COUNT(?o) AS ?n) WHERE { ?s <p> ?o }", []string{"line 1, column 11", "cannot mix aggregate and non-aggregate"}},
		{"SELECT (COUNT(?o) AS ?n) ?s WHERE { ?s <p> ?o }", []string{"cannot mix aggregate and non-aggregate"}},
		{"SELECT (COUNT(?x) AS ?n) WHERE { ?s <p> ?o }", []string{"COUNT(?x) counts a variable not bound"}},
		{"SELECT (COUNT(?s) AS ?o) WHERE { ?s <p> ?o }", []string{"?o is already bound in WHERE"}},
		{"SELECT (SUM(?s) AS ?n) WHERE { ?s <p> ?o }", []string{"unsupported aggregate 'SUM'"}},
		{"SELECT (COUNT(?s) ?n) WHERE { ?s <p> ?o }", []string{"expected AS ?name"}},
		{"SELECT (COUNT(?s) AS ?n WHERE { ?s <p> ?o }", []string{"expected ')' to close the aggregate"}},
		{"SELECT * WHERE { ?s <p> ?o }\nORDER BY ?x", []string{"line 2, column 10", "cannot ORDER BY ?x: it is not bound"}},
		{"SELECT * WHERE { ?s <p> ?o }\nORDER BY ?s DESC(?s)", []string{"ORDER BY lists ?s twice"}},
		{"SELECT (COUNT(*) AS ?n) WHERE { ?s <p> ?o }\nORDER BY ?s", []string{"can only order by its aggregate results"}},
		{"SELECT * WHERE { ?s <p> ?o }\nORDER ?s", []string{"expected BY after ORDER"}},
		{"SELECT * WHERE { ?s <p> ?o }\nORDER BY", []string{"expected a variable, ASC(?x) or DESC(?x)"}},
		{"SELECT * WHERE { ?s <p> ?o }\nORDER BY DESC ?s", []string{"expected '(' after DESC"}},
		{"SELECT * WHERE { ?s <p> ?o }\nLIMIT 1 ORDER BY ?s", []string{"ORDER BY must come once, before LIMIT and OFFSET"}},
		{"SELECT * WHERE { ?s <p> ?o }\nLIMIT -1", []string{"line 2, column 7", "LIMIT must be a non-negative integer, found '-1'"}},
		{"SELECT * WHERE { ?s <p> ?o }\nLIMIT 1.5", []string{"LIMIT must be a non-negative integer"}},
		{"SELECT * WHERE { ?s <p> ?o }\nLIMIT ?s", []string{"LIMIT must be a non-negative integer"}},
		{"SELECT * WHERE { ?s <p> ?o }\nLIMIT", []string{"LIMIT must be a non-negative integer, found end of input"}},
		{"SELECT * WHERE { ?s <p> ?o }\nLIMIT 99999999999999999999", []string{"out of range"}},
		{"SELECT * WHERE { ?s <p> ?o }\nLIMIT 1 LIMIT 2", []string{"LIMIT is given twice"}},
		{"SELECT * WHERE { ?s <p> ?o }\nOFFSET -2", []string{"OFFSET must be a non-negative integer"}},
		{"SELECT * WHERE { ?s <p> ?o } }", []string{"expected ORDER BY, LIMIT, OFFSET or end of query"}},
		{"ASK WHERE { ?s <p> ?o }\nLIMIT 1", []string{"LIMIT is not allowed in ASK queries"}},
		{"ASK WHERE { ?s <p> ?o } ?x", []string{"end of query after ASK"}},
		{"?s <p>", []string{"line 1, column 1", "expected 3 or 4 fields, found 2"}},
		{"SELECT * WHERE {\n  ?a ?b ?c ?d ?e\n}", []string{"line 2, column 3", "expected 3 or 4 fields, found 5"}},
		{"?s <p> ?o\n}", []string{"line 2, column 1", "unexpected '}'"}},
		{"?s <p> ?o . .", []string{"expected a fact pattern, found '.'"}},
		{"SELECT * WHERE {\n ?s <gt> ?o\n ?x <p> <gt>\n}", []string{"line 3, column 9", "operator <gt> can only be used as a predicate, not as the object"}},
		{"<in> <p> ?o", []string{"operator <in> can only be used as a predicate, not as the subject"}},
		{"<eq> ?s <p> ?o", []string{"not as the fact ID"}},
		{"?f ?s <gt> 5", []string{"cannot have a fact ID"}},
		{"\"lit\" <p> ?o", []string{"line 1, column 1", "a literal cannot be the subject"}},
		{"5 <p> ?o", []string{"a literal cannot be the subject"}},
		{"true <p> ?o", []string{"a literal cannot be the subject"}},
		{"?s 5 ?o", []string{"a literal cannot be the predicate"}},
		{"'2019' ?s <p> ?o", []string{"a literal cannot be the fact ID"}},
		{"?s <lt>? 5", []string{"line 1, column 8", "operator <lt> cannot be optional"}},
		{"?s <p> ?o?", []string{"line 1, column 10", "must directly follow the predicate"}},
		{"?s? <p> ?o", []string{"must directly follow the predicate"}},
		{"?s <p> ? ?o", []string{"line 1, column 8", "stray '?'"}},
		{"?s <p>?? ?o", []string{"stray '?'"}},
		{"_:b <p> ?o", []string{"line 1, column 1", "blank node _:b is not allowed in queries"}},
		{"?s <p> _:b", []string{"blank node _:b is not allowed in queries"}},
		{"?s <p> _x", []string{"'_' must start a blank node"}},
		{"?s <p> { <a> }", []string{"line 1, column 8", "a set can only be the object of <in>"}},
		{"{ <a> } <p> ?o", []string{"a set can only be the object of <in>, not the subject"}},
		{"?s <in> <a>", []string{"<in> needs a set object"}},
		{"?s <in> { }", []string{"empty set"}},
		{"?s <in> { ?x }", []string{"a set can only hold entities and literals, found '?x'"}},
		{"?s <in> { <a> <b> }", []string{"expected ',' or '}' in set, found '<b>'"}},
		{"?s <in> { <a>,", []string{"expected a variable, entity or literal, found end of input"}},
		{"?s <in> { <a>", []string{"missing '}' to close the set opened at line 1, column 9"}},
		{"?s <in> { <gt> }", []string{"operator <gt> cannot be a set member"}},
		{"?s <in> { { <a> } }", []string{"a set can only hold entities and literals"}},
		{"SELECT * WHERE {\n ?s <p> ?o\n #comment\n}", []string{"line 3, column 2", "'#' must start a KID"}},
	}
	checkErrors(t, func(s string) error { _, err := ParseQuery(s); return err }, tests)
}

func TestParseQueryReturnsNilOnError(t *testing.T) {
	q, err := ParseQuery("SELECT ?x WHERE { ?s <p> ?o }")
	if q != nil || err == nil {
		t.Fatalf("got %v, %v; want nil query and an error", q, err)
	}
	if _, err := ParseQuery("?s <p> ?o"); err != nil {
		t.Fatalf("unexpected error %v", err)
	}
}
