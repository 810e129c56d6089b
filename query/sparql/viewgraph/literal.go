package viewgraph

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/storage"
)

// objectLiteral converts a stored literal object to an RDF literal, the
// inverse of rdf.LiteralObject as far as today's kinds allow: each kind
// comes back in the canonical form of its XSD type (a lexical form that
// was not canonical, another datatype or a time zone were lost on the way
// in). Units have no RDF form and are dropped. It stands in for the
// lossless rdf.ObjectLiteral until that lands.
func objectLiteral(o storage.Object) rdf.Term {
	switch o.Kind {
	case storage.KindString:
		if o.Lang != "" {
			return rdf.NewLiteral(o.Str, "", o.Lang)
		}
		return rdf.NewLiteral(o.Str, rdf.XSDString, "")
	case storage.KindInt64:
		return rdf.NewLiteral(strconv.FormatInt(o.Int, 10), rdf.XSDInteger, "")
	case storage.KindFloat64:
		return rdf.NewLiteral(canonicalDouble(o.Float), rdf.XSDDouble, "")
	case storage.KindBool:
		return rdf.NewLiteral(strconv.FormatBool(o.Bool), rdf.XSDBoolean, "")
	case storage.KindTimestamp:
		lex, datatype := timestampLexical(o.Time, o.Precision)
		return rdf.NewLiteral(lex, datatype, "")
	}
	// An entity is not a literal; callers convert entities through names.
	return rdf.NewLiteral(fmt.Sprintf("%v", o), rdf.XSDString, "")
}

// canonicalDouble is the canonical xsd:double form: a mantissa with one
// digit before the point, and an exponent.
func canonicalDouble(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "INF"
	case math.IsInf(v, -1):
		return "-INF"
	case math.IsNaN(v):
		return "NaN"
	}
	s := strconv.FormatFloat(v, 'E', -1, 64) // 1.5E+00, 1E+06
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// timestampLexical is the XSD form of a timestamp of the precision: the
// date types for year, month and day, xsd:dateTime in UTC otherwise.
func timestampLexical(t time.Time, p storage.Precision) (lexical, datatype string) {
	t = t.UTC()
	year := xsdYear(t.Year())
	switch p {
	case storage.PrecisionYear:
		return year, rdf.XSDNS + "gYear"
	case storage.PrecisionMonth:
		return fmt.Sprintf("%s-%02d", year, t.Month()), rdf.XSDNS + "gYearMonth"
	case storage.PrecisionDay:
		return fmt.Sprintf("%s-%02d-%02d", year, t.Month(), t.Day()), rdf.XSDNS + "date"
	}
	lex := fmt.Sprintf("%s-%02d-%02dT%02d:%02d:%02d", year, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second())
	if p == storage.PrecisionNanosecond && t.Nanosecond() != 0 {
		lex += "." + strings.TrimRight(fmt.Sprintf("%09d", t.Nanosecond()), "0")
	}
	return lex + "Z", rdf.XSDNS + "dateTime"
}

// xsdYear writes at least four digits, with a sign for years before 1.
func xsdYear(y int) string {
	if y < 0 {
		return fmt.Sprintf("-%04d", -y)
	}
	return fmt.Sprintf("%04d", y)
}
