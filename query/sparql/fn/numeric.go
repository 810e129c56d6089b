package fn

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/akutan-dev/akutan/query/rdf"
)

// The numeric datatypes of XSD that SPARQL operators work on.
const (
	xsdFloat    = rdf.XSDNS + "float"
	xsdDateTime = rdf.XSDNS + "dateTime"
)

// numKind is a numeric type; the order is the promotion order of XPath
// (integer to decimal to float to double).
type numKind uint8

const (
	kindInteger numKind = iota
	kindDecimal
	kindFloat
	kindDouble
)

func (k numKind) datatype() string {
	switch k {
	case kindInteger:
		return rdf.XSDInteger
	case kindDecimal:
		return rdf.XSDDecimal
	case kindFloat:
		return xsdFloat
	}
	return rdf.XSDDouble
}

// number is a value of the numeric value space. Integers and decimals
// are exact (big.Int, big.Rat), so 0.1 + 0.2 = 0.3 as XSD requires; floats
// are float64 rounded to float32 precision.
type number struct {
	kind numKind
	i    *big.Int // kindInteger
	r    *big.Rat // kindDecimal
	f    float64  // kindFloat, kindDouble
}

// integerRange is the value range of an XSD type derived from integer;
// a nil bound is unbounded.
type integerRange struct{ min, max *big.Int }

func bigOf(v int64) *big.Int { return big.NewInt(v) }

// integerRangeOf gives the range of xsd:integer or the type derived from
// it with that local name; ok is false for other names.
func integerRangeOf(local string) (integerRange, bool) {
	switch local {
	case "integer":
		return integerRange{}, true
	case "long":
		return integerRange{bigOf(math.MinInt64), bigOf(math.MaxInt64)}, true
	case "int":
		return integerRange{bigOf(math.MinInt32), bigOf(math.MaxInt32)}, true
	case "short":
		return integerRange{bigOf(math.MinInt16), bigOf(math.MaxInt16)}, true
	case "byte":
		return integerRange{bigOf(math.MinInt8), bigOf(math.MaxInt8)}, true
	case "nonNegativeInteger":
		return integerRange{min: bigOf(0)}, true
	case "positiveInteger":
		return integerRange{min: bigOf(1)}, true
	case "nonPositiveInteger":
		return integerRange{max: bigOf(0)}, true
	case "negativeInteger":
		return integerRange{max: bigOf(-1)}, true
	case "unsignedLong":
		return integerRange{bigOf(0), new(big.Int).SetUint64(math.MaxUint64)}, true
	case "unsignedInt":
		return integerRange{bigOf(0), bigOf(math.MaxUint32)}, true
	case "unsignedShort":
		return integerRange{bigOf(0), bigOf(math.MaxUint16)}, true
	case "unsignedByte":
		return integerRange{bigOf(0), bigOf(math.MaxUint8)}, true
	}
	return integerRange{}, false
}

func (r integerRange) contains(v *big.Int) bool {
	return (r.min == nil || v.Cmp(r.min) >= 0) && (r.max == nil || v.Cmp(r.max) <= 0)
}

// numericDatatype reports whether dt is xsd:decimal, xsd:float,
// xsd:double or xsd:integer or a type derived from it.
func numericDatatype(dt string) bool {
	local, ok := strings.CutPrefix(dt, rdf.XSDNS)
	if !ok {
		return false
	}
	switch local {
	case "decimal", "float", "double":
		return true
	}
	_, ok = integerRangeOf(local)
	return ok
}

// numberOf returns the numeric value of t; ok is false when t is not a
// literal of a numeric datatype or its lexical form is not valid for it.
func numberOf(t rdf.Term) (n number, ok bool) {
	if t.Kind != rdf.Literal {
		return number{}, false
	}
	local, isXSD := strings.CutPrefix(t.Datatype, rdf.XSDNS)
	if !isXSD {
		return number{}, false
	}
	lex := strings.TrimSpace(t.Value) // XSD's whiteSpace=collapse
	switch local {
	case "decimal":
		r, ok := parseDecimal(lex)
		return number{kind: kindDecimal, r: r}, ok
	case "double":
		f, ok := parseDouble(lex, 64)
		return number{kind: kindDouble, f: f}, ok
	case "float":
		f, ok := parseDouble(lex, 32)
		return number{kind: kindFloat, f: f}, ok
	}
	rng, isInt := integerRangeOf(local)
	if !isInt {
		return number{}, false
	}
	i, ok := parseInteger(lex)
	if !ok || !rng.contains(i) {
		return number{}, false
	}
	return number{kind: kindInteger, i: i}, true
}

// parseInteger reads [+-]?[0-9]+.
func parseInteger(lex string) (*big.Int, bool) {
	digits := signless(lex)
	if digits == "" || !allDigits(digits) {
		return nil, false
	}
	return new(big.Int).SetString(lex, 10)
}

