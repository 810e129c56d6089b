package rdf

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/storage"
)

// storedObject is o after a trip through a view: the value as encoded in
// keys, the annotation as encoded in values.
func storedObject(t *testing.T, o storage.Object) storage.Object {
	t.Helper()
	if err := o.Validate(); err != nil {
		t.Fatalf("%+v is not storable: %v", o, err)
	}
	got, _, err := storage.DecodeObject(storage.AppendObject(nil, o))
	if err != nil {
		t.Fatalf("decoding %+v: %v", o, err)
	}
	if err := storage.DecodeAnnotation(storage.AppendAnnotation(nil, o), &got); err != nil {
		t.Fatalf("decoding the annotation of %+v: %v", o, err)
	}
	return got
}

// checkRoundTrip checks that a literal survives LiteralObject, storage and
// ObjectLiteral exactly.
func checkRoundTrip(t *testing.T, lit Term) {
	t.Helper()
	o := storedObject(t, LiteralObject(lit))
	if back := ObjectTerm(o); back != lit {
		t.Errorf("%s came back as %s (object %+v)", FormatTriple(Triple{O: lit}), FormatTriple(Triple{O: back}), o)
	}
}

func TestLiteralRoundTrip(t *testing.T) {
	x := func(local string) string { return XSDNS + local }
	dec40 := "1234567890123456789012345678901234567890"
	for _, c := range []struct {
		lex, dt, lang  string
		kind           storage.Kind
		datatype, text string // the annotation
	}{
		{"1.50", x("decimal"), "", storage.KindFloat64, x("decimal"), "1.50"},
		{"0.1", x("decimal"), "", storage.KindFloat64, x("decimal"), "0.1"},
		{"01", x("integer"), "", storage.KindInt64, "", "01"},
		{"1", x("integer"), "", storage.KindInt64, "", ""},
		{"x", "http://ex/dt", "", storage.KindString, "http://ex/dt", ""},
		{"2020-01-01T00:00:00+02:00", x("dateTime"), "", storage.KindTimestamp, "", "2020-01-01T00:00:00+02:00"},
		{"2020-01-01T00:00:00Z", x("dateTime"), "", storage.KindTimestamp, "", ""},
		{"chat", "", "fr", storage.KindString, "", ""},
		{"chat", "", "FR-ca", storage.KindString, "", ""},
		{dec40, x("decimal"), "", storage.KindString, x("decimal"), ""},
		{"-" + dec40 + "." + dec40, x("decimal"), "", storage.KindString, x("decimal"), ""},
		{"1e0", x("double"), "", storage.KindFloat64, "", "1e0"},
		{"1.0E0", x("double"), "", storage.KindFloat64, "", ""},
		{"-0.0E0", x("double"), "", storage.KindFloat64, "", "-0.0E0"},
		{"-0", x("decimal"), "", storage.KindFloat64, x("decimal"), "-0"},
		{"NaN", x("double"), "", storage.KindString, x("double"), ""},
		{" 5 ", x("int"), "", storage.KindInt64, x("int"), " 5 "},
		{"1", x("boolean"), "", storage.KindBool, "", "1"},
		{"plain", x("string"), "", storage.KindString, "", ""},
		{"", x("string"), "", storage.KindString, "", ""},
		{"", x("integer"), "", storage.KindString, x("integer"), ""},
		{"x", RDFLangString, "", storage.KindString, RDFLangString, ""},
		{"2004", x("gYear"), "", storage.KindTimestamp, "", ""},
		{"2004", x("dateTime"), "", storage.KindString, x("dateTime"), ""},
		{"2004-02-29", x("date"), "", storage.KindTimestamp, "", ""},
		{"2004-02-29Z", x("date"), "", storage.KindTimestamp, "", "2004-02-29Z"},
	} {
		lit := NewLiteral(c.lex, c.dt, c.lang)
		o := LiteralObject(lit)
		if o.Kind != c.kind || o.Datatype != c.datatype || o.Lex != c.text {
			t.Errorf("%q^^%s@%s = %+v, want kind %v, datatype %q, lex %q", c.lex, c.dt, c.lang, o, c.kind, c.datatype, c.text)
		}
		checkRoundTrip(t, lit)
	}
}

