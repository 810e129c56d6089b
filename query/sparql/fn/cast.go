package fn

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/akutan-dev/akutan/query/rdf"
)

// isCast reports whether iri names an XSD cast function (section 17.5):
// one of the seven the spec lists, or a type derived from xsd:integer.
func isCast(iri string) bool {
	local, ok := strings.CutPrefix(iri, rdf.XSDNS)
	if !ok {
		return false
	}
	switch local {
	case "string", "boolean", "decimal", "float", "double", "dateTime":
		return true
	}
	_, ok = integerRangeOf(local)
	return ok
}

// cast converts arg to the datatype target by the table of section 17.5;
// a conversion the table forbids, or a lexical form not valid for the
// target, is a type error. Results are in canonical form.
func cast(target string, arg rdf.Term) (rdf.Term, error) {
	local := strings.TrimPrefix(target, rdf.XSDNS)
	fail := func() (rdf.Term, error) {
		return rdf.Term{}, typeErrorf("cannot cast %s to xsd:%s", describe(arg), local)
	}
	if arg.Kind == rdf.Blank || arg.Kind == 0 || arg.Lang != "" {
		return fail()
	}
	if arg.Kind == rdf.IRI {
		if local == "string" {
			return stringTerm(arg.Value), nil
		}
		return fail()
	}
	v := valueOf(arg)
	if v.class == classOther && arg.Datatype != rdf.XSDString {
		if local == "string" { // a literal of another datatype keeps its lexical form
			return stringTerm(arg.Value), nil
		}
		return fail()
	}
	lex := strings.TrimSpace(arg.Value)
	switch local {
	case "string":
		switch v.class {
		case classNumeric:
			return stringTerm(v.num.xpathString()), nil
		case classBoolean:
			return stringTerm(boolTerm(v.b).Value), nil
		}
		return stringTerm(arg.Value), nil
	case "boolean":
		switch v.class {
		case classBoolean:
			return boolTerm(v.b), nil
		case classNumeric:
			return boolTerm(!v.num.isNaN() && v.num.sign() != 0), nil
		case classString:
			if b, ok := booleanOf(rdf.NewLiteral(lex, rdf.XSDBoolean, "")); ok {
				return boolTerm(b), nil
			}
		}
		return fail()
	case "dateTime":
		switch v.class {
		case classDateTime:
			return rdf.NewLiteral(lex, xsdDateTime, ""), nil
		case classString:
			if _, ok := parseDateTime(lex); ok {
				return rdf.NewLiteral(lex, xsdDateTime, ""), nil
			}
		}
		return fail()
	}
	n, ok := castNumber(local, v, lex)
	if !ok {
		return fail()
	}
	if n.kind == kindInteger {
		rng, _ := integerRangeOf(local)
		if !rng.contains(n.i) {
			return fail()
		}
		return n.termAs(target), nil
	}
	return n.term(), nil
}

// castNumber converts a boolean, number or string value to the numeric
// type local (decimal, float, double or an integer type).
func castNumber(local string, v literalValue, lex string) (number, bool) {
	var target numKind
	switch local {
	case "decimal":
		target = kindDecimal
	case "float":
		target = kindFloat
	case "double":
		target = kindDouble
	default:
		target = kindInteger
	}
	var n number
	switch v.class {
	case classBoolean:
		n = integerNumber(0)
		if v.b {
			n = integerNumber(1)
		}
	case classNumeric:
		n = v.num
	case classString:
		var ok bool
		switch target {
		case kindInteger:
			var i *big.Int
			i, ok = parseInteger(lex)
			n = number{kind: kindInteger, i: i}
		case kindDecimal:
			var r *big.Rat
			r, ok = parseDecimal(lex)
			n = number{kind: kindDecimal, r: r}
		default:
			var f float64
			f, ok = parseDouble(lex, 64)
			n = number{kind: kindDouble, f: f}
		}
		if !ok {
			return number{}, false
		}
	default:
		return number{}, false
	}
	return convertNumber(n, target)
}

// convertNumber converts n to kind k in either direction: toward integer
// truncates, and a float that is NaN or infinite has no decimal or
// integer value.
func convertNumber(n number, k numKind) (number, bool) {
	if k >= n.kind {
		return n.to(k), true
	}
	if n.kind >= kindFloat {
		if math.IsNaN(n.f) || math.IsInf(n.f, 0) {
			return number{}, false
		}
		if k == kindFloat {
			return number{kind: kindFloat, f: float64(float32(n.f))}, true
		}
		r, _ := new(big.Rat).SetString(decimalOfFloat(n))
		n = number{kind: kindDecimal, r: r}
		if k == kindDecimal {
			return n, true
		}
	}
	// decimal to integer truncates toward zero
	return number{kind: kindInteger, i: new(big.Int).Quo(n.r.Num(), n.r.Denom())}, true
}

// decimalOfFloat writes a finite float or double in plain decimal
// notation: the shortest form that reads back as the same value.
func decimalOfFloat(n number) string {
	bits := 64
	if n.kind == kindFloat {
		bits = 32
	}
	return strconv.FormatFloat(n.f, 'f', -1, bits)
}
