package rdf

import (
	"math"
	"strconv"
	"strings"

	"github.com/akutan-dev/akutan/storage"
)

// intRange is the value range of xsd:integer or a type derived from it.
type intRange struct{ min, max int64 }

// The XSD integer types, whose values fit an int64 unless noted.
var intTypes = map[string]intRange{
	"integer":            {math.MinInt64, math.MaxInt64},
	"long":               {math.MinInt64, math.MaxInt64},
	"int":                {math.MinInt32, math.MaxInt32},
	"short":              {math.MinInt16, math.MaxInt16},
	"byte":               {math.MinInt8, math.MaxInt8},
	"nonNegativeInteger": {0, math.MaxInt64},
	"positiveInteger":    {1, math.MaxInt64},
	"nonPositiveInteger": {math.MinInt64, 0},
	"negativeInteger":    {math.MinInt64, -1},
	"unsignedLong":       {0, math.MaxInt64}, // larger values stay strings
	"unsignedInt":        {0, math.MaxUint32},
	"unsignedShort":      {0, math.MaxUint16},
	"unsignedByte":       {0, math.MaxUint8},
}

// LiteralObject converts a literal term to an Akutan object, losslessly:
// the value takes the native kind of its datatype when it has one (see the
// package documentation), so that it orders, ranges and joins as such, and
// the object's annotation keeps the rest (storage.Object's Datatype when
// the datatype is not the kind's default, Lex when the lexical form is not
// the value's canonical one). A literal that fits no native kind (another
// datatype, an invalid lexical form, a value out of the kind's range or
// precision) is a string of its lexical form with its datatype. ObjectLiteral
// gives back exactly the term.
func LiteralObject(t Term) storage.Object {
	o := nativeObject(t)
	if lex := storage.CanonicalLexical(o); t.Value != lex {
		o.Lex = t.Value
	}
	if o.Kind == storage.KindString {
		o.Lex = "" // the string is the lexical form
	}
	if dt := termDatatype(t); dt != o.DefaultDatatype() {
		o.Datatype = dt
	}
	return o
}

// nativeObject is the value of a literal, in the native kind of its
// datatype when it has one and fits, else a string of its lexical form.
func nativeObject(t Term) storage.Object {
	if t.Lang != "" {
		return storage.AString(t.Value, t.Lang)
	}
	if local, isXSD := strings.CutPrefix(t.Datatype, XSDNS); isXSD {
		lex := strings.TrimSpace(t.Value) // XSD's whiteSpace=collapse
		if o, ok := xsdValue(local, lex); ok {
			return o
		}
	}
	return storage.AString(t.Value, "")
}

// termDatatype is t's datatype IRI: rdf:langString with a language tag,
// xsd:string when it has none.
func termDatatype(t Term) string {
	switch {
	case t.Lang != "":
		return RDFLangString
	case t.Datatype == "":
		return XSDString
	}
	return t.Datatype
}

// ObjectLiteral is the inverse of LiteralObject: the lexical form,
// datatype IRI and language tag of a literal object. An object without an
// annotation (as the Akutan language writes them) comes back in the
// canonical form of its kind's XSD type: xsd:string (rdf:langString with a
// language tag), xsd:integer, xsd:double, xsd:boolean, and xsd:gYear,
// xsd:gYearMonth, xsd:date or xsd:dateTime by a timestamp's precision.
// Units have no RDF form and are dropped. An entity is not a literal: it
// gives "", "", "".
func ObjectLiteral(o storage.Object) (lexical, datatype, lang string) {
	if o.Kind == storage.KindEntity {
		return "", "", ""
	}
	return o.Lexical(), o.Type(), o.Lang
}

// ObjectTerm is ObjectLiteral as a literal Term.
func ObjectTerm(o storage.Object) Term {
	lex, dt, lang := ObjectLiteral(o)
	return NewLiteral(lex, dt, lang)
}

func xsdValue(local, lex string) (storage.Object, bool) {
	if r, ok := intTypes[local]; ok {
		v, err := strconv.ParseInt(lex, 10, 64)
		if err != nil || v < r.min || v > r.max {
			return storage.Object{}, false
		}
		return storage.AInt64(v, 0), true
	}
	switch local {
	case "decimal":
		return decimalValue(lex)
	case "double", "float":
		return floatValue(lex, validDouble(lex))
	case "boolean":
		switch lex {
		case "true", "1":
			return storage.ABool(true), true
		case "false", "0":
			return storage.ABool(false), true
		}
	case "dateTime":
		return parseDateTime(lex)
	case "date":
		return parseDate(lex, storage.PrecisionDay)
	case "gYearMonth":
		return parseDate(lex, storage.PrecisionMonth)
	case "gYear":
		return parseDate(lex, storage.PrecisionYear)
	}
	return storage.Object{}, false
}

func floatValue(lex string, valid bool) (storage.Object, bool) {
	if !valid {
		return storage.Object{}, false
	}
	switch strings.TrimLeft(lex, "+") {
	case "INF":
		return storage.AFloat64(math.Inf(1), 0), true
	case "-INF":
		return storage.AFloat64(math.Inf(-1), 0), true
	case "NaN":
		return storage.Object{}, false // Akutan cannot store NaN
	}
	v, err := strconv.ParseFloat(lex, 64)
	if err != nil && !isRangeErr(err) { // out of range gives ±Inf or 0, as XSD rounds
		return storage.Object{}, false
	}
	if v == 0 {
		v = 0 // -0 is stored as 0; the lexical form keeps the sign
	}
	return storage.AFloat64(v, 0), true
}

// decimalValue maps an xsd:decimal to a float64 when the float holds its
// value exactly as written (the shortest decimal that reads back as the
// float is the same number): 1.50 and 0.1 do, a decimal of 40 significant
// digits does not, and stays a string with its datatype so that nothing
// is lost.
func decimalValue(lex string) (storage.Object, bool) {
	o, ok := floatValue(lex, validDecimal(lex))
	if !ok || canonicalDecimal(lex) != canonicalDecimal(strconv.FormatFloat(o.Float, 'f', -1, 64)) {
		return storage.Object{}, false
	}
	return o, true
}

// canonicalDecimal writes a valid decimal without a plus sign, leading
// zeros of its integer part or trailing zeros of its fraction, and
// without a point when it is an integer; zero is "0".
func canonicalDecimal(s string) string {
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(signless(s), ".")
	whole = strings.TrimLeft(whole, "0")
	frac = strings.TrimRight(frac, "0")
	if whole == "" {
		whole = "0"
	}
	out := whole
	if frac != "" {
		out += "." + frac
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// validDecimal checks [+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+).
func validDecimal(s string) bool {
	whole, frac, hasDot := strings.Cut(signless(s), ".")
	if !allDigits(whole) || !allDigits(frac) {
		return false
	}
	return whole != "" || (hasDot && frac != "")
}

// validDouble checks the xsd:double lexical space: a decimal with an
// optional exponent, or INF, +INF, -INF, NaN.
func validDouble(s string) bool {
	switch s {
	case "INF", "+INF", "-INF", "NaN":
		return true
	}
	mant, exp, hasExp := strings.Cut(strings.ReplaceAll(s, "E", "e"), "e")
	if !validDecimal(mant) {
		return false
	}
	e := signless(exp)
	return !hasExp || (e != "" && allDigits(e))
}

// signless drops one leading sign.
func signless(s string) string {
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		return s[1:]
	}
	return s
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
