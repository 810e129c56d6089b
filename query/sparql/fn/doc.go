// Package fn evaluates SPARQL 1.1 expressions (section 17): operators,
// every built-in function, casts, effective boolean values, the ORDER BY
// order and the aggregates of section 18.5.
//
// # Use
//
//	t, err := fn.Eval(ctx, expr, binding, env) // one expression, one solution
//	ok, err := fn.EBV(t)                       // FILTER's view of a value
//	sort.Slice(rows, func(i, j int) bool { return fn.OrderCompare(a, b) < 0 })
//	acc := fn.NewAccumulator(agg); acc.Add(t, err) ...; acc.Result()
//
// The algebra evaluator (package eval) owns solutions, groups and graphs;
// this package owns what a value means. Env carries what an expression
// needs from outside its solution: NOW(), the base IRI, EXISTS, the
// group's aggregate values and BNODE's blank nodes.
//
// # Values
//
// Terms are rdf.Term as stored. Operators do not compare lexical forms
// but values, so each literal is read into its value space when an
// operator needs it:
//
//   - numbers: xsd:integer and the types derived from it (xsd:int,
//     xsd:byte, xsd:nonNegativeInteger, ... with their ranges), xsd:decimal
//     (exact, as big.Int and big.Rat, so 0.1+0.2 = 0.3), xsd:float and
//     xsd:double. Arithmetic promotes integer -> decimal -> float ->
//     double as XPath does, and integer / integer is a decimal (1/2 = 0.5).
//   - strings: simple literals, which RDF 1.1 makes the same as
//     xsd:string, and language-tagged strings, which are equal only with
//     the same tag (ignoring case) and have no order under < or >.
//   - xsd:boolean (false < true) and xsd:dateTime. A dateTime without a
//     time zone is anywhere within 14 hours of UTC, so comparing it with
//     one that has a zone is indeterminate inside that window (XSD 1.1's
//     partial order) and then a type error.
//
// Results are written in the canonical lexical forms of XSD 1.1:
// "3" and "0.5" for decimals (a non-terminating quotient keeps 18
// fraction digits), "1.0E0", "INF" and "NaN" for doubles and floats,
// "true"/"false" for booleans. Literals that come from the data keep
// their lexical form ("01" stays "01") until an operator computes a new
// value.
//
// # Errors
//
// A SPARQL expression without a value, such as 1 + "a" or an unbound
// variable, is a type error: an error wrapping ErrType whose text says
// what was wrong. Type errors flow upward through every strict function;
// only the functional forms absorb them: || and && by the three-valued
// logic of section 17.2 (true || error is true, false && error is false),
// IF (only the chosen branch is evaluated), COALESCE (the first argument
// with a value) and IN / NOT IN (a match decides). FILTER reads a type
// error as false; BIND and SELECT leave the variable unbound.
//
// Any other error (a cancelled context, a failed EXISTS lookup, an
// aggregate outside a grouped query) is not a SPARQL value at all and
// stops the query; nothing absorbs it.
//
// = follows section 17.3's table: values of the known kinds compare by
// value, and values of different known kinds are unequal. Two different
// literals of a datatype this package does not know (or an ill-typed one
// like "x"^^xsd:integer) may still denote the same value, so = on them is
// a type error rather than false; sameTerm compares terms and never
// fails.
//
// # Order
//
// OrderCompare is the total order ORDER BY, MIN and MAX use: unbound,
// then blank nodes, IRIs and literals (section 15.1). Literals group by
// kind of value and order by value where < does, with ties and unknown
// datatypes broken by datatype, lexical form and language tag, so a sort
// never depends on input order.
//
// # Functions
//
// Every built-in of section 17.4 is here, as are the casts of section
// 17.5 (to xsd:string, boolean, integer and its derived types, decimal,
// float, double and dateTime). A function called by another IRI is
// unknown, which is a type error. REGEX and REPLACE translate XPath
// regular expressions to Go's RE2: \d and \w become the Unicode classes
// XPath means (RE2's are ASCII), \s, \i and \c their XPath sets, flags
// i s m x q are honoured, and what RE2 cannot do (back-references, class
// subtraction, \p{IsBlock}) is a type error naming the pattern.
//
// Equal, Compare and SameTerm are the =, < and sameTerm of the
// operators, for callers that compare terms outside an expression;
// Canonical rewrites a numeric or boolean literal into its canonical
// form, so that results can be compared by value.
//
// Evaluation never panics on any tree the parser builds; FuzzEval checks
// this.
package fn
