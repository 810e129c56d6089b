package parser

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/akutan-dev/akutan/storage"
)

// FormatEntity prints an entity in the query language: as a QName like
// rdf:type when its name is one, else as <name>, else as #kid when name
// returns "" or a name that would not parse back to itself. name may be nil.
func FormatEntity(kid uint64, name func(kid uint64) string) string {
	n := ""
	if name != nil {
		n = name(kid)
	}
	switch {
	case validQName(n):
		return n
	case validEntityName(n):
		if _, isOp := operatorNamed(n); !isOp {
			return "<" + n + ">"
		}
	}
	return "#" + strconv.FormatUint(kid, 10)
}

// FormatObject prints o in the query language so that parsing the result
// gives o back, with entities and units named by name (which may be nil).
//
// Limitations: NaN prints as NaN, which does not parse (nor can it be
// stored); invalid UTF-8 in strings prints as U+FFFD; timestamps outside
// years 0000-9999 and language tags that are not [A-Za-z]+(-[A-Za-z0-9]+)*
// print but do not parse back. A literal with an annotation (an RDF
// literal loaded with another datatype or lexical form than its kind's
// canonical one, see storage.Object) prints as the RDF term it is,
// "lexical"^^<datatype>, which the query language has no syntax for.
func FormatObject(o storage.Object, name func(kid uint64) string) string {
	if o.Annotated() && o.Kind != storage.KindEntity {
		return formatString(o.Lexical(), o.Lang) + "^^<" + o.Type() + ">"
	}
	switch o.Kind {
	case storage.KindEntity:
		return FormatEntity(o.Entity, name)
	case storage.KindString:
		return formatString(o.Str, o.Lang)
	case storage.KindInt64:
		return strconv.FormatInt(o.Int, 10) + formatUnit(o.Unit, name)
	case storage.KindFloat64:
		return formatFloat(o.Float) + formatUnit(o.Unit, name)
	case storage.KindBool:
		return strconv.FormatBool(o.Bool)
	case storage.KindTimestamp:
		return formatTimestamp(o)
	}
	return fmt.Sprintf("(invalid object kind %d)", o.Kind)
}

// formatUnit prints the ^^unit suffix, or nothing for unit 0.
func formatUnit(unit uint64, name func(kid uint64) string) string {
	if unit == 0 {
		return ""
	}
	return "^^" + FormatEntity(unit, name)
}

// formatString quotes s with the escapes the lexer understands. Control
// and other non-printing characters are escaped so output stays on one
// line and readable.
func formatString(s, lang string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case !unicode.IsPrint(r) && r > 0xFFFF:
			fmt.Fprintf(&b, `\U%08X`, r)
		case !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	if lang != "" {
		b.WriteString("@" + lang)
	}
	return b.String()
}

// formatFloat prints f so that it reads back as a float: with a '.' or an
// exponent, or as INF / -INF.
func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	case math.IsNaN(f):
		return "NaN"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// formatTimestamp prints a timestamp down to its precision; an invalid
// precision prints in full.
func formatTimestamp(o storage.Object) string {
	t := o.Time.UTC()
	p := o.Precision
	if p < storage.PrecisionYear || p > storage.PrecisionNanosecond {
		p = storage.PrecisionNanosecond
	}
	s := fmt.Sprintf("%04d", t.Year())
	parts := []struct {
		prec storage.Precision
		text string
	}{
		{storage.PrecisionMonth, fmt.Sprintf("-%02d", int(t.Month()))},
		{storage.PrecisionDay, fmt.Sprintf("-%02d", t.Day())},
		{storage.PrecisionHour, fmt.Sprintf(" %02d", t.Hour())},
		{storage.PrecisionMinute, fmt.Sprintf(":%02d", t.Minute())},
		{storage.PrecisionSecond, fmt.Sprintf(":%02d", t.Second())},
		{storage.PrecisionNanosecond, "." + fractionDigits(t.Nanosecond())},
	}
	for _, part := range parts {
		if p >= part.prec {
			s += part.text
		}
	}
	return "'" + s + "'"
}

// fractionDigits prints nanoseconds as fractional-second digits without
// trailing zeros, keeping at least one digit so the precision survives.
func fractionDigits(nanos int) string {
	s := strings.TrimRight(fmt.Sprintf("%09d", nanos), "0")
	if s == "" {
		return "0"
	}
	return s
}
