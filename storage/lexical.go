package storage

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// CanonicalLexical returns the canonical lexical form of o's value in o's
// default datatype (see Object.DefaultDatatype): the string itself, the
// decimal integer, the xsd:double canonical form (1.5E0, INF, -INF), true
// or false, and a timestamp in UTC down to its precision (2020, 2020-01,
// 2020-01-01, 2020-01-01T12:00:00Z, with a fraction only for nanosecond
// precision). An annotated object's Lex is set exactly when its lexical
// form differs from this. Entities have none: "".
func CanonicalLexical(o Object) string {
	switch o.Kind {
	case KindString:
		return o.Str
	case KindInt64:
		return strconv.FormatInt(o.Int, 10)
	case KindFloat64:
		return canonicalDouble(o.Float)
	case KindBool:
		return strconv.FormatBool(o.Bool)
	case KindTimestamp:
		return canonicalTimestamp(o.Time, o.Precision)
	}
	return ""
}

// Lexical returns o's lexical form: Lex if set, CanonicalLexical otherwise.
func (o Object) Lexical() string {
	if o.Lex != "" {
		return o.Lex
	}
	return CanonicalLexical(o)
}

// canonicalDouble is the canonical xsd:double form: a mantissa with one
// digit before the point, and an exponent. -0 is 0 (the encoding does not
// tell them apart).
func canonicalDouble(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "INF"
	case math.IsInf(v, -1):
		return "-INF"
	case math.IsNaN(v):
		return "NaN"
	case v == 0:
		return "0.0E0"
	}
	s := strconv.FormatFloat(v, 'E', -1, 64) // 1.5E+00, 1E+06
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// canonicalTimestamp is the XSD form of a timestamp of the precision: the
// date types for year, month and day, xsd:dateTime in UTC otherwise.
func canonicalTimestamp(t time.Time, p Precision) string {
	t = t.UTC()
	year := xsdYear(t.Year())
	switch p {
	case PrecisionYear:
		return year
	case PrecisionMonth:
		return fmt.Sprintf("%s-%02d", year, t.Month())
	case PrecisionDay:
		return fmt.Sprintf("%s-%02d-%02d", year, t.Month(), t.Day())
	}
	lex := fmt.Sprintf("%s-%02d-%02dT%02d:%02d:%02d", year, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second())
	if p == PrecisionNanosecond && t.Nanosecond() != 0 {
		lex += "." + strings.TrimRight(fmt.Sprintf("%09d", t.Nanosecond()), "0")
	}
	return lex + "Z"
}

// xsdYear writes at least four digits, with a sign for years before 1.
func xsdYear(y int) string {
	if y < 0 {
		return fmt.Sprintf("-%04d", -y)
	}
	return fmt.Sprintf("%04d", y)
}
