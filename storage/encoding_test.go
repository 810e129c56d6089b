package storage

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// date returns a UTC time for test tables.
func date(year int, month time.Month, day, hour, min int) time.Time {
	return time.Date(year, month, day, hour, min, 0, 0, time.UTC)
}

// sampleObjects returns a varied set of valid objects, including the edge
// cases of every kind, for property tests and fuzz seeds.
func sampleObjects() []Object {
	return []Object{
		AEntity(1), AEntity(2), AEntity(KIDOf(7, 3)), AEntity(math.MaxUint64),
		AString("", ""), AString("a", ""), AString("a\x00", ""), AString("a\x00\x00", ""),
		AString("a\x01", ""), AString("ab", ""), AString("\xff\x00\xff", ""),
		AString("", "en"), AString("a", "en"), AString("colour", "en-GB"), AString("a", "en\x00"),
		AInt64(math.MinInt64, 0), AInt64(-100, 0), AInt64(-1, 0), AInt64(0, 0), AInt64(1, 0),
		AInt64(1<<40, 0), AInt64(math.MaxInt64, 0), AInt64(-5, 9), AInt64(7, math.MaxUint64),
		AFloat64(math.Inf(-1), 0), AFloat64(-math.MaxFloat64, 0), AFloat64(-1.5, 0),
		AFloat64(-math.SmallestNonzeroFloat64, 0), AFloat64(0, 0), AFloat64(1e-300, 0),
		AFloat64(1, 0), AFloat64(math.MaxFloat64, 0), AFloat64(math.Inf(1), 0), AFloat64(2.5, 3),
		ABool(false), ABool(true),
		ATimestamp(date(1500, 6, 1, 0, 0), PrecisionYear),
		ATimestamp(time.Unix(-1, 500_000_000), PrecisionNanosecond),
		ATimestamp(time.Unix(0, 0), PrecisionSecond),
		ATimestamp(time.Unix(0, 1), PrecisionNanosecond),
		ATimestamp(date(2019, 3, 22, 0, 0), PrecisionDay),
		ATimestamp(date(2019, 3, 29, 23, 0), PrecisionHour),
		ATimestamp(date(2019, 1, 1, 0, 0), PrecisionYear),
		ATimestamp(date(2019, 1, 1, 0, 0), PrecisionMonth),
		ATimestamp(date(9999, 12, 31, 23, 59), PrecisionMinute),
	}
}

// sign maps a comparison result to -1, 0 or +1.
func sign(c int) int {
	switch {
	case c < 0:
		return -1
	case c > 0:
		return 1
	}
	return 0
}

// canonical returns the form DecodeObject produces for a valid object.
func canonical(o Object) Object {
	if o.Kind == KindFloat64 && o.Float == 0 {
		o.Float = 0
	}
	if o.Kind == KindTimestamp {
		o.Time = o.Time.UTC()
	}
	return o
}

// diffObjects describes how got differs from want field by field, or
// returns "". Floats compare by bits (so -0 differs from +0) and times by
// instant and location.
func diffObjects(got, want Object) string {
	var d []string
	check := func(field string, same bool, g, w any) {
		if !same {
			d = append(d, fmt.Sprintf("%s: got %#v, want %#v", field, g, w))
		}
	}
	check("Kind", got.Kind == want.Kind, got.Kind, want.Kind)
	check("Entity", got.Entity == want.Entity, got.Entity, want.Entity)
	check("Str", got.Str == want.Str, got.Str, want.Str)
	check("Lang", got.Lang == want.Lang, got.Lang, want.Lang)
	check("Int", got.Int == want.Int, got.Int, want.Int)
	check("Float", math.Float64bits(got.Float) == math.Float64bits(want.Float), got.Float, want.Float)
	check("Bool", got.Bool == want.Bool, got.Bool, want.Bool)
	check("Time", got.Time.Equal(want.Time), got.Time.String(), want.Time.String())
	check("Time.Location", got.Time.Location() == want.Time.Location(),
		got.Time.Location().String(), want.Time.Location().String())
	check("Precision", got.Precision == want.Precision, got.Precision, want.Precision)
	check("Unit", got.Unit == want.Unit, got.Unit, want.Unit)
	return strings.Join(d, "; ")
}

func enc(o Object) []byte { return AppendObject(nil, o) }

// checkPairOrder fails unless the encodings of a and b order like
// CompareObjects, and that is want.
func checkPairOrder(t *testing.T, a, b Object, want int) {
	t.Helper()
	if got := sign(CompareObjects(a, b)); got != want {
		t.Errorf("CompareObjects(%v, %v) = %d, want %d", a, b, got, want)
	}
	if got := sign(bytes.Compare(enc(a), enc(b))); got != want {
		t.Errorf("bytes.Compare(enc %v = %x, enc %v = %x) = %d, want %d",
			a, enc(a), b, enc(b), got, want)
	}
}

