package storage

import (
	"fmt"
	"math"
	"time"
)

// Kind is the type of an Object.
type Kind uint8

// The kinds, in the order their encodings sort.
const (
	KindEntity Kind = iota + 1
	KindString
	KindInt64
	KindFloat64
	KindBool
	KindTimestamp
)

func (k Kind) String() string {
	switch k {
	case KindEntity:
		return "entity"
	case KindString:
		return "string"
	case KindInt64:
		return "int64"
	case KindFloat64:
		return "float64"
	case KindBool:
		return "bool"
	case KindTimestamp:
		return "timestamp"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Precision says how much of a Timestamp is meaningful.
type Precision uint8

// The precisions, coarsest first.
const (
	PrecisionYear Precision = iota + 1
	PrecisionMonth
	PrecisionDay
	PrecisionHour
	PrecisionMinute
	PrecisionSecond
	PrecisionNanosecond
)

// MaxLiteralBytes is the largest string literal, and the longest external
// name (names are stored as string literals), Akutan accepts: 1 MiB of
// UTF-8. Writes with a larger one are refused before anything is read or
// appended. The limit keeps every path a value travels within its bounds
// with room to spare: a log entry written through the API holds at most
// 4 MiB (update.MaxEntryBytes), a view key holds the literal escaped (at
// most twice its size), a lookup match, a boot key or a result row goes
// alone in a message when it is larger than the 4 MiB chunk budget
// (wire.ChunkBytes), and no message may exceed wire.MaxMessageBytes
// (64 MiB): a result row holds each value twice (value and text, quoted
// and escaped), so rows of up to about ten such values fit.
const MaxLiteralBytes = 1 << 20

// Object is a fact's object: an entity or a typed literal. Only the fields
// that belong to Kind are meaningful; the rest are zero.
type Object struct {
	Kind      Kind
	Entity    uint64    // KindEntity
	Str       string    // KindString
	Lang      string    // KindString: language tag, "" for none
	Int       int64     // KindInt64
	Float     float64   // KindFloat64
	Bool      bool      // KindBool
	Time      time.Time // KindTimestamp, always UTC
	Precision Precision // KindTimestamp
	Unit      uint64    // KindInt64, KindFloat64: unit entity, 0 for none

	// The annotation keeps an RDF literal exactly (see annotation.go). It
	// is not part of the value: keys, hashes and CompareObjects ignore it,
	// SameTerm does not.
	Datatype string // datatype IRI when it is not DefaultDatatype's; "" otherwise
	Lex      string // exact lexical form when it is not the value's canonical one; "" otherwise
}

// AEntity returns an entity object.
func AEntity(kid uint64) Object { return Object{Kind: KindEntity, Entity: kid} }

// AString returns a string literal with an optional language tag.
func AString(s, lang string) Object { return Object{Kind: KindString, Str: s, Lang: lang} }

// AInt64 returns an integer literal with an optional unit entity.
func AInt64(v int64, unit uint64) Object { return Object{Kind: KindInt64, Int: v, Unit: unit} }

// AFloat64 returns a floating-point literal with an optional unit entity.
func AFloat64(v float64, unit uint64) Object { return Object{Kind: KindFloat64, Float: v, Unit: unit} }

// ABool returns a boolean literal.
func ABool(v bool) Object { return Object{Kind: KindBool, Bool: v} }

// ATimestamp returns a timestamp literal, truncated to its precision.
func ATimestamp(t time.Time, p Precision) Object {
	return Object{Kind: KindTimestamp, Time: TruncateTime(t.UTC(), p), Precision: p}
}

// Validate reports why o cannot be stored, or nil.
func (o Object) Validate() error {
	switch o.Kind {
	case KindEntity:
		if o.Entity == 0 {
			return fmt.Errorf("entity object has KID 0")
		}
	case KindString, KindInt64, KindBool, KindTimestamp:
	case KindFloat64:
		if math.IsNaN(o.Float) {
			return fmt.Errorf("float literal is NaN")
		}
	default:
		return fmt.Errorf("unknown object kind %d", o.Kind)
	}
	if o.Kind == KindTimestamp && (o.Precision < PrecisionYear || o.Precision > PrecisionNanosecond) {
		return fmt.Errorf("timestamp has invalid precision %d", o.Precision)
	}
	return o.validateAnnotation()
}

// TruncateTime drops the parts of t finer than p.
func TruncateTime(t time.Time, p Precision) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	switch p {
	case PrecisionYear:
		return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	case PrecisionMonth:
		return time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC)
	case PrecisionDay:
		return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
	case PrecisionHour:
		return time.Date(y, mo, d, h, 0, 0, 0, time.UTC)
	case PrecisionMinute:
		return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
	case PrecisionSecond:
		return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	}
	return t
}

// Fact is one stored fact: ID Subject Predicate Object, created at Index.
type Fact struct {
	Index     uint64
	ID        uint64
	Subject   uint64
	Predicate uint64
	Object    Object
}
