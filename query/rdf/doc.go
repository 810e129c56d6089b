// Package rdf reads RDF 1.1 N-Triples and Turtle and maps RDF graphs onto
// Akutan facts.
//
// The readers stream: they hold one line (N-Triples) or one statement
// (Turtle) in memory at a time, so files of any size load in constant
// memory. Every syntax error is an *Error naming the line and column (both
// counted from 1, columns in characters), and no input makes them panic.
// Both pass the W3C RDF 1.1 N-Triples and Turtle test suites, which run
// from testdata/ as part of `go test`.
//
// # Mapping to Akutan
//
// Mapper turns triples into the quads of a *parser.Insert, so RDF shares
// the insert path of the `tsv` format:
//
//   - An IRI becomes the entity whose external name is the full IRI.
//   - A blank node becomes a *parser.BlankNode: a new entity for each
//     request, as RDF scopes blank node labels to one document. A load that
//     spans several requests sets Mapper.LoadID instead; then label L names
//     the entity with external name `_:load-<LoadID>-L`, the same entity in
//     every request of that load (and in a load resumed with the same ID).
//
// Literals are kept losslessly (LiteralObject; ObjectLiteral is the
// inverse): each takes the native kind of its datatype when its value fits
// one, so that it orders, ranges and joins as a number, a truth value or a
// time, and the object's annotation (storage.Object's Datatype and Lex)
// keeps the datatype IRI when it is not the kind's default and the exact
// lexical form when it is not the value's canonical one:
//
//   - xsd:integer and the XSD types derived from it become int64 (default
//     datatype xsd:integer); values outside int64 or outside the derived
//     type's range stay strings.
//   - xsd:double and xsd:float become float64 (default xsd:double); NaN
//     stays a string: Akutan cannot store it. xsd:decimal becomes float64
//     when the float holds the decimal exactly as written (1.50, 0.1), and
//     stays a string otherwise (40 significant digits).
//   - xsd:boolean becomes bool.
//   - xsd:dateTime becomes a timestamp of second precision, or nanosecond
//     precision when it has a fraction; a time zone converts it to UTC and
//     a time without one is taken as UTC. xsd:date, xsd:gYearMonth and
//     xsd:gYear become timestamps of day, month and year precision (a time
//     zone on them is ignored: the calendar date is kept). Each precision's
//     type is its default datatype; the lexical form keeps the zone.
//   - A language-tagged string keeps its tag; xsd:string and plain
//     literals become strings.
//   - Every other datatype, and every literal whose lexical form is not
//     valid for its datatype, becomes a string of its lexical form with
//     the datatype in the annotation.
//
// So "01"^^xsd:integer and "1"^^xsd:integer are the same value (they join
// and compare equal) but different terms (storage.SameTerm).
//
// Turtle generates labels for `[]` and collection nodes of the form
// genid<N>; a document label that starts with "genid" is renamed
// "genid-<label>" so that the two never collide.
package rdf
