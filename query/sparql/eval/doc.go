// Package eval evaluates SPARQL 1.1 queries and updates: it translates the
// parsed query into the SPARQL algebra (section 18) and runs it against a
// Graph.
package eval
