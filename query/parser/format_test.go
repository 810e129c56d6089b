package parser

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/storage"
)

// testNames names a few KIDs the way the engine's name lookup would.
func testNames(kid uint64) string {
	return map[uint64]string{
		1:  "John_Scalzi",
		2:  "rdfs:label",
		3:  "inch",
		4:  "uom:mm",
		5:  "has space",
		6:  "gt",
		7:  "a>b",
		8:  "x:y.",
		9:  "日本",
		10: "9:x",
		11: "ex:a.b-c_d",
		12: "<weird",
	}[kid]
}

func TestFormatEntity(t *testing.T) {
	tests := []struct {
		kid  uint64
		want string
	}{
		{1, "<John_Scalzi>"},
		{2, "rdfs:label"},
		{4, "uom:mm"},
		{5, "#5"}, // spaces cannot appear in <...>
		{6, "#6"}, // <gt> would parse as an operator
		{7, "#7"},
		{8, "<x:y.>"}, // a QName cannot end in '.', but <...> works
		{9, "<日本>"},
		{10, "<9:x>"}, // a QName prefix starts with a letter
		{11, "ex:a.b-c_d"},
		{12, "<<weird>"},
		{99, "#99"},
	}
	for _, tc := range tests {
		if got := FormatEntity(tc.kid, testNames); got != tc.want {
			t.Errorf("FormatEntity(%d) = %s, want %s", tc.kid, got, tc.want)
		}
	}
	if got := FormatEntity(1, nil); got != "#1" {
		t.Errorf("FormatEntity with nil names = %s, want #1", got)
	}
}

func tsObj(y int, mo time.Month, d, h, mi, s, ns int, p storage.Precision) storage.Object {
	return storage.ATimestamp(time.Date(y, mo, d, h, mi, s, ns, time.UTC), p)
}

// formatCases are objects and their expected text; all parse back.
var formatCases = []struct {
	obj  storage.Object
	want string
}{
	{storage.AEntity(1), "<John_Scalzi>"},
	{storage.AEntity(2), "rdfs:label"},
	{storage.AEntity(1052), "#1052"},
	{storage.AString("John Scalzi", "en"), `"John Scalzi"@en`},
	{storage.AString("", ""), `""`},
	{storage.AString("say \"hi\"\\\n\t\r", ""), `"say \"hi\"\\\n\t\r"`},
	{storage.AString("bell\a nul\x00 del\x7f", ""), `"bell\u0007 nul\u0000 del\u007F"`},
	{storage.AString("\u200b\U000E0001", "x-Y1"), `"\u200B\U000E0001"@x-Y1`},
	{storage.AString("日本語 é 😀 # ' <>", ""), `"日本語 é 😀 # ' <>"`},
	{storage.AInt64(65, 0), "65"},
	{storage.AInt64(-5, 0), "-5"},
	{storage.AInt64(65, 3), "65^^<inch>"},
	{storage.AInt64(30, 4), "30^^uom:mm"},
	{storage.AInt64(30, 77), "30^^#77"},
	{storage.AInt64(math.MinInt64, 0), "-9223372036854775808"},
	{storage.AFloat64(42, 0), "42.0"},
	{storage.AFloat64(-0.5, 0), "-0.5"},
	{storage.AFloat64(11.5, 3), "11.5^^<inch>"},
	{storage.AFloat64(1e300, 0), "1e+300"},
	{storage.AFloat64(1e21, 0), "1e+21"},
	{storage.AFloat64(123456789, 0), "1.23456789e+08"},
	{storage.AFloat64(5e-324, 0), "5e-324"},
	{storage.AFloat64(math.MaxFloat64, 0), "1.7976931348623157e+308"},
	{storage.AFloat64(math.Copysign(0, -1), 0), "-0.0"},
	{storage.AFloat64(math.Inf(1), 0), "INF"},
	{storage.AFloat64(math.Inf(-1), 3), "-INF^^<inch>"},
	{storage.ABool(true), "true"},
	{storage.ABool(false), "false"},
	{tsObj(2019, 1, 1, 0, 0, 0, 0, storage.PrecisionYear), "'2019'"},
	{tsObj(2019, 3, 1, 0, 0, 0, 0, storage.PrecisionMonth), "'2019-03'"},
	{tsObj(2019, 3, 22, 0, 0, 0, 0, storage.PrecisionDay), "'2019-03-22'"},
	{tsObj(2019, 3, 22, 14, 0, 0, 0, storage.PrecisionHour), "'2019-03-22 14'"},
	{tsObj(2017, 11, 30, 14, 30, 0, 0, storage.PrecisionMinute), "'2017-11-30 14:30'"},
	{tsObj(2017, 11, 30, 14, 30, 0, 0, storage.PrecisionSecond), "'2017-11-30 14:30:00'"},
	{tsObj(2017, 11, 30, 14, 30, 0, 123000000, storage.PrecisionNanosecond), "'2017-11-30 14:30:00.123'"},
	{tsObj(2017, 11, 30, 14, 30, 0, 0, storage.PrecisionNanosecond), "'2017-11-30 14:30:00.0'"},
	{tsObj(2017, 11, 30, 14, 30, 0, 1, storage.PrecisionNanosecond), "'2017-11-30 14:30:00.000000001'"},
	{tsObj(1, 1, 1, 0, 0, 0, 0, storage.PrecisionDay), "'0001-01-01'"},
}

