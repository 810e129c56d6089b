package fn

import "github.com/akutan-dev/akutan/query/rdf"

// Canonical returns t with the canonical lexical form of its value when
// it is a valid numeric or boolean literal ("01"^^xsd:integer becomes
// "1", "3.0"^^xsd:decimal becomes "3", "1E0"^^xsd:double becomes
// "1.0E0"), keeping its datatype; any other term is returned as it is.
// Comparing results by value (the W3C expectations write the same
// decimal as "3" in one file and "3.0" in another) is comparing their
// canonical forms.
func Canonical(t rdf.Term) rdf.Term {
	if t.Kind != rdf.Literal || t.Lang != "" {
		return t
	}
	if b, ok := booleanOf(t); ok {
		return boolTerm(b)
	}
	if n, ok := numberOf(t); ok {
		return n.termAs(t.Datatype)
	}
	return t
}
