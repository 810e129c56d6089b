// Package results reads, writes and compares SPARQL query answers,
// independently of how they are computed.
//
// # Model
//
// An answer is a *Results: the variables of a SELECT query in order and
// its solutions, or the boolean of an ASK query. A Solution maps variable
// names (without '?') to terms of query/rdf, which keep everything a
// result format can carry: IRIs, blank node labels, and literals with
// their exact lexical form, datatype IRI and language tag. An absent
// variable is unbound.
//
// # Writing
//
// A server never builds a *Results: it picks a Format with Negotiate (the
// Accept header), FormatByName (a format= parameter) or Choose (both),
// and streams through the Format's Writer — Begin(vars), Write(solution)
// per row, End() — or calls WriteBoolean for ASK. Each writer buffers a
// few kilobytes, never the answer. A *NotAcceptableError from
// negotiation is an HTTP 406.
//
// The formats are the W3C's:
//
//   - JSON (application/sparql-results+json), SPARQL 1.1 Query Results
//     JSON Format.
//   - XML (application/sparql-results+xml), SPARQL Query Results XML
//     Format, second edition. XML 1.0 cannot carry control characters
//     other than tab and line ends; the writer replaces them with U+FFFD.
//   - CSV (text/csv) and TSV (text/tab-separated-values), SPARQL 1.1
//     Query Results CSV and TSV Formats. CSV keeps only the string form of
//     each term; TSV writes terms in Turtle syntax and loses nothing. The
//     W3C defines no boolean for them; like Jena, the writers give an ASK
//     answer as the one variable _askResult bound to true or false, and
//     the readers turn that back into a boolean. Blank node labels that
//     Turtle cannot spell are written as hex-<hex of the label>.
//
// # Reading
//
// Read (or ReadJSON, ReadXML, ReadCSV, ReadTSV) reads each format back,
// and ReadTurtleResultSet reads answers written as RDF with the rs:
// vocabulary, as some W3C tests give them. The readers exist for the W3C
// evaluation tests and for clients; they hold the whole answer, return
// errors naming what was being read, and never panic (each has a fuzz
// target). CSV fields become plain literals, or blank nodes for _:label.
//
// # Comparing
//
// Compare and Equal decide whether two answers are the same as the W3C
// test suites require: as multisets of solutions (or in order, for ORDER
// BY), with blank nodes equal up to one consistent renaming, literals
// equal term by term (language tags ignoring case), or by string form
// alone for CSV (CompareOptions.Loose). Isomorphic compares two graphs,
// such as CONSTRUCT answers, with the same matcher: rows without blank
// nodes are counted in a hash map, and the rest are paired by a
// backtracking search that only tries rows of the same shape (terms, and
// how often each blank node occurs) and tries the most constrained rows
// first, so ordinary answers need about one step per row.
//
// Numeric literals compare by lexical form: "1.0e6"^^xsd:double is not
// "1.0E6"^^xsd:double, exactly as RDF term equality says.
package results
