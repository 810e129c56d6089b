package wire

import (
	"fmt"
	"math"
	"time"

	"github.com/akutan-dev/akutan/storage"
)

// FromObject converts a storage object to its wire form.
func FromObject(o storage.Object) *Object {
	w := &Object{}
	switch o.Kind {
	case storage.KindEntity:
		w.Value = &Object_Entity{Entity: o.Entity}
	case storage.KindString:
		w.Value = &Object_Str{Str: o.Str}
		w.Lang = o.Lang
	case storage.KindInt64:
		w.Value = &Object_Int64{Int64: o.Int}
		w.Unit = o.Unit
	case storage.KindFloat64:
		w.Value = &Object_Float64{Float64: o.Float}
		w.Unit = o.Unit
	case storage.KindBool:
		w.Value = &Object_Bool{Bool: o.Bool}
	case storage.KindTimestamp:
		w.Value = &Object_Timestamp{Timestamp: FromTime(o.Time, o.Precision)}
	}
	w.Datatype, w.Lex = o.Datatype, o.Lex
	return w
}

// FromTime converts a timestamp literal's parts to the wire form.
func FromTime(t time.Time, p storage.Precision) *Timestamp {
	return &Timestamp{Seconds: t.Unix(), Nanos: int32(t.Nanosecond()), Precision: uint32(p)}
}

// ToObject converts a wire object to a validated storage object.
func ToObject(w *Object) (storage.Object, error) {
	if w == nil {
		return storage.Object{}, fmt.Errorf("object is missing")
	}
	var o storage.Object
	switch v := w.Value.(type) {
	case *Object_Entity:
		o = storage.AEntity(v.Entity)
	case *Object_Str:
		o = storage.AString(v.Str, w.Lang)
	case *Object_Int64:
		o = storage.AInt64(v.Int64, w.Unit)
	case *Object_Float64:
		o = storage.AFloat64(v.Float64, w.Unit)
	case *Object_Bool:
		o = storage.ABool(v.Bool)
	case *Object_Timestamp:
		t, p, err := ToTime(v.Timestamp)
		if err != nil {
			return o, err
		}
		o = storage.ATimestamp(t, p)
	default:
		return o, fmt.Errorf("object has no value")
	}
	o.Datatype, o.Lex = w.Datatype, w.Lex
	return o, o.Validate()
}

// ToTime converts a wire timestamp to its parts, checking the ranges.
func ToTime(ts *Timestamp) (time.Time, storage.Precision, error) {
	if ts == nil {
		return time.Time{}, 0, fmt.Errorf("timestamp is missing")
	}
	if ts.Nanos < 0 || ts.Nanos > 999_999_999 {
		return time.Time{}, 0, fmt.Errorf("timestamp nanos %d out of range", ts.Nanos)
	}
	p := storage.Precision(ts.Precision)
	if p < storage.PrecisionYear || p > storage.PrecisionNanosecond || ts.Precision > math.MaxUint8 {
		return time.Time{}, 0, fmt.Errorf("timestamp precision %d is invalid", ts.Precision)
	}
	return time.Unix(ts.Seconds, int64(ts.Nanos)).UTC(), p, nil
}

// FromFact converts a storage fact to its wire form.
func FromFact(f storage.Fact) *Fact {
	return &Fact{Index: f.Index, Id: f.ID, Subject: f.Subject, Predicate: f.Predicate, Object: FromObject(f.Object)}
}

// ToFact converts a wire fact to a storage fact.
func ToFact(w *Fact) (storage.Fact, error) {
	if w == nil {
		return storage.Fact{}, fmt.Errorf("fact is missing")
	}
	o, err := ToObject(w.Object)
	if err != nil {
		return storage.Fact{}, fmt.Errorf("fact %d: %w", w.Id, err)
	}
	return storage.Fact{Index: w.Index, ID: w.Id, Subject: w.Subject, Predicate: w.Predicate, Object: o}, nil
}