func TestObjectOrder(t *testing.T) {
	tests := []struct {
		name      string
		ascending []Object
	}{
		{"kinds", []Object{
			AEntity(math.MaxUint64), AString("", ""), AInt64(math.MinInt64, 0),
			AFloat64(math.Inf(-1), 0), ABool(false), ATimestamp(date(1, 1, 1, 0, 0), PrecisionYear),
		}},
		{"entities", []Object{AEntity(1), AEntity(2), AEntity(1 << 40), AEntity(math.MaxUint64)}},
		{"ints", []Object{
			AInt64(math.MinInt64, 0), AInt64(-100, 0), AInt64(-1, 0), AInt64(0, 0),
			AInt64(1, 0), AInt64(2, 0), AInt64(1<<40, 0), AInt64(math.MaxInt64, 0),
		}},
		{"int units group separately", []Object{
			AInt64(math.MaxInt64, 0), AInt64(math.MinInt64, 1), AInt64(100, 1),
			AInt64(-5, 2), AInt64(math.MinInt64, math.MaxUint64),
		}},
		{"floats", []Object{
			AFloat64(math.Inf(-1), 0), AFloat64(-math.MaxFloat64, 0), AFloat64(-1.5, 0),
			AFloat64(-1e-300, 0), AFloat64(-math.SmallestNonzeroFloat64, 0), AFloat64(math.Copysign(0, -1), 0),
			AFloat64(1e-300, 0), AFloat64(1, 0), AFloat64(math.MaxFloat64, 0), AFloat64(math.Inf(1), 0),
		}},
		{"float units group separately", []Object{
			AFloat64(math.Inf(1), 0), AFloat64(math.Inf(-1), 1), AFloat64(100, 1), AFloat64(-5, 2),
		}},
		{"strings", []Object{
			AString("", ""), AString("\x00", ""), AString("\x00\x00", ""), AString("\x01", ""),
			AString("a", ""), AString("a\x00", ""), AString("a\x00\x00", ""), AString("a\x00\x01", ""),
			AString("a\x01", ""), AString("ab", ""), AString("b", ""), AString("\xff", ""), AString("\xff\xff", ""),
		}},
		{"languages group separately", []Object{
			AString("zzz", ""), AString("", "de"), AString("a", "de"), AString("b", "de"),
			AString("a", "en"), AString("", "en\x00"), AString("a", "en-GB"), AString("", "fr"),
		}},
		{"bools", []Object{ABool(false), ABool(true)}},
		{"timestamps", []Object{
			ATimestamp(date(1500, 1, 1, 0, 0), PrecisionYear),
			ATimestamp(time.Unix(-1, 0), PrecisionSecond),
			ATimestamp(time.Unix(-1, 999_999_999), PrecisionNanosecond),
			ATimestamp(date(1970, 1, 1, 0, 0), PrecisionYear),
			ATimestamp(date(1970, 1, 1, 0, 0), PrecisionDay),
			ATimestamp(time.Unix(0, 1), PrecisionNanosecond),
			ATimestamp(date(2019, 3, 22, 0, 0), PrecisionDay),
			ATimestamp(date(2019, 3, 29, 23, 0), PrecisionHour),
			ATimestamp(date(2019, 3, 29, 23, 0), PrecisionMinute),
			ATimestamp(date(9999, 1, 1, 0, 0), PrecisionYear),
		}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			for i, a := range test.ascending {
				for j, b := range test.ascending {
					checkPairOrder(t, a, b, sign(i-j))
				}
			}
		})
	}
}

func TestObjectEqualities(t *testing.T) {
	negZero := math.Copysign(0, -1)
	tests := []struct {
		name string
		a, b Object
	}{
		{"-0 equals +0", AFloat64(negZero, 5), AFloat64(0, 5)},
		{"timestamp location ignored",
			Object{Kind: KindTimestamp, Time: time.Unix(100, 5).In(time.FixedZone("X", 3600)), Precision: PrecisionNanosecond},
			ATimestamp(time.Unix(100, 5), PrecisionNanosecond)},
		{"fields of other kinds ignored", Object{Kind: KindBool, Bool: true, Int: 4, Str: "x"}, ABool(true)},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			checkPairOrder(t, test.a, test.b, 0)
			if !bytes.Equal(enc(test.a), enc(test.b)) {
				t.Errorf("encodings differ: %x vs %x", enc(test.a), enc(test.b))
			}
		})
	}
}

