package storage

import (
	"bytes"
	"math"
	"testing"
	"time"
)

// fuzzObject builds an object of the kind chosen by sel from fuzz inputs.
// Selectors 0 and 7 give unknown kinds, which callers skip as invalid.
func fuzzObject(sel uint8, i int64, f float64, s, lang string, b bool,
	sec, nanos int64, prec uint8, unit uint64) Object {
	switch Kind(sel % 8) {
	case KindEntity:
		return AEntity(unit)
	case KindString:
		return AString(s, lang)
	case KindInt64:
		return AInt64(i, unit)
	case KindFloat64:
		return AFloat64(f, unit)
	case KindBool:
		return ABool(b)
	case KindTimestamp:
		return ATimestamp(time.Unix(sec, nanos), Precision(prec))
	}
	return Object{Kind: Kind(sel % 8)}
}

func FuzzObjectRoundTrip(f *testing.F) {
	f.Add(uint8(KindEntity), int64(0), 0.0, "", "", false, int64(0), int64(0), uint8(0), uint64(1))
	f.Add(uint8(KindString), int64(0), 0.0, "a\x00b\x00", "en", false, int64(0), int64(0), uint8(0), uint64(0))
	f.Add(uint8(KindString), int64(0), 0.0, "", "\x00\xff", false, int64(0), int64(0), uint8(0), uint64(0))
	f.Add(uint8(KindInt64), int64(math.MinInt64), 0.0, "", "", false, int64(0), int64(0), uint8(0), uint64(7))
	f.Add(uint8(KindFloat64), int64(0), math.Copysign(0, -1), "", "", false, int64(0), int64(0), uint8(0), uint64(0))
	f.Add(uint8(KindFloat64), int64(0), math.Inf(-1), "", "", false, int64(0), int64(0), uint8(0), uint64(3))
	f.Add(uint8(KindBool), int64(0), 0.0, "", "", true, int64(0), int64(0), uint8(0), uint64(0))
	f.Add(uint8(KindTimestamp), int64(0), 0.0, "", "", false, int64(-14e9), int64(5), uint8(PrecisionYear), uint64(0))
	f.Add(uint8(KindTimestamp), int64(0), 0.0, "", "", false, int64(1553900400), int64(999_999_999), uint8(PrecisionNanosecond), uint64(0))
	f.Add(uint8(KindTimestamp), int64(0), 0.0, "", "", false, int64(math.MaxInt64), int64(-1), uint8(PrecisionSecond), uint64(0))
	f.Fuzz(func(t *testing.T, sel uint8, i int64, fl float64, s, lang string, b bool,
		sec, nanos int64, prec uint8, unit uint64) {
		o := fuzzObject(sel, i, fl, s, lang, b, sec, nanos, prec, unit)
		if o.Validate() != nil {
			t.Skip()
		}
		e := AppendObject(nil, o)
		got, n, err := DecodeObject(e)
		if err != nil {
			t.Fatalf("DecodeObject(enc %v = %x): %v", o, e, err)
		}
		if n != len(e) {
			t.Fatalf("DecodeObject(enc %v = %x) consumed %d of %d bytes", o, e, n, len(e))
		}
		if d := diffObjects(got, canonical(o)); d != "" {
			t.Fatalf("DecodeObject(enc %v = %x) = %v: %s", o, e, got, d)
		}
		if CompareObjects(got, o) != 0 {
			t.Fatalf("decoded %v compares unequal to original %v", got, o)
		}
	})
}

