package viewgraph

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql/eval"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// numRange is the range of float64 values, lo <= v <= hi (±Inf for no
// bound), outside which no stored number satisfies a pattern's
// ObjectFilter. It is wider than the comparisons by a margin, so that the
// roundings of SPARQL's numeric comparisons (package fn compares a float
// at float32 precision, an integer with a double as doubles, and so on)
// can never keep a number outside it; the FILTER itself keeps the exact
// answers.
type numRange struct{ lo, hi float64 }

const (
	// relMargin widens a bound relatively: far more than a float32 ulp
	// (2^-23) or the rounding of an integer or decimal to a double.
	relMargin = 0x1p-20
	// absMargin widens a bound absolutely: more than any float32
	// subnormal, so a float that rounds to 0 at float32 precision is in.
	absMargin = 1e-30
	// float32Big is below the smallest value that rounds to a float32
	// infinity (about 3.4028236e38): a bound beyond it might compare
	// with such an infinity, and is treated as none (or as this).
	float32Big = 3e38
)

// widenLo is the lower bound a comparison "v >= c" (or "v > c") allows.
func widenLo(c float64) float64 {
	if c <= -float32Big {
		return math.Inf(-1)
	}
	t := math.Min(c, float32Big)
	return t - math.Abs(t)*relMargin - absMargin
}

// widenHi is the upper bound a comparison "v <= c" (or "v < c") allows.
func widenHi(c float64) float64 { return -widenLo(-c) }

// numericRange returns the range that the comparisons of a pattern's
// ObjectFilter allow for numbers; ok is false when none of them is a
// comparison with a number it understands (those it does not understand
// are left to the FILTER).
func numericRange(cmps []eval.Comparison) (r numRange, ok bool) {
	r = numRange{math.Inf(-1), math.Inf(1)}
	for _, c := range cmps {
		v, isNum := numericValue(c.Value)
		if !isNum {
			continue
		}
		switch c.Op {
		case ">", ">=":
			r.lo = math.Max(r.lo, widenLo(v))
		case "<", "<=":
			r.hi = math.Min(r.hi, widenHi(v))
		case "=":
			r.lo = math.Max(r.lo, widenLo(v))
			r.hi = math.Min(r.hi, widenHi(v))
		default:
			continue
		}
		ok = true
	}
	return r, ok
}

var (
	integerLex = regexp.MustCompile(`^[+-]?[0-9]+$`)
	decimalLex = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
	doubleLex  = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
)

// integerTypes are xsd:integer and the XSD types derived from it.
var integerTypes = map[string]bool{
	"integer": true, "nonPositiveInteger": true, "negativeInteger": true, "long": true,
	"int": true, "short": true, "byte": true, "nonNegativeInteger": true,
	"unsignedLong": true, "unsignedInt": true, "unsignedShort": true,
	"unsignedByte": true, "positiveInteger": true,
}

// numericValue is the value of a numeric XSD literal, as a float64
// (nearest, or ±Inf beyond its range); ok is false for anything else,
// including NaN and a lexical form that is not valid. Where SPARQL's value
// of the literal differs (an xsd:float at float32 precision), it differs
// by less than the margins of widenLo.
func numericValue(t rdf.Term) (v float64, ok bool) {
	if t.Kind != rdf.Literal || t.Lang != "" {
		return 0, false
	}
	local, isXSD := strings.CutPrefix(t.Datatype, rdf.XSDNS)
	if !isXSD {
		return 0, false
	}
	lex := strings.TrimSpace(t.Value)
	switch {
	case local == "double" || local == "float":
		switch lex {
		case "INF", "+INF":
			return math.Inf(1), true
		case "-INF":
			return math.Inf(-1), true
		}
		if !doubleLex.MatchString(lex) {
			return 0, false
		}
		f, err := strconv.ParseFloat(lex, 64)
		if err != nil {
			if ne, isNum := err.(*strconv.NumError); !isNum || ne.Err != strconv.ErrRange {
				return 0, false
			}
		}
		return f, !math.IsNaN(f)
	case local == "decimal":
		if !decimalLex.MatchString(lex) {
			return 0, false
		}
		r, isRat := new(big.Rat).SetString(strings.TrimPrefix(lex, "+"))
		if !isRat {
			return 0, false
		}
		f, _ := r.Float64()
		return f, true
	case integerTypes[local]:
		if !integerLex.MatchString(lex) {
			return 0, false
		}
		i, isInt := new(big.Int).SetString(strings.TrimPrefix(lex, "+"), 10)
		if !isInt {
			return 0, false
		}
		f, _ := new(big.Float).SetInt(i).Float64()
		return f, true
	}
	return 0, false
}

