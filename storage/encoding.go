package storage

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"
)

// Object encoding
//
// An encoded object starts with its Kind byte, followed by:
//
//	KindEntity:    KID (8)
//	KindString:    escaped language, escaped string
//	KindInt64:     unit (8), value with the sign bit flipped (8)
//	KindFloat64:   unit (8), sortable float bits (8)
//	KindBool:      0 or 1 (1)
//	KindTimestamp: Unix seconds with the sign bit flipped (8), nanos (4), precision (1)
//
// Integers are big-endian. A string is escaped by writing each 0x00 byte as
// 0x00 0xFF and terminating it with 0x00 0x01: the terminator sorts below
// every byte that can follow a prefix, so a shorter string sorts first, and
// no escaped string is a prefix of another.
//
// Two properties make the encoding usable inside keys. It is self-delimiting
// (no encoding is a proper prefix of another), so a key prefix ending with an
// object matches only that object. And it is order-preserving (the byte order
// of encodings is the order of CompareObjects), so a range scan over keys is
// a range scan over values.

const (
	// escapeByte begins a two-byte sequence inside an escaped string.
	escapeByte = 0x00
	// escapedZero follows escapeByte to stand for a literal 0x00.
	escapedZero = 0xFF
	// terminatorByte follows escapeByte to end an escaped string.
	terminatorByte = 0x01

	// signBit flips two's complement order into unsigned byte order.
	signBit = 1 << 63

	// Encoded sizes of the fixed-width parts.
	idLen        = 8
	timestampLen = 8 + 4 + 1
	nanosPerSec  = 1_000_000_000
)

// AppendObject appends the encoding of o to dst and returns the extended
// slice. It assumes o.Validate() passed; an object of unknown kind encodes as
// just its kind byte, which DecodeObject rejects.
func AppendObject(dst []byte, o Object) []byte {
	dst = AppendObjectGroup(dst, o)
	switch o.Kind {
	case KindEntity:
		return binary.BigEndian.AppendUint64(dst, o.Entity)
	case KindString:
		return appendEscaped(dst, o.Str)
	case KindInt64:
		return binary.BigEndian.AppendUint64(dst, uint64(o.Int)^signBit)
	case KindFloat64:
		return binary.BigEndian.AppendUint64(dst, sortableFloatBits(o.Float))
	case KindBool:
		return append(dst, boolByte(o.Bool))
	case KindTimestamp:
		return appendTimestamp(dst, o.Time, o.Precision)
	}
	return dst
}

// AppendObjectGroup appends the encoding prefix shared by every object of
// o's kind and group: the kind byte, plus the unit for int64 and float64 or
// the escaped language for strings. Values are only comparable within a
// group, so this prefix bounds a comparison range scan.
func AppendObjectGroup(dst []byte, o Object) []byte {
	dst = append(dst, byte(o.Kind))
	switch o.Kind {
	case KindString:
		return appendEscaped(dst, o.Lang)
	case KindInt64, KindFloat64:
		return binary.BigEndian.AppendUint64(dst, o.Unit)
	}
	return dst
}

// appendEscaped appends s escaped and terminated, as described above.
func appendEscaped(dst []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, escapeByte)
		if i < 0 {
			dst = append(dst, s...)
			return append(dst, escapeByte, terminatorByte)
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, escapedZero)
		s = s[i+1:]
	}
}

// sortableFloatBits maps f to a uint64 whose unsigned order is f's numeric
// order: positive floats already sort by their bits once the sign bit is set,
// and negative floats sort backwards, so all their bits are flipped.
func sortableFloatBits(f float64) uint64 {
	if f == 0 {
		f = 0 // -0 equals +0, so they must share one encoding.
	}
	b := math.Float64bits(f)
	if b&signBit == 0 {
		return b | signBit
	}
	return ^b
}