// parseDecimal reads [+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+).
func parseDecimal(lex string) (*big.Rat, bool) {
	whole, frac, hasDot := strings.Cut(signless(lex), ".")
	if !allDigits(whole) || !allDigits(frac) || (whole == "" && (!hasDot || frac == "")) {
		return nil, false
	}
	neg := strings.HasPrefix(lex, "-")
	if whole == "" {
		whole = "0"
	}
	r, ok := new(big.Rat).SetString(whole + "." + frac + "0")
	if !ok {
		return nil, false
	}
	if neg {
		r.Neg(r)
	}
	return r, true
}

// parseDouble reads the xsd:double (bits 64) or xsd:float (bits 32)
// lexical space: a decimal with an optional exponent, INF, +INF, -INF or
// NaN. Values out of range round to ±INF or 0, as XSD says.
func parseDouble(lex string, bits int) (float64, bool) {
	switch lex {
	case "INF", "+INF":
		return math.Inf(1), true
	case "-INF":
		return math.Inf(-1), true
	case "NaN":
		return math.NaN(), true
	}
	mant, exp, hasExp := strings.Cut(strings.ReplaceAll(lex, "E", "e"), "e")
	if _, ok := parseDecimal(mant); !ok {
		return 0, false
	}
	if e := signless(exp); hasExp && (e == "" || !allDigits(e)) {
		return 0, false
	}
	f, err := strconv.ParseFloat(lex, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, false
		}
	}
	return f, true
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

// isNaN reports whether n is a float or double NaN.
func (n number) isNaN() bool { return n.kind >= kindFloat && math.IsNaN(n.f) }

// rat returns n as an exact rational; n must be an integer or decimal.
func (n number) rat() *big.Rat {
	if n.kind == kindInteger {
		return new(big.Rat).SetInt(n.i)
	}
	return n.r
}

// float returns n as a float64.
func (n number) float() float64 {
	switch n.kind {
	case kindInteger:
		f, _ := new(big.Float).SetInt(n.i).Float64()
		return f
	case kindDecimal:
		f, _ := n.r.Float64()
		return f
	}
	return n.f
}

// to converts n to kind k, which is at least n's kind in promotion order.
func (n number) to(k numKind) number {
	switch {
	case n.kind == k:
		return n
	case k == kindDecimal:
		return number{kind: kindDecimal, r: n.rat()}
	case k == kindFloat:
		return number{kind: kindFloat, f: float64(float32(n.float()))}
	}
	return number{kind: kindDouble, f: n.float()}
}

// promote converts a and b to their common type.
func promote(a, b number) (number, number) {
	k := max(a.kind, b.kind)
	return a.to(k), b.to(k)
}

// compareNumbers compares a and b by value; unordered is true when either
// is NaN.
func compareNumbers(a, b number) (c int, unordered bool) {
	a, b = promote(a, b)
	switch a.kind {
	case kindInteger:
		return a.i.Cmp(b.i), false
	case kindDecimal:
		return a.r.Cmp(b.r), false
	}
	switch {
	case math.IsNaN(a.f) || math.IsNaN(b.f):
		return 0, true
	case a.f < b.f:
		return -1, false
	case a.f > b.f:
		return 1, false
	}
	return 0, false
}

// arithmetic applies + - * / (op) to a and b with XPath's promotion;
// integer division gives a decimal. Division by zero is an error for
// integers and decimals and gives ±INF or NaN for floats.
func arithmetic(op string, a, b number) (number, error) {
	a, b = promote(a, b)
	if op == "/" && a.kind == kindInteger {
		a, b = a.to(kindDecimal), b.to(kindDecimal)
	}
	switch a.kind {
	case kindInteger:
		z := new(big.Int)
		switch op {
		case "+":
			z.Add(a.i, b.i)
		case "-":
			z.Sub(a.i, b.i)
		case "*":
			z.Mul(a.i, b.i)
		default:
			return number{}, typeErrorf("unknown operator %s", op)
		}
		return number{kind: kindInteger, i: z}, nil
	case kindDecimal:
		z := new(big.Rat)
		switch op {
		case "+":
			z.Add(a.r, b.r)
		case "-":
			z.Sub(a.r, b.r)
		case "*":
			z.Mul(a.r, b.r)
		case "/":
			if b.r.Sign() == 0 {
				return number{}, typeErrorf("division by zero")
			}
			z.Quo(a.r, b.r)
		default:
			return number{}, typeErrorf("unknown operator %s", op)
		}
		return number{kind: kindDecimal, r: z}, nil
	}
	var f float64
	switch op {
	case "+":
		f = a.f + b.f
	case "-":
		f = a.f - b.f
	case "*":
		f = a.f * b.f
	case "/":
		f = a.f / b.f
	default:
		return number{}, typeErrorf("unknown operator %s", op)
	}
	if a.kind == kindFloat {
		f = float64(float32(f))
	}
	return number{kind: a.kind, f: f}, nil
}

// negate returns -n.
func (n number) negate() number {
	switch n.kind {
	case kindInteger:
		return number{kind: kindInteger, i: new(big.Int).Neg(n.i)}
	case kindDecimal:
		return number{kind: kindDecimal, r: new(big.Rat).Neg(n.r)}
	}
	return number{kind: n.kind, f: -n.f}
}