// objectScans are the range scans that find every fact of predicate p
// whose object can pass the comparisons of an ObjectFilter: those of
// numericScans if it compares with a number it understands, else those of
// dateTimeScans if it compares with an xsd:dateTime, else those of
// stringScans if it compares with a string; ok is false when it does
// none of these. Each comparison is a condition every answer meets, so
// using some of them and not others only finds more.
func objectScans(p uint64, cmps []eval.Comparison) (scans []*wire.POCmp, ok bool) {
	if r, isNum := numericRange(cmps); isNum {
		return numericScans(p, r), true
	}
	if r, isTime := dateTimeRange(cmps); isTime {
		return dateTimeScans(p, r), true
	}
	if r, isStr := stringRange(cmps); isStr {
		return stringScans(p, r), true
	}
	return nil, false
}

// numericScans are the comparisons that find every fact of predicate p
// whose object could be a number in r: the int64 and float64 objects in r
// (of no unit: RDF numbers have none), and every plain string, whose
// datatype may be a numeric one that storage could not hold natively (an
// integer beyond int64, a decimal beyond a float64's precision) or an
// ill-typed one; a string cannot be range-scanned by its numeric value.
// Nothing else (booleans, timestamps, language strings, entities) ever
// compares as a number. The three find disjoint kinds of objects.
func numericScans(p uint64, r numRange) []*wire.POCmp {
	out := []*wire.POCmp{{Predicate: p, Op: wire.CmpOp_CMP_GTE, Value: wire.FromObject(storage.AString("", ""))}}
	if c := intScan(p, r); c != nil {
		out = append(out, c)
	}
	if c := floatScan(p, r); c != nil {
		out = append(out, c)
	}
	return out
}

// strRange is the range of strings lo <= s < end (end nil: no end) that
// comparisons with simple or xsd:string literals allow.
type strRange struct {
	lo  string
	end *string
}

// stringRange returns the range the comparisons of an ObjectFilter with
// xsd:string literals (simple literals) allow; ok is false when there are
// none. SPARQL orders such strings by code point, which is the byte order
// of their UTF-8, the order of the storage encoding; s+"\x00" is the
// first string after s.
func stringRange(cmps []eval.Comparison) (r strRange, ok bool) {
	for _, c := range cmps {
		if c.Value.Kind != rdf.Literal || c.Value.Lang != "" || c.Value.Datatype != rdf.XSDString {
			continue
		}
		v := c.Value.Value
		lo, end := "", (*string)(nil)
		switch c.Op {
		case ">":
			lo = v + "\x00"
		case ">=":
			lo = v
		case "<":
			end = &v
		case "<=":
			next := v + "\x00"
			end = &next
		case "=":
			next := v + "\x00"
			lo, end = v, &next
		default:
			continue
		}
		if lo > r.lo {
			r.lo = lo
		}
		if end != nil && (r.end == nil || *end < *r.end) {
			r.end = end
		}
		ok = true
	}
	return r, ok
}

// stringScans are the comparisons that find every fact of predicate p
// whose object is a plain string (no language tag) in r: only an
// xsd:string compares with one (a plain string with another datatype is
// found too, and left to the FILTER). None when r is empty.
func stringScans(p uint64, r strRange) []*wire.POCmp {
	lo := wire.FromObject(storage.AString(r.lo, ""))
	switch {
	case r.end == nil:
		return []*wire.POCmp{{Predicate: p, Op: wire.CmpOp_CMP_GTE, Value: lo}}
	case r.lo >= *r.end:
		return nil
	}
	return []*wire.POCmp{{Predicate: p, Op: wire.CmpOp_CMP_RANGE, Value: lo, End: wire.FromObject(storage.AString(*r.end, ""))}}
}

// two63 is 2^63, exactly.
const two63 = 0x1p63