func TestLiteralSameValueDifferentTerms(t *testing.T) {
	a := LiteralObject(NewLiteral("01", XSDInteger, ""))
	b := LiteralObject(NewLiteral("1", XSDInteger, ""))
	if storage.CompareObjects(a, b) != 0 || storage.SameTerm(a, b) {
		t.Fatalf("\"01\" and \"1\": values equal %v, same term %v; want equal values, different terms",
			storage.CompareObjects(a, b) == 0, storage.SameTerm(a, b))
	}
}

func TestObjectLiteralOfPlainObjects(t *testing.T) {
	for _, c := range []struct {
		o            storage.Object
		lex, dt, lng string
	}{
		{storage.AInt64(42, 0), "42", XSDInteger, ""},
		{storage.AFloat64(1.5, 0), "1.5E0", XSDDouble, ""},
		{storage.AFloat64(math.Inf(-1), 0), "-INF", XSDDouble, ""},
		{storage.ABool(true), "true", XSDBoolean, ""},
		{storage.AString("chat", "fr"), "chat", RDFLangString, "fr"},
		{storage.ATimestamp(time.Date(2020, 5, 1, 0, 0, 0, 0, time.UTC), storage.PrecisionMonth), "2020-05", XSDNS + "gYearMonth", ""},
		{storage.ATimestamp(time.Date(2020, 5, 1, 1, 2, 3, 5e8, time.UTC), storage.PrecisionNanosecond), "2020-05-01T01:02:03.5Z", XSDNS + "dateTime", ""},
	} {
		lex, dt, lang := ObjectLiteral(c.o)
		if lex != c.lex || dt != c.dt || lang != c.lng {
			t.Errorf("ObjectLiteral(%+v) = %q, %q, %q; want %q, %q, %q", c.o, lex, dt, lang, c.lex, c.dt, c.lng)
		}
	}
}

// TestW3CLiteralsRoundTrip: every literal of every document the W3C
// N-Triples and Turtle suites accept survives LiteralObject, storage and
// ObjectLiteral exactly.
func TestW3CLiteralsRoundTrip(t *testing.T) {
	n := 0
	for _, suite := range []string{"rdf-n-triples", "rdf-turtle"} {
		files, err := filepath.Glob(filepath.Join("testdata/w3c", suite, "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			turtle := strings.HasSuffix(path, ".ttl")
			if !turtle && !strings.HasSuffix(path, ".nt") || strings.HasSuffix(path, "manifest.ttl") {
				continue
			}
			triples, err := readLiterals(path, turtle)
			if err != nil {
				continue // a negative syntax test
			}
			for _, tr := range triples {
				if tr.O.Kind == Literal {
					checkRoundTrip(t, tr.O)
					n++
				}
			}
		}
	}
	if n < 100 {
		t.Fatalf("checked %d literals, want the suites' hundreds", n)
	}
	t.Logf("%d literals round-tripped", n)
}

func readLiterals(path string, turtle bool) ([]Triple, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if turtle {
		return ReadAll(NewTurtleReader(f, "http://example.test/"+filepath.Base(path)))
	}
	return ReadAll(NewNTriplesReader(f))
}

// FuzzLiteralRoundTrip: any literal with any datatype survives
// LiteralObject, storage and ObjectLiteral exactly.
func FuzzLiteralRoundTrip(f *testing.F) {
	for _, local := range []string{"integer", "int", "decimal", "double", "float", "boolean", "dateTime", "date", "gYear", "gYearMonth", "string", "time"} {
		f.Add("01", XSDNS+local, "")
	}
	f.Add("1.50", XSDDecimal, "")
	f.Add("2020-01-01T00:00:00+02:00", XSDNS+"dateTime", "")
	f.Add("-0.0E0", XSDDouble, "")
	f.Add("chat", "", "fr")
	f.Add("x", "http://ex/dt", "")
	f.Fuzz(func(t *testing.T, lex, datatype, lang string) {
		if datatype == "" && lang == "" {
			datatype = XSDString
		}
		lit := NewLiteral(lex, datatype, lang)
		o := LiteralObject(lit)
		if o.Validate() != nil {
			// Only values no literal syntax can spell are refused: an
			// oversized annotation.
			if len(lex) <= storage.MaxLiteralBytes && len(datatype) <= storage.MaxLiteralBytes {
				t.Fatalf("LiteralObject(%+v) = invalid %+v: %v", lit, o, o.Validate())
			}
			return
		}
		checkRoundTrip(t, lit)
	})
}