// sign is -1, 0 or 1 (0 for NaN).
func (n number) sign() int {
	switch n.kind {
	case kindInteger:
		return n.i.Sign()
	case kindDecimal:
		return n.r.Sign()
	}
	switch {
	case n.f < 0:
		return -1
	case n.f > 0:
		return 1
	}
	return 0
}

// rounding is ABS, CEIL, FLOOR or ROUND, keeping n's type.
func (n number) rounding(name string) number {
	if name == "ABS" {
		if n.sign() < 0 {
			return n.negate()
		}
		return n
	}
	switch n.kind {
	case kindInteger:
		return n
	case kindDecimal:
		return number{kind: kindDecimal, r: new(big.Rat).SetInt(roundRat(name, n.r))}
	}
	var f float64
	switch name {
	case "CEIL":
		f = math.Ceil(n.f)
	case "FLOOR":
		f = math.Floor(n.f)
	default:
		f = roundHalfUp(n.f)
	}
	return number{kind: n.kind, f: f}
}

// roundHalfUp is XPath's fn:round: the nearest integer, halves toward
// positive infinity (round(-2.5) is -2).
func roundHalfUp(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	fl := math.Floor(f)
	if f-fl >= 0.5 {
		return fl + 1
	}
	return fl
}

// roundRat applies CEIL, FLOOR or ROUND to r.
func roundRat(name string, r *big.Rat) *big.Int {
	num, den := r.Num(), r.Denom()
	floor := new(big.Int)
	mod := new(big.Int)
	floor.DivMod(num, den, mod) // Euclidean: mod >= 0, so this is floor for den > 0
	switch name {
	case "FLOOR":
		return floor
	case "CEIL":
		if mod.Sign() != 0 {
			floor.Add(floor, big.NewInt(1))
		}
		return floor
	}
	// ROUND: floor(r + 1/2)
	twice := new(big.Int).Mul(mod, big.NewInt(2))
	if twice.Cmp(den) >= 0 {
		floor.Add(floor, big.NewInt(1))
	}
	return floor
}

// term returns n as a literal in its canonical lexical form.
func (n number) term() rdf.Term {
	return rdf.NewLiteral(n.lexical(), n.kind.datatype(), "")
}

// termAs returns n as a literal of datatype dt (an integer type for
// integers), in canonical form.
func (n number) termAs(dt string) rdf.Term {
	return rdf.NewLiteral(n.lexical(), dt, "")
}

// lexical is the canonical lexical form of XSD 1.1: integers without sign
// or leading zeros, decimals without trailing zeros (and without a point
// when whole: "3", "0.5"), floats and doubles as "1.0E0", "INF", "NaN".
func (n number) lexical() string {
	switch n.kind {
	case kindInteger:
		return n.i.String()
	case kindDecimal:
		return decimalLexical(n.r)
	case kindFloat:
		return doubleLexical(n.f, 32)
	}
	return doubleLexical(n.f, 64)
}

// maxFractionDigits is how many digits a non-terminating decimal (1/3)
// keeps; XSD leaves the precision of decimal division to the
// implementation. A terminating one is always written exactly.
const maxFractionDigits = 18

func decimalLexical(r *big.Rat) string {
	digits := terminatingDigits(r.Denom())
	if digits < 0 {
		digits = maxFractionDigits
	}
	s := r.FloatString(digits)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// terminatingDigits returns how many fraction digits 1/den needs, or -1
// when its decimal expansion does not terminate.
func terminatingDigits(den *big.Int) int {
	d := new(big.Int).Set(den)
	two, five, zero := big.NewInt(2), big.NewInt(5), new(big.Int)
	m := new(big.Int)
	twos, fives := 0, 0
	for d.Cmp(big.NewInt(1)) > 0 {
		switch {
		case m.Mod(d, two).Cmp(zero) == 0:
			d.Quo(d, two)
			twos++
		case m.Mod(d, five).Cmp(zero) == 0:
			d.Quo(d, five)
			fives++
		default:
			return -1
		}
	}
	return max(twos, fives)
}

// doubleLexical is the canonical form of a double (bits 64) or float
// (bits 32): one non-zero digit before the point, at least one after,
// and an exponent without sign or leading zeros unless negative.
func doubleLexical(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0E0"
		}
		return "0.0E0"
	}
	s := strconv.FormatFloat(f, 'E', -1, bits) // like -1.5E+01
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// xpathString is a number cast to xsd:string (XPath 2.0, 17.1.2):
// integers and decimals without exponent ("1", "2.5"), and floats and
// doubles in decimal notation between 1e-6 and 1e6, else canonically.
func (n number) xpathString() string {
	switch n.kind {
	case kindInteger, kindDecimal:
		return n.lexical()
	}
	a := math.Abs(n.f)
	if a == 0 {
		if math.Signbit(n.f) {
			return "-0"
		}
		return "0"
	}
	if a >= 1e-6 && a < 1e6 {
		bits := 64
		if n.kind == kindFloat {
			bits = 32
		}
		return strconv.FormatFloat(n.f, 'f', -1, bits)
	}
	return n.lexical()
}

func integerNumber(v int64) number { return number{kind: kindInteger, i: big.NewInt(v)} }