// floatFromSortableBits inverts sortableFloatBits, rejecting the bit
// patterns it never produces.
func floatFromSortableBits(u uint64) (float64, error) {
	var f float64
	if u&signBit != 0 {
		f = math.Float64frombits(u &^ signBit)
	} else {
		f = math.Float64frombits(^u)
	}
	if math.IsNaN(f) {
		return 0, fmt.Errorf("float64 value is NaN (bits 0x%016x)", u)
	}
	if f == 0 && math.Signbit(f) {
		return 0, fmt.Errorf("float64 value is a non-canonical negative zero")
	}
	return f, nil
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// appendTimestamp encodes t as Unix seconds and nanoseconds, which orders
// timestamps by instant regardless of location, then the precision, which
// separates equal instants of different precision.
func appendTimestamp(dst []byte, t time.Time, p Precision) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(t.Unix())^signBit)
	dst = binary.BigEndian.AppendUint32(dst, uint32(t.Nanosecond()))
	return append(dst, byte(p))
}

// DecodeObject decodes one object from the front of b and returns it with
// the number of bytes consumed. It never panics; it returns an error if b
// does not start with a valid, canonical encoding. A decoded object has only
// its kind's fields set, and its Time (if any) is in UTC, so re-encoding it
// yields exactly the consumed bytes.
func DecodeObject(b []byte) (o Object, n int, err error) {
	if len(b) == 0 {
		return Object{}, 0, fmt.Errorf("decoding object: input is empty")
	}
	kind := Kind(b[0])
	if kind < KindEntity || kind > KindTimestamp {
		return Object{}, 0, fmt.Errorf("decoding object: unknown kind byte 0x%02x", b[0])
	}
	o, n, err = decodeObjectBody(kind, b[1:])
	if err != nil {
		return Object{}, 0, fmt.Errorf("decoding %v object: %w", kind, err)
	}
	if err := o.Validate(); err != nil {
		return Object{}, 0, fmt.Errorf("decoding %v object: %w", o.Kind, err)
	}
	return o, 1 + n, nil
}

// decodeObjectBody decodes the bytes after the kind byte.
func decodeObjectBody(kind Kind, b []byte) (Object, int, error) {
	switch kind {
	case KindEntity:
		return decodeEntity(b)
	case KindString:
		return decodeString(b)
	case KindInt64:
		return decodeInt64(b)
	case KindFloat64:
		return decodeFloat64(b)
	case KindBool:
		return decodeBool(b)
	case KindTimestamp:
		return decodeTimestamp(b)
	}
	return Object{}, 0, fmt.Errorf("unknown kind byte 0x%02x", byte(kind))
}

// needBytes reports an error if b is shorter than n bytes.
func needBytes(b []byte, n int, what string) error {
	if len(b) < n {
		return fmt.Errorf("truncated %s: need %d bytes, have %d", what, n, len(b))
	}
	return nil
}

func decodeEntity(b []byte) (Object, int, error) {
	if err := needBytes(b, idLen, "KID"); err != nil {
		return Object{}, 0, err
	}
	return AEntity(binary.BigEndian.Uint64(b)), idLen, nil
}

func decodeString(b []byte) (Object, int, error) {
	lang, n, err := decodeEscaped(b)
	if err != nil {
		return Object{}, 0, fmt.Errorf("language: %w", err)
	}
	s, m, err := decodeEscaped(b[n:])
	if err != nil {
		return Object{}, 0, fmt.Errorf("string value: %w", err)
	}
	return AString(s, lang), n + m, nil
}

// decodeEscaped decodes one escaped, terminated string from the front of b.
func decodeEscaped(b []byte) (string, int, error) {
	var out []byte   // nil until an escaped zero forces a copy
	start, i := 0, 0 // b[start:i] is decoded but not yet copied to out
	for {
		j := bytes.IndexByte(b[i:], escapeByte)
		if j < 0 {
			return "", 0, fmt.Errorf("truncated escaped string: no terminator in %d bytes", len(b))
		}
		i += j
		if i+1 == len(b) {
			return "", 0, fmt.Errorf("truncated escaped string: input ends inside an escape at offset %d", i)
		}
		switch b[i+1] {
		case terminatorByte:
			if out == nil {
				return string(b[:i]), i + 2, nil
			}
			return string(append(out, b[start:i]...)), i + 2, nil
		case escapedZero:
			out = append(out, b[start:i+1]...)
			i += 2
			start = i
		default:
			return "", 0, fmt.Errorf("bad escape 0x00 0x%02x at offset %d", b[i+1], i)
		}
	}
}

