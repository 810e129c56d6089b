package fn

import (
	"cmp"
	"strings"

	"github.com/akutan-dev/akutan/query/rdf"
)

// valueClass groups the literals whose values the operators compare: two
// literals of different classes are never equal, and order only within a
// class.
type valueClass uint8

const (
	// classOther holds literals of datatypes the operators do not know,
	// and ill-typed literals ("x"^^xsd:integer): comparing them with
	// anything but the same term is a type error.
	classOther valueClass = iota
	classNumeric
	classBoolean
	classDateTime
	classString
	classLangString
)

// literalValue is a literal's class and value.
type literalValue struct {
	class valueClass
	num   number
	b     bool
	dt    dateTime
}

// valueOf classifies the literal t.
func valueOf(t rdf.Term) literalValue {
	switch {
	case t.Lang != "" || t.Datatype == rdf.RDFLangString:
		return literalValue{class: classLangString}
	case t.Datatype == rdf.XSDString:
		return literalValue{class: classString}
	case t.Datatype == rdf.XSDBoolean:
		if b, ok := booleanOf(t); ok {
			return literalValue{class: classBoolean, b: b}
		}
	case t.Datatype == xsdDateTime:
		if d, ok := dateTimeOf(t); ok {
			return literalValue{class: classDateTime, dt: d}
		}
	default:
		if n, ok := numberOf(t); ok {
			return literalValue{class: classNumeric, num: n}
		}
	}
	return literalValue{class: classOther}
}

