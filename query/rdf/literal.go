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

// LiteralObject converts a literal term to an Akutan object; values it
// cannot represent become plain strings of the lexical form.
func LiteralObject(t Term) storage.Object {
	if t.Lang != "" {
		return storage.AString(t.Value, t.Lang)
	}
	local, isXSD := strings.CutPrefix(t.Datatype, XSDNS)
	if !isXSD {
		return storage.AString(t.Value, "")
	}
	lex := strings.TrimSpace(t.Value) // XSD's whiteSpace=collapse
	if o, ok := xsdValue(local, lex); ok {
		return o
	}
	return storage.AString(t.Value, "")
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
		return floatValue(lex, validDecimal(lex))
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
	return storage.AFloat64(v, 0), true
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
