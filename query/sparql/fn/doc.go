// Package fn evaluates SPARQL 1.1 expressions (section 17): operators,
// every built-in function, casts, effective boolean values, the ORDER BY
// order and the aggregates of section 18.5.
package fn