// booleanOf returns the value of a valid xsd:boolean literal.
func booleanOf(t rdf.Term) (bool, bool) {
	if t.Kind != rdf.Literal || t.Datatype != rdf.XSDBoolean {
		return false, false
	}
	switch strings.TrimSpace(t.Value) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// SameTerm reports whether a and b are the same RDF term (sameTerm);
// language tags compare ignoring case, as RDF 1.1 says.
func SameTerm(a, b rdf.Term) bool {
	return a.Kind == b.Kind && a.Value == b.Value && a.Datatype == b.Datatype &&
		strings.EqualFold(a.Lang, b.Lang)
}

// Equal is the = operator (section 17.3): numbers, strings, booleans and
// dateTimes compare by value; other terms by RDFterm-equal, for which two
// different literals of a datatype it does not know are a type error
// rather than unequal (they might denote the same value).
func Equal(a, b rdf.Term) (bool, error) {
	if a.Kind == 0 || b.Kind == 0 {
		return false, typeErrorf("comparing an unbound value")
	}
	if a.Kind != rdf.Literal || b.Kind != rdf.Literal {
		return SameTerm(a, b), nil
	}
	va, vb := valueOf(a), valueOf(b)
	if va.class == classOther || vb.class == classOther {
		if SameTerm(a, b) {
			return true, nil
		}
		return false, typeErrorf("cannot compare %s and %s", describe(a), describe(b))
	}
	if va.class != vb.class {
		return false, nil
	}
	switch va.class {
	case classNumeric:
		c, unordered := compareNumbers(va.num, vb.num)
		return !unordered && c == 0, nil
	case classBoolean:
		return va.b == vb.b, nil
	case classDateTime:
		c, indeterminate := compareDateTimes(va.dt, vb.dt)
		if indeterminate {
			return false, typeErrorf("%s and %s, one without a time zone, are too close to compare", describe(a), describe(b))
		}
		return c == 0, nil
	case classLangString:
		return a.Value == b.Value && strings.EqualFold(a.Lang, b.Lang), nil
	}
	return a.Value == b.Value, nil
}

// Compare orders a and b for the operators < > <= >= (section 17.3):
// numbers, simple and xsd:string literals, booleans and dateTimes, each
// only against its own kind. Anything else, a NaN, or dateTimes whose
// order is indeterminate (one without a time zone, within 14 hours of the
// other) is a type error.
func Compare(a, b rdf.Term) (int, error) {
	if a.Kind != rdf.Literal || b.Kind != rdf.Literal {
		return 0, typeErrorf("cannot order %s and %s", describe(a), describe(b))
	}
	va, vb := valueOf(a), valueOf(b)
	if va.class != vb.class || va.class == classOther || va.class == classLangString {
		return 0, typeErrorf("cannot order %s and %s", describe(a), describe(b))
	}
	switch va.class {
	case classNumeric:
		c, unordered := compareNumbers(va.num, vb.num)
		if unordered {
			return 0, typeErrorf("cannot order NaN")
		}
		return c, nil
	case classBoolean:
		return boolCompare(va.b, vb.b), nil
	case classDateTime:
		c, indeterminate := compareDateTimes(va.dt, vb.dt)
		if indeterminate {
			return 0, typeErrorf("%s and %s, one without a time zone, are too close to order", describe(a), describe(b))
		}
		return c, nil
	}
	return strings.Compare(a.Value, b.Value), nil
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// relational evaluates one of = != < > <= >= on a and b. A NaN makes
// every comparison false except !=, as in XPath.
func relational(op string, a, b rdf.Term) (bool, error) {
	switch op {
	case "=":
		return Equal(a, b)
	case "!=":
		eq, err := Equal(a, b)
		return !eq, err
	}
	if na, ok := numberOf(a); ok {
		if nb, ok := numberOf(b); ok && (na.isNaN() || nb.isNaN()) {
			return false, nil
		}
	}
	c, err := Compare(a, b)
	if err != nil {
		return false, err
	}
	switch op {
	case "<":
		return c < 0, nil
	case ">":
		return c > 0, nil
	case "<=":
		return c <= 0, nil
	case ">=":
		return c >= 0, nil
	}
	return false, typeErrorf("unknown operator %s", op)
}

// OrderCompare orders two optional terms for ORDER BY (section 15.1):
// unbound first, then blank nodes, IRIs and literals, comparable literals
// by value. It is a total order, so sorting with it is deterministic.
//
// Literals are grouped by kind of value (numbers, booleans, dateTimes,
// strings, language-tagged strings, then the rest) and ordered by value
// within a group; ties of value (1 and 1.0) and literals of unknown
// datatypes order by datatype, lexical form and language tag. NaN comes
// before every other number, and dateTimes order by instant reading one
// without a time zone as UTC, so that the order stays transitive where
// the < operator would be indeterminate.
func OrderCompare(a, b *rdf.Term) int {
	ka, kb := orderRank(a), orderRank(b)
	if ka != kb || ka == 0 {
		return cmp.Compare(ka, kb)
	}
	if a.Kind != rdf.Literal {
		return strings.Compare(a.Value, b.Value)
	}
	va, vb := valueOf(*a), valueOf(*b)
	if c := cmp.Compare(classRank(va.class), classRank(vb.class)); c != 0 {
		return c
	}
	if c := compareSameClass(va, vb, *a, *b); c != 0 {
		return c
	}
	if c := strings.Compare(a.Datatype, b.Datatype); c != 0 {
		return c
	}
	if c := strings.Compare(a.Value, b.Value); c != 0 {
		return c
	}
	return strings.Compare(a.Lang, b.Lang)
}

// orderRank puts unbound (nil or zero) terms first, then blank nodes,
// IRIs and literals.
func orderRank(t *rdf.Term) int {
	if t == nil {
		return 0
	}
	switch t.Kind {
	case rdf.Blank:
		return 1
	case rdf.IRI:
		return 2
	case rdf.Literal:
		return 3
	}
	return 0
}

func classRank(c valueClass) int {
	switch c {
	case classNumeric:
		return 0
	case classBoolean:
		return 1
	case classDateTime:
		return 2
	case classString:
		return 3
	case classLangString:
		return 4
	}
	return 5
}

// compareSameClass orders two literals of one class by value; 0 means a
// tie to break by the terms themselves.
func compareSameClass(va, vb literalValue, a, b rdf.Term) int {
	switch va.class {
	case classNumeric:
		an, bn := va.num.isNaN(), vb.num.isNaN()
		if an || bn {
			return -boolCompare(an, bn)
		}
		c, _ := compareNumbers(va.num, vb.num)
		return c
	case classBoolean:
		return boolCompare(va.b, vb.b)
	case classDateTime:
		return va.dt.instant.Compare(vb.dt.instant)
	case classString, classLangString:
		return strings.Compare(a.Value, b.Value)
	}
	return 0
}
