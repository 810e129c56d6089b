package storage

import (
	"bytes"
	"testing"
	"time"
)

func TestAnnotationRoundTrip(t *testing.T) {
	ts := ATimestamp(time.Date(2019, 12, 31, 22, 0, 0, 0, time.UTC), PrecisionSecond)
	for _, o := range []Object{
		AInt64(1, 0),
		withAnnotation(AInt64(1, 0), "", "01"),
		withAnnotation(AFloat64(1.5, 0), XSD+"decimal", "1.50"),
		withAnnotation(AString("x", ""), "http://ex/dt", ""),
		withAnnotation(ts, "", "2020-01-01T00:00:00+02:00"),
		withAnnotation(AString("1234567890123456789012345678901234567890", ""), XSD+"decimal", ""),
		withAnnotation(AFloat64(1, 0), "", "1e0"),
		withAnnotation(ABool(true), "", "1"),
	} {
		if err := o.Validate(); err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		enc := AppendAnnotation(nil, o)
		if o.Annotated() != (len(enc) > 0) {
			t.Errorf("%+v: encoding %x, annotated %v", o, enc, o.Annotated())
		}
		got := o
		got.Datatype, got.Lex = "", ""
		if err := DecodeAnnotation(enc, &got); err != nil {
			t.Fatalf("DecodeAnnotation(%x): %v", enc, err)
		}
		if !SameTerm(got, o) {
			t.Errorf("round trip of %+v gave %+v", o, got)
		}
	}
}

func withAnnotation(o Object, datatype, lex string) Object {
	o.Datatype, o.Lex = datatype, lex
	return o
}

func TestSameTerm(t *testing.T) {
	one, zeroOne := AInt64(1, 0), withAnnotation(AInt64(1, 0), "", "01")
	if CompareObjects(one, zeroOne) != 0 {
		t.Errorf("values of 1 and \"01\" differ")
	}
	if SameTerm(one, zeroOne) {
		t.Errorf("SameTerm(1, \"01\") = true")
	}
	if !SameTerm(zeroOne, zeroOne) {
		t.Errorf("SameTerm(\"01\", \"01\") = false")
	}
	if !bytes.Equal(AppendObject(nil, one), AppendObject(nil, zeroOne)) {
		t.Errorf("the value encoding depends on the annotation")
	}
}

func TestAnnotationInvalid(t *testing.T) {
	for _, o := range []Object{
		withAnnotation(AEntity(5), XSD+"integer", ""),
		withAnnotation(AString("x", ""), "", "y"),
		withAnnotation(AString("x", "fr"), "http://ex/dt", ""),
		withAnnotation(AInt64(1, 0), XSD+"integer", ""),
		withAnnotation(ATimestamp(time.Unix(0, 0), PrecisionYear), XSD+"gYear", ""),
	} {
		if o.Validate() == nil {
			t.Errorf("%+v is valid", o)
		}
	}
	for _, b := range [][]byte{
		{2, 0, 0},         // unknown version
		{1, 0, 0},         // empty but encoded
		{1, 5, 'a'},       // truncated
		{1, 1, 'a', 0, 9}, // trailing bytes
		{1, 0x81, 0, 'a'}, // length not in shortest form
		{1},               // no lengths
	} {
		o := AInt64(1, 0)
		if err := DecodeAnnotation(b, &o); err == nil {
			t.Errorf("DecodeAnnotation(%x) = %+v, want an error", b, o)
		}
	}
}

func FuzzAnnotation(f *testing.F) {
	f.Add(uint8(KindInt64), []byte{1, 0, 2, '0', '1'})
	f.Add(uint8(KindString), []byte{1, 4, 'h', 't', 't', 'p', 0})
	f.Add(uint8(KindFloat64), []byte{})
	f.Fuzz(func(t *testing.T, sel uint8, b []byte) {
		o := fuzzObject(sel, 1, 1, "s", "", true, 0, 0, uint8(PrecisionSecond), 1)
		if o.Validate() != nil {
			t.Skip()
		}
		if err := DecodeAnnotation(b, &o); err != nil {
			return
		}
		if err := o.Validate(); err != nil {
			t.Fatalf("decoded annotation %x gives invalid %+v: %v", b, o, err)
		}
		if enc := AppendAnnotation(nil, o); !bytes.Equal(enc, b) {
			t.Fatalf("annotation %x re-encodes as %x", b, enc)
		}
	})
}
