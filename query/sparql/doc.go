// Package sparql parses SPARQL 1.1 Query and Update text into syntax trees
// that the algebra translation (SPARQL 1.1, section 18) consumes. It
// evaluates nothing and looks nothing up.
//
// # Use
//
//	q, err := sparql.ParseQuery(text, baseIRI)   // *Query
//	u, err := sparql.ParseUpdate(text, baseIRI)  // *Update
//
// baseIRI is where relative IRIs resolve when the text has no BASE (the
// request's URL, or "" to leave them as written). Every error is a
// *SyntaxError naming the line, the column (in characters, both from 1)
// and what was expected, such as
//
//	line 3, column 14: expected '}' or a triple pattern, found 'FILTR'
//
// No input makes either function panic; FuzzParse checks this, and
// nesting deeper than maxDepth is an error rather than a stack overflow.
//
// # The tree
//
// Terms are kept exactly as written, after prefix expansion and
// resolution against BASE (RFC 3986, by rdf.ResolveIRI): a literal keeps
// its lexical form ("01" stays "01"), its datatype IRI and its language
// tag; 1, 1.0 and 1e0 are xsd:integer, xsd:decimal and xsd:double; true
// and false are xsd:boolean. `a` is rdf:type. `[]`, `[ ... ]` and
// collections are expanded into triples with generated blank nodes
// (labels genid<N>; a written label starting with "genid" is renamed so
// the two cannot collide).
//
// A Query holds its form, projection, dataset (FROM is parsed; whether it
// is supported is the evaluator's call), the WHERE *Group and the solution
// modifiers. A Group lists its elements in order: *BGP blocks of triples
// (a predicate that is a path other than one IRI is in Path), *Optional,
// *Union, *Minus, *GraphPattern, *Service, *Filter, *Bind, *Values,
// *SubQuery and nested *Group. The translation of section 18.2.2 walks
// exactly this list. Expressions are *ExprBinary and *ExprUnary by the
// grammar's precedence (|| < && < relational and IN < + - < * / < unary),
// *ExprCall for built-ins (upper-cased name) and IRI functions such as
// casts, *ExprAggregate and *ExprExists.
//
// An Update is its operations in order, each carrying the prologue in
// force where it was written (a later PREFIX applies only after it).
//
// # Static rules
//
// Beyond the grammar, the parser rejects what the specification forbids
// and the W3C syntax tests check: SELECT * with GROUP BY; a projected
// variable neither grouped nor aggregated in a grouped query; (expr AS ?v)
// or BIND(... AS ?v) where ?v is already in scope; aggregates outside
// SELECT, HAVING and ORDER BY; VALUES rows of the wrong length; a blank
// node label used in two basic graph patterns (or two update operations);
// variables in INSERT DATA and DELETE DATA; blank nodes in DELETE
// templates; wrong numbers of arguments to built-ins.
//
// # Layout
//
// lexer.go and lexer_names.go turn text into tokens (SPARQL's \u escapes
// are decoded first, as section 19.2 requires). parser.go holds the
// token plumbing and the prologue; query.go the query forms and solution
// modifiers; group.go group graph patterns; triples.go triples, terms and
// property paths; expr.go expressions and built-ins; update.go the update
// operations; check.go the static rules. The W3C suites in
// ../shared/data/w3c-rdf-tests/sparql11 run from w3c_test.go.
package sparql
