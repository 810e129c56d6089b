package parser

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/akutan-dev/akutan/storage"
)

// fuzzSeeds are inputs that reach the corners of the lexer.
var fuzzSeeds = []string{
	"?s <p> \"a\\u00e9\\U0001F600\\n\"@en-GB",
	"?s <p> '2019-03-22T14:30:00.123456789'",
	"?s <p> -1.5e-3^^uom:mm",
	"?s <p>? #12 .\n?f ?a <b> _:c # comment",
	"SELECT DISTINCT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } ORDER BY DESC(?n) LIMIT 5 OFFSET 2",
	"?s <in> { 1, 2.5, \"x\", <a>, rdf:type, #3, '2019', true, -INF }",
	"SELECT * WHERE {",
	"\xff",
}

// checkError checks that a parse error is a well-formed *Error.
func checkError(t *testing.T, text string, err error) {
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("%q: error %v is %T, want *Error", text, err, err)
	}
	if perr.Pos.Line < 1 || perr.Pos.Col < 1 || perr.Msg == "" {
		t.Fatalf("%q: malformed error %#v", text, perr)
	}
	if lines := strings.Count(text, "\n") + 1; perr.Pos.Line > lines {
		t.Fatalf("%q: error %v is past the last line %d", text, err, lines)
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, text := range docQueries {
		f.Add(text)
	}
	for _, text := range fuzzSeeds {
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		q, err := ParseQuery(text)
		if err != nil {
			checkError(t, text, err)
			return
		}
		if len(q.Where) == 0 {
			t.Fatalf("%q: parsed with no patterns", text)
		}
		checkLiteralsRoundTrip(t, q.Where)
	})
}

func FuzzParseInsert(f *testing.F) {
	f.Add(exampleData)
	for _, text := range fuzzSeeds {
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ins, err := ParseInsert(text)
		if err != nil {
			checkError(t, text, err)
			if !strings.Contains(err.Error(), "line ") {
				t.Fatalf("%q: error %v does not name the line", text, err)
			}
			return
		}
		checkLiteralsRoundTrip(t, ins.Facts)
		if _, err := ParseDelete(text); err != nil {
			checkError(t, text, err)
		}
	})
}

// checkLiteralsRoundTrip checks that every parsed literal without a unit
// formats back to text that parses to the same value.
func checkLiteralsRoundTrip(t *testing.T, quads []*Quad) {
	for _, q := range quads {
		if l, ok := q.Object.(*Literal); ok && l.Unit == nil {
			checkRoundTrip(t, l.Value, nil)
		}
	}
}

func FuzzFormatRoundTrip(f *testing.F) {
	f.Add(uint8(0), int64(65), 42.5, "John \"Scalzi\"\n", "en", uint8(3))
	f.Add(uint8(1), int64(-1), math.Inf(-1), "\x00\u2028", "", uint8(7))
	f.Add(uint8(2), int64(1553212800123456789), 1e-300, "😀", "zh-Hant", uint8(6))
	f.Fuzz(func(t *testing.T, kind uint8, i int64, fl float64, s, lang string, prec uint8) {
		var o storage.Object
		switch kind % 5 {
		case 0:
			o = storage.AInt64(i, uint64(kind/5)%4)
		case 1:
			if math.IsNaN(fl) {
				return
			}
			o = storage.AFloat64(fl, uint64(kind/5)%4)
		case 2:
			if !utf8.ValidString(s) || (lang != "" && !validLangTag(lang)) {
				return
			}
			o = storage.AString(s, lang)
		case 3:
			o = storage.ABool(i%2 == 0)
		case 4:
			p := storage.Precision(prec%7 + 1)
			t := time.Unix(0, i).UTC()
			if t.Year() < 0 || t.Year() > 9999 {
				return
			}
			o = storage.ATimestamp(t, p)
		}
		checkRoundTrip(t, o, testNames)
	})
}