// TestSampleOrder checks all pairs of sample objects, which crosses kinds
// and groups, and that sorting by either order gives the same sequence.
func TestSampleOrder(t *testing.T) {
	objs := sampleObjects()
	for _, a := range objs {
		for _, b := range objs {
			checkPairOrder(t, a, b, sign(CompareObjects(a, b)))
		}
	}
	byValue := slices.Clone(objs)
	slices.SortStableFunc(byValue, CompareObjects)
	byBytes := slices.Clone(objs)
	slices.SortStableFunc(byBytes, func(a, b Object) int { return bytes.Compare(enc(a), enc(b)) })
	for i := range byValue {
		if d := diffObjects(byValue[i], byBytes[i]); d != "" {
			t.Fatalf("sorted position %d differs: %s", i, d)
		}
	}
}

func TestObjectRoundTrip(t *testing.T) {
	objs := append(sampleObjects(),
		AFloat64(math.Copysign(0, -1), 0),
		Object{Kind: KindTimestamp, Time: time.Unix(1e9, 0).In(time.FixedZone("X", -7200)), Precision: PrecisionSecond},
	)
	for _, o := range objs {
		b := enc(o)
		got, n, err := DecodeObject(b)
		if err != nil {
			t.Errorf("DecodeObject(enc %v = %x): %v", o, b, err)
			continue
		}
		if n != len(b) {
			t.Errorf("DecodeObject(enc %v) consumed %d of %d bytes", o, n, len(b))
		}
		if d := diffObjects(got, canonical(o)); d != "" {
			t.Errorf("DecodeObject(enc %v): %s", o, d)
		}
		// Trailing bytes, as in a key, are left alone.
		if _, n, err := DecodeObject(append(b, 0x00, 0xFF, 0x01)); err != nil || n != len(b) {
			t.Errorf("DecodeObject(enc %v + trailer) = n %d, err %v; want n %d", o, n, err, len(b))
		}
	}
}

// TestEncodingPrefixFree checks that no encoding is a proper prefix of
// another, which lets a key prefix end with an object.
func TestEncodingPrefixFree(t *testing.T) {
	objs := sampleObjects()
	for _, a := range objs {
		for _, b := range objs {
			ea, eb := enc(a), enc(b)
			if len(ea) < len(eb) && bytes.HasPrefix(eb, ea) {
				t.Errorf("enc %v = %x is a prefix of enc %v = %x", a, ea, b, eb)
			}
		}
	}
}