// intScan is the comparison that finds the int64 objects of p in r, nil
// if none can be.
func intScan(p uint64, r numRange) *wire.POCmp {
	if r.lo > r.hi || r.lo >= two63 || r.hi < -two63 {
		return nil
	}
	cmp := func(op wire.CmpOp, v int64) *wire.POCmp {
		return &wire.POCmp{Predicate: p, Op: op, Value: wire.FromObject(storage.AInt64(v, 0))}
	}
	hasLo, hasHi := r.lo > -two63, r.hi < two63
	var lo, hi int64
	if hasLo {
		lo = int64(math.Floor(r.lo)) // in [-2^63, 2^63)
	}
	if hasHi {
		hi = int64(math.Ceil(r.hi)) // in [-2^63, 2^63)
	}
	switch {
	case !hasLo && !hasHi:
		return cmp(wire.CmpOp_CMP_GTE, math.MinInt64)
	case !hasHi || hi == math.MaxInt64:
		return cmp(wire.CmpOp_CMP_GTE, lo)
	case !hasLo:
		return cmp(wire.CmpOp_CMP_LTE, hi)
	}
	c := cmp(wire.CmpOp_CMP_RANGE, lo)
	c.End = wire.FromObject(storage.AInt64(hi+1, 0))
	return c
}

// floatScan is the comparison that finds the float64 objects of p in r,
// nil if none can be.
func floatScan(p uint64, r numRange) *wire.POCmp {
	if r.lo > r.hi {
		return nil
	}
	cmp := func(op wire.CmpOp, v float64) *wire.POCmp {
		return &wire.POCmp{Predicate: p, Op: op, Value: wire.FromObject(storage.AFloat64(v, 0))}
	}
	switch {
	case math.IsInf(r.hi, 1):
		return cmp(wire.CmpOp_CMP_GTE, r.lo)
	case math.IsInf(r.lo, -1):
		return cmp(wire.CmpOp_CMP_LTE, r.hi)
	}
	c := cmp(wire.CmpOp_CMP_RANGE, r.lo)
	c.End = wire.FromObject(storage.AFloat64(math.Nextafter(r.hi, math.Inf(1)), 0))
	return c
}

// timeRange is the range of instants lo <= t <= hi (a zero time: no
// bound) that comparisons with xsd:dateTime literals allow.
type timeRange struct{ lo, hi time.Time }

// timeMargin widens a dateTime bound. Storage and package fn both read a
// dateTime without a time zone as UTC, and fn orders one without a zone
// against one with a zone only when they are more than 14 hours apart
// (stricter than their instants), so the margin is for safety: against
// the order of precisions among equal instants in the encoding, and any
// difference between how the two read a lexical form.
const timeMargin = 15 * time.Hour

// dateTimeRange returns the range the comparisons of an ObjectFilter with
// xsd:dateTime literals allow; ok is false when there are none that
// storage can read as a timestamp (rdf.LiteralObject).
func dateTimeRange(cmps []eval.Comparison) (r timeRange, ok bool) {
	for _, c := range cmps {
		if c.Value.Kind != rdf.Literal || c.Value.Datatype != rdf.XSDNS+"dateTime" {
			continue
		}
		o := rdf.LiteralObject(c.Value)
		if o.Kind != storage.KindTimestamp {
			continue
		}
		lo, hi := o.Time.Add(-timeMargin), o.Time.Add(timeMargin)
		switch c.Op {
		case ">", ">=":
			hi = time.Time{}
		case "<", "<=":
			lo = time.Time{}
		case "=":
		default:
			continue
		}
		if !lo.IsZero() && (r.lo.IsZero() || lo.After(r.lo)) {
			r.lo = lo
		}
		if !hi.IsZero() && (r.hi.IsZero() || hi.Before(r.hi)) {
			r.hi = hi
		}
		ok = true
	}
	return r, ok
}

// dateTimeScans are the comparisons that find every fact of predicate p
// whose object could be an xsd:dateTime in r: the timestamps in r, and
// every plain string, whose datatype may be xsd:dateTime with a value
// storage could not hold as a timestamp. Timestamps of other datatypes
// (xsd:date, xsd:gYear) are found too and left to the FILTER.
func dateTimeScans(p uint64, r timeRange) []*wire.POCmp {
	out := []*wire.POCmp{{Predicate: p, Op: wire.CmpOp_CMP_GTE, Value: wire.FromObject(storage.AString("", ""))}}
	at := func(t time.Time) *wire.Object {
		return wire.FromObject(storage.ATimestamp(t, storage.PrecisionNanosecond))
	}
	switch {
	case r.hi.IsZero():
		return append(out, &wire.POCmp{Predicate: p, Op: wire.CmpOp_CMP_GTE, Value: at(r.lo)})
	case r.lo.IsZero():
		return append(out, &wire.POCmp{Predicate: p, Op: wire.CmpOp_CMP_LTE, Value: at(r.hi)})
	case r.lo.After(r.hi):
		return out
	}
	return append(out, &wire.POCmp{Predicate: p, Op: wire.CmpOp_CMP_RANGE, Value: at(r.lo), End: at(r.hi.Add(time.Nanosecond))})
}