func FuzzObjectOrder(f *testing.F) {
	// Each object is (sel, n, x, s, lang, aux): see orderObject.
	f.Add(uint8(KindInt64), int64(-100), 0.0, "", "", uint64(0), uint8(KindInt64), int64(1), 0.0, "", "", uint64(0))
	f.Add(uint8(KindInt64), int64(5), 0.0, "", "", uint64(1), uint8(KindInt64), int64(5), 0.0, "", "", uint64(2))
	f.Add(uint8(KindFloat64), int64(0), -1.5, "", "", uint64(0), uint8(KindFloat64), int64(0), math.Copysign(0, -1), "", "", uint64(0))
	f.Add(uint8(KindFloat64), int64(0), math.Inf(1), "", "", uint64(0), uint8(KindFloat64), int64(0), 1e-300, "", "", uint64(0))
	f.Add(uint8(KindString), int64(0), 0.0, "a", "", uint64(0), uint8(KindString), int64(0), 0.0, "a\x00", "", uint64(0))
	f.Add(uint8(KindString), int64(0), 0.0, "ab", "en", uint64(0), uint8(KindString), int64(0), 0.0, "a", "en\x00", uint64(0))
	f.Add(uint8(KindTimestamp)|uint8(PrecisionDay)<<3, int64(-1), 0.0, "", "", uint64(0),
		uint8(KindTimestamp)|uint8(PrecisionYear)<<3, int64(0), 0.0, "", "", uint64(0))
	f.Add(uint8(KindEntity), int64(1), 0.0, "", "", uint64(0), uint8(KindBool), int64(1), 0.0, "", "", uint64(0))
	f.Fuzz(func(t *testing.T, sel1 uint8, n1 int64, x1 float64, s1, lang1 string, aux1 uint64,
		sel2 uint8, n2 int64, x2 float64, s2, lang2 string, aux2 uint64) {
		a := orderObject(sel1, n1, x1, s1, lang1, aux1)
		b := orderObject(sel2, n2, x2, s2, lang2, aux2)
		if a.Validate() != nil || b.Validate() != nil {
			t.Skip()
		}
		ea, eb := AppendObject(nil, a), AppendObject(nil, b)
		byBytes, byValue := sign(bytes.Compare(ea, eb)), sign(CompareObjects(a, b))
		if byBytes != byValue {
			t.Fatalf("bytes.Compare(enc %v = %x, enc %v = %x) = %d, but CompareObjects = %d",
				a, ea, b, eb, byBytes, byValue)
		}
		if sign(CompareObjects(b, a)) != -byValue {
			t.Fatalf("CompareObjects(%v, %v) is not antisymmetric", a, b)
		}
	})
}

// orderObject builds an object from fewer inputs than fuzzObject, reusing
// them across kinds so the fuzzer explores pairs quickly: the low 3 bits of
// sel choose the kind and the rest the precision; n is the int, KID, bool
// and Unix seconds; aux is the unit and nanoseconds.
func orderObject(sel uint8, n int64, x float64, s, lang string, aux uint64) Object {
	return fuzzObject(sel&7, n, x, s, lang, n&1 == 1, n, int64(aux%1e9), sel>>3, aux)
}

// seedEncodings adds the encodings of the sample objects, followed by some
// trailing bytes, and some malformed inputs.
func seedEncodings(f *testing.F) {
	for _, o := range sampleObjects() {
		f.Add(AppendObject(nil, o))
	}
	f.Add(append(AppendObject(nil, AString("x", "")), 0x00, 0x01))
	f.Add([]byte{})
	f.Add([]byte{byte(KindString), 0x00})
	f.Add([]byte{byte(KindFloat64), 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
}

func FuzzDecodeObject(f *testing.F) {
	seedEncodings(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		o, n, err := DecodeObject(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("DecodeObject(%x) returned an empty error", data)
			}
			return
		}
		if n <= 0 || n > len(data) {
			t.Fatalf("DecodeObject(%x) consumed %d bytes", data, n)
		}
		if err := o.Validate(); err != nil {
			t.Fatalf("DecodeObject(%x) = %v, which is invalid: %v", data, o, err)
		}
		if e := AppendObject(nil, o); !bytes.Equal(e, data[:n]) {
			t.Fatalf("DecodeObject(%x) = %v, which re-encodes as %x", data[:n], o, e)
		}
	})
}

func FuzzDecodeKey(f *testing.F) {
	for i, fact := range sampleFacts() {
		f.Add(AppendSPKey(nil, fact, i%2 == 0))
		f.Add(AppendPOKey(nil, fact, i%2 == 1))
	}
	seedEncodings(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range keyCodecs() {
			fact, deleted, err := c.decode(data)
			if err != nil {
				continue
			}
			if k := c.encode(nil, fact, deleted); !bytes.Equal(k, data) {
				t.Fatalf("%s: key %x decoded to %v (deleted=%v), which re-encodes as %x", c.name, data, fact, deleted, k)
			}
		}
	})
}