// TestEncodingGolden pins the exact bytes: the encoding is a durable format.
func TestEncodingGolden(t *testing.T) {
	tests := []struct {
		o    Object
		want string
	}{
		{AEntity(0x0102030405060708), "01 0102030405060708"},
		{AString("a\x00b", "en"), "02 656e 0001 61 00ff 62 0001"},
		{AString("", ""), "02 0001 0001"},
		{AInt64(1, 0), "03 0000000000000000 8000000000000001"},
		{AInt64(-1, 2), "03 0000000000000002 7fffffffffffffff"},
		{AFloat64(1, 0), "04 0000000000000000 bff0000000000000"},
		{AFloat64(-1, 0), "04 0000000000000000 400fffffffffffff"},
		{AFloat64(math.Copysign(0, -1), 0), "04 0000000000000000 8000000000000000"},
		{ABool(true), "05 01"},
		{ATimestamp(time.Unix(-1, 5), PrecisionNanosecond), "06 7fffffffffffffff 00000005 07"},
		{ATimestamp(date(1970, 1, 1, 0, 0), PrecisionYear), "06 8000000000000000 00000000 01"},
	}
	for _, test := range tests {
		want, err := hex.DecodeString(strings.ReplaceAll(test.want, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		if got := enc(test.o); !bytes.Equal(got, want) {
			t.Errorf("AppendObject(%v) = %x, want %x", test.o, got, want)
		}
	}
}

func TestAppendObjectKeepsDst(t *testing.T) {
	dst := []byte("prefix")
	got := AppendObject(dst, AInt64(3, 4))
	want := append([]byte("prefix"), enc(AInt64(3, 4))...)
	if !bytes.Equal(got, want) {
		t.Errorf("AppendObject(%q, ...) = %x, want %x", dst, got, want)
	}
}

func TestAppendObjectGroup(t *testing.T) {
	tests := []struct {
		name    string
		o       Object
		inGroup []Object
		outside []Object
	}{
		{"int unit", AInt64(0, 7),
			[]Object{AInt64(math.MinInt64, 7), AInt64(math.MaxInt64, 7)},
			[]Object{AInt64(0, 6), AInt64(0, 8), AFloat64(0, 7)}},
		{"float unit", AFloat64(0, 7),
			[]Object{AFloat64(math.Inf(-1), 7), AFloat64(math.Inf(1), 7)},
			[]Object{AFloat64(0, 0), AInt64(0, 7)}},
		{"string language", AString("x", "en"),
			[]Object{AString("", "en"), AString("\xff\x00", "en")},
			[]Object{AString("x", ""), AString("x", "en-GB"), AString("x", "e"), AString("x", "en\x00")}},
		{"string no language", AString("x", ""),
			[]Object{AString("", ""), AString("abc", "")},
			[]Object{AString("x", "en"), AString("", "\x00")}},
		{"entity", AEntity(5), []Object{AEntity(1), AEntity(math.MaxUint64)}, []Object{ABool(false)}},
		{"bool", ABool(true), []Object{ABool(false)}, []Object{AEntity(1)}},
		{"timestamp", ATimestamp(time.Unix(0, 0), PrecisionDay),
			[]Object{ATimestamp(date(1, 1, 1, 0, 0), PrecisionYear), ATimestamp(time.Unix(1e10, 3), PrecisionNanosecond)},
			[]Object{ABool(true)}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			group := AppendObjectGroup(nil, test.o)
			for _, o := range append(test.inGroup, test.o) {
				if !bytes.HasPrefix(enc(o), group) {
					t.Errorf("group %x is not a prefix of enc %v = %x", group, o, enc(o))
				}
			}
			for _, o := range test.outside {
				if bytes.HasPrefix(enc(o), group) {
					t.Errorf("group %x is a prefix of enc %v = %x, outside the group", group, o, enc(o))
				}
			}
		})
	}
}

func TestDecodeObjectErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string // hex, spaces ignored
		wantErr string
	}{
		{"empty", "", "empty"},
		{"kind 0", "00", "unknown kind byte 0x00"},
		{"kind 7", "07 00", "unknown kind byte 0x07"},
		{"kind ff", "ff", "unknown kind byte 0xff"},
		{"truncated entity", "01 00000000000001", "truncated KID"},
		{"entity 0", "01 0000000000000000", "KID 0"},
		{"string no terminator", "02 0001 6162", "no terminator"},
		{"string empty", "02", "no terminator"},
		{"lang no terminator", "02 656e", "language: truncated"},
		{"string ends in escape", "02 0001 61 00", "ends inside an escape"},
		{"bad escape", "02 0001 61 0002 0001", "bad escape 0x00 0x02"},
		{"bad escape in lang", "02 00 00 0001", "bad escape 0x00 0x00"},
		{"truncated int", "03 0000000000000000 80", "truncated unit and int64 value"},
		{"truncated float", "04 00", "truncated unit and float64 value"},
		{"float NaN", "04 0000000000000000 fff8000000000000", "NaN"},
		{"negative NaN", "04 0000000000000000 0007ffffffffffff", "NaN"},
		{"float -0 pattern", "04 0000000000000000 7fffffffffffffff", "negative zero"},
		{"truncated bool", "05", "truncated bool"},
		{"bool 2", "05 02", "bool byte is 0x02"},
		{"truncated timestamp", "06 8000000000000000 00000000", "truncated timestamp"},
		{"nanos out of range", "06 8000000000000000 3b9aca00 07", "nanos 1000000000 out of range"},
		{"precision 0", "06 8000000000000000 00000000 00", "invalid precision 0"},
		{"precision 8", "06 8000000000000000 00000000 08", "invalid precision 8"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			in, err := hex.DecodeString(strings.ReplaceAll(test.in, " ", ""))
			if err != nil {
				t.Fatal(err)
			}
			o, n, err := DecodeObject(in)
			if err == nil {
				t.Fatalf("DecodeObject(%x) = %v, %d; want error containing %q", in, o, n, test.wantErr)
			}
			if !strings.Contains(err.Error(), test.wantErr) {
				t.Errorf("DecodeObject(%x) error = %q, want it to contain %q", in, err, test.wantErr)
			}
			if n != 0 || diffObjects(o, Object{}) != "" {
				t.Errorf("DecodeObject(%x) returned %v, %d with an error; want zero values", in, o, n)
			}
		})
	}
}

// TestDecodeObjectTruncations checks that every proper prefix of every
// sample encoding fails to decode, which is what self-delimiting means to a
// decoder.
func TestDecodeObjectTruncations(t *testing.T) {
	for _, o := range sampleObjects() {
		b := enc(o)
		for i := range len(b) {
			if got, _, err := DecodeObject(b[:i]); err == nil {
				t.Errorf("DecodeObject(%x), a prefix of enc %v, = %v; want error", b[:i], o, got)
			}
		}
	}
}