func TestFormatObject(t *testing.T) {
	for _, tc := range formatCases {
		got := FormatObject(tc.obj, testNames)
		if got != tc.want {
			t.Errorf("FormatObject(%+v) = %s, want %s", tc.obj, got, tc.want)
		}
	}
	if got := FormatObject(storage.AFloat64(math.NaN(), 0), nil); got != "NaN" {
		t.Errorf("NaN formats as %s, want NaN", got)
	}
	if got := FormatObject(storage.Object{}, nil); !strings.Contains(got, "invalid") {
		t.Errorf("zero object formats as %s, want it marked invalid", got)
	}
}

func TestFormatObjectRoundTrip(t *testing.T) {
	for _, tc := range formatCases {
		checkRoundTrip(t, tc.obj, testNames)
	}
}

// checkRoundTrip formats o, parses the text as an object both in insert
// data and in a query, and checks both give o back.
func checkRoundTrip(t *testing.T, o storage.Object, name func(uint64) string) {
	t.Helper()
	text := FormatObject(o, name)
	ins, err := ParseInsert("<s> <p> " + text)
	if err != nil {
		t.Errorf("%+v formatted as %s does not parse: %v", o, text, err)
		return
	}
	q, err := ParseQuery("SELECT * WHERE {\n ?s <p> " + text + "\n}")
	if err != nil {
		t.Errorf("%+v formatted as %s does not parse as a query: %v", o, text, err)
		return
	}
	for _, obj := range []Term{ins.Facts[0].Object, q.Where[0].Object} {
		got, ok := resolveObject(obj, name)
		if !ok || !sameObject(got, o) {
			t.Errorf("%+v formatted as %s parses back as %s", o, text, dumpTerm(obj))
		}
	}
}

// resolveObject maps a parsed object back to a storage object using the
// inverse of name, as the engine would.
func resolveObject(t Term, name func(uint64) string) (storage.Object, bool) {
	switch t := t.(type) {
	case *Entity, *KID:
		id, ok := resolveEntity(t, name)
		return storage.AEntity(id), ok
	case *Literal:
		o := t.Value
		if t.Unit != nil {
			var ok bool
			if o.Unit, ok = resolveEntity(t.Unit, name); !ok {
				return o, false
			}
		}
		return o, true
	}
	return storage.Object{}, false
}

func resolveEntity(t Term, name func(uint64) string) (uint64, bool) {
	switch t := t.(type) {
	case *KID:
		return t.ID, true
	case *Entity:
		for id := uint64(1); id < 100; id++ {
			if name != nil && name(id) == t.Name {
				return id, true
			}
		}
	}
	return 0, false
}

// sameObject compares objects, telling -0.0 from 0.0.
func sameObject(a, b storage.Object) bool {
	if a.Kind == storage.KindFloat64 && b.Kind == storage.KindFloat64 &&
		math.Signbit(a.Float) != math.Signbit(b.Float) {
		return false
	}
	return reflect.DeepEqual(a, b)
}

func TestFormatAnnotatedObject(t *testing.T) {
	zeroOne := storage.AInt64(1, 0)
	zeroOne.Lex = "01"
	dec := storage.AFloat64(1.5, 0)
	dec.Datatype, dec.Lex = storage.XSD+"decimal", "1.50"
	custom := storage.AString(`a"b`, "")
	custom.Datatype = "http://ex/dt"
	for _, tc := range []struct {
		o    storage.Object
		want string
	}{
		{zeroOne, `"01"^^<http://www.w3.org/2001/XMLSchema#integer>`},
		{dec, `"1.50"^^<http://www.w3.org/2001/XMLSchema#decimal>`},
		{custom, `"a\"b"^^<http://ex/dt>`},
	} {
		if got := FormatObject(tc.o, nil); got != tc.want {
			t.Errorf("FormatObject(%+v) = %s, want %s", tc.o, got, tc.want)
		}
	}
}
