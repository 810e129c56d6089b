package storage

import (
	"encoding/binary"
	"fmt"
)

// Annotations
//
// An RDF literal is stored as a value of a native kind (so it orders,
// ranges and joins as a number, a date, a string) plus an annotation that
// keeps what the value alone would lose: Datatype, the datatype IRI when it
// is not the kind's default (DefaultDatatype), and Lex, the exact lexical
// form when it is not the canonical form of the value. An object with both
// empty is an object exactly as before annotations existed. The annotation
// is not part of the value: keys, hashes and CompareObjects ignore it, and
// a view stores it as the LevelDB value of the fact's keys (AppendAnnotation).
// SameTerm compares value and annotation: the RDF term equality.

// XSD is the namespace of the XML Schema datatypes.
const XSD = "http://www.w3.org/2001/XMLSchema#"

// DefaultDatatype returns the datatype IRI an unannotated object of the
// kind stands for: xsd:string, xsd:integer, xsd:double, xsd:boolean and
// xsd:dateTime; "" for entities, which are not literals. A timestamp of
// year, month or day precision defaults to xsd:gYear, xsd:gYearMonth or
// xsd:date instead (see Object.DefaultDatatype), and a string with a
// language tag is an rdf:langString.
func DefaultDatatype(k Kind) string {
	switch k {
	case KindString:
		return XSD + "string"
	case KindInt64:
		return XSD + "integer"
	case KindFloat64:
		return XSD + "double"
	case KindBool:
		return XSD + "boolean"
	case KindTimestamp:
		return XSD + "dateTime"
	}
	return ""
}

// DefaultDatatype returns the datatype IRI o stands for when its Datatype
// is empty: DefaultDatatype of its kind, refined by a timestamp's
// precision and a string's language tag.
func (o Object) DefaultDatatype() string {
	switch {
	case o.Kind == KindString && o.Lang != "":
		return "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
	case o.Kind != KindTimestamp:
		return DefaultDatatype(o.Kind)
	}
	switch o.Precision {
	case PrecisionYear:
		return XSD + "gYear"
	case PrecisionMonth:
		return XSD + "gYearMonth"
	case PrecisionDay:
		return XSD + "date"
	}
	return XSD + "dateTime"
}

// Type returns o's datatype IRI: Datatype if set, its default otherwise.
func (o Object) Type() string {
	if o.Datatype != "" {
		return o.Datatype
	}
	return o.DefaultDatatype()
}

// Annotated reports whether o carries an annotation.
func (o Object) Annotated() bool { return o.Datatype != "" || o.Lex != "" }

// SameTerm reports whether a and b are the same RDF term: equal values
// (CompareObjects) and equal annotations. Lookups match by value; callers
// that need term equality filter their matches with SameTerm.
func SameTerm(a, b Object) bool {
	return CompareObjects(a, b) == 0 && a.Datatype == b.Datatype && a.Lex == b.Lex
}

// validateAnnotation checks that the annotation is in canonical form: only
// literals carry one, a string's lexical form is its value, a datatype is
// never the default one, and a language-tagged string has no datatype.
func (o Object) validateAnnotation() error {
	switch {
	case !o.Annotated():
		return nil
	case o.Kind == KindEntity:
		return fmt.Errorf("entity object has a literal annotation")
	case o.Kind == KindString && o.Lex != "":
		return fmt.Errorf("string literal has a separate lexical form %q", o.Lex)
	case o.Kind == KindString && o.Lang != "" && o.Datatype != "":
		return fmt.Errorf("string literal has both language %q and datatype %q", o.Lang, o.Datatype)
	case o.Datatype != "" && o.Datatype == o.DefaultDatatype():
		return fmt.Errorf("%v literal names its default datatype %q", o.Kind, o.Datatype)
	case len(o.Datatype) > MaxLiteralBytes || len(o.Lex) > MaxLiteralBytes:
		return fmt.Errorf("literal annotation is longer than %d bytes", MaxLiteralBytes)
	}
	return nil
}

// annotationVersion is the first byte of a non-empty encoded annotation.
const annotationVersion = 1

// AppendAnnotation appends the encoding of o's annotation to dst: nothing
// for an unannotated object; otherwise a version byte (1), then the
// datatype and the lexical form, each as a uvarint length and its bytes.
func AppendAnnotation(dst []byte, o Object) []byte {
	if !o.Annotated() {
		return dst
	}
	dst = append(dst, annotationVersion)
	dst = binary.AppendUvarint(dst, uint64(len(o.Datatype)))
	dst = append(dst, o.Datatype...)
	dst = binary.AppendUvarint(dst, uint64(len(o.Lex)))
	return append(dst, o.Lex...)
}

// DecodeAnnotation sets o's annotation from b, which must be exactly one
// canonical encoding (as AppendAnnotation writes it) that o may carry. It
// never panics.
func DecodeAnnotation(b []byte, o *Object) error {
	dt, lex, err := decodeAnnotation(b)
	if err != nil {
		return fmt.Errorf("decoding literal annotation: %w", err)
	}
	a := *o
	a.Datatype, a.Lex = dt, lex
	if err := a.validateAnnotation(); err != nil {
		return fmt.Errorf("decoding literal annotation: %w", err)
	}
	*o = a
	return nil
}

func decodeAnnotation(b []byte) (datatype, lex string, err error) {
	if len(b) == 0 {
		return "", "", nil
	}
	if b[0] != annotationVersion {
		return "", "", fmt.Errorf("unknown annotation version %d", b[0])
	}
	rest := b[1:]
	if datatype, rest, err = decodeLenPrefixed(rest, "datatype"); err != nil {
		return "", "", err
	}
	if lex, rest, err = decodeLenPrefixed(rest, "lexical form"); err != nil {
		return "", "", err
	}
	switch {
	case len(rest) != 0:
		return "", "", fmt.Errorf("%d bytes follow the annotation", len(rest))
	case datatype == "" && lex == "":
		return "", "", fmt.Errorf("annotation is empty but encoded")
	}
	return datatype, lex, nil
}

// decodeLenPrefixed reads a uvarint length in its shortest form and that
// many bytes.
func decodeLenPrefixed(b []byte, what string) (string, []byte, error) {
	n, m := binary.Uvarint(b)
	if m <= 0 {
		return "", nil, fmt.Errorf("malformed %s length", what)
	}
	if m != len(binary.AppendUvarint(nil, n)) {
		return "", nil, fmt.Errorf("%s length is not in shortest form", what)
	}
	if n > uint64(len(b)-m) {
		return "", nil, fmt.Errorf("truncated %s: need %d bytes, have %d", what, n, len(b)-m)
	}
	return string(b[m : m+int(n)]), b[m+int(n):], nil
}