func decodeInt64(b []byte) (Object, int, error) {
	if err := needBytes(b, 2*idLen, "unit and int64 value"); err != nil {
		return Object{}, 0, err
	}
	unit := binary.BigEndian.Uint64(b)
	v := int64(binary.BigEndian.Uint64(b[idLen:]) ^ signBit)
	return AInt64(v, unit), 2 * idLen, nil
}

func decodeFloat64(b []byte) (Object, int, error) {
	if err := needBytes(b, 2*idLen, "unit and float64 value"); err != nil {
		return Object{}, 0, err
	}
	unit := binary.BigEndian.Uint64(b)
	f, err := floatFromSortableBits(binary.BigEndian.Uint64(b[idLen:]))
	if err != nil {
		return Object{}, 0, err
	}
	return AFloat64(f, unit), 2 * idLen, nil
}

func decodeBool(b []byte) (Object, int, error) {
	if err := needBytes(b, 1, "bool value"); err != nil {
		return Object{}, 0, err
	}
	switch b[0] {
	case 0:
		return ABool(false), 1, nil
	case 1:
		return ABool(true), 1, nil
	}
	return Object{}, 0, fmt.Errorf("bool byte is 0x%02x, want 0x00 or 0x01", b[0])
}

func decodeTimestamp(b []byte) (Object, int, error) {
	if err := needBytes(b, timestampLen, "timestamp"); err != nil {
		return Object{}, 0, err
	}
	sec := int64(binary.BigEndian.Uint64(b) ^ signBit)
	nanos := binary.BigEndian.Uint32(b[8:])
	if nanos >= nanosPerSec {
		return Object{}, 0, fmt.Errorf("timestamp nanos %d out of range [0, 1e9)", nanos)
	}
	p := Precision(b[12])
	if p < PrecisionYear || p > PrecisionNanosecond {
		return Object{}, 0, fmt.Errorf("timestamp has invalid precision %d", p)
	}
	// Built directly rather than through ATimestamp: truncating again could
	// move the instant and break the exact round trip.
	t := time.Unix(sec, int64(nanos)).UTC()
	return Object{Kind: KindTimestamp, Time: t, Precision: p}, timestampLen, nil
}

// CompareObjects returns -1, 0 or +1 as a sorts before, equal to or after b.
// Objects order first by Kind, then within a kind by group (unit for int64
// and float64, language for strings), then by value. Strings compare
// bytewise, -0.0 equals +0.0, false sorts before true, and timestamps order
// by instant, then by precision. Fields that do not belong to the kind are
// ignored. The order matches the byte order of AppendObject for valid
// objects.
func CompareObjects(a, b Object) int {
	if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	switch a.Kind {
	case KindEntity:
		return cmp.Compare(a.Entity, b.Entity)
	case KindString:
		return cmpThen(strings.Compare(a.Lang, b.Lang), strings.Compare(a.Str, b.Str))
	case KindInt64:
		return cmpThen(cmp.Compare(a.Unit, b.Unit), cmp.Compare(a.Int, b.Int))
	case KindFloat64:
		// cmp.Compare treats -0 and +0 as equal, matching the encoding.
		return cmpThen(cmp.Compare(a.Unit, b.Unit), cmp.Compare(a.Float, b.Float))
	case KindBool:
		return cmp.Compare(boolByte(a.Bool), boolByte(b.Bool))
	case KindTimestamp:
		return compareTimestamps(a, b)
	}
	return 0
}

// cmpThen returns first unless it is 0, in which case it returns second.
func cmpThen(first, second int) int {
	if first != 0 {
		return first
	}
	return second
}

// compareTimestamps compares by the same Unix seconds and nanoseconds the
// encoding uses, so the two agree even for times far outside the range
// time.Time arithmetic handles exactly.
func compareTimestamps(a, b Object) int {
	if c := cmp.Compare(a.Time.Unix(), b.Time.Unix()); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Time.Nanosecond(), b.Time.Nanosecond()); c != 0 {
		return c
	}
	return cmp.Compare(a.Precision, b.Precision)
}
