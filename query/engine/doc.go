// Package engine runs parsed queries against the views at one log index.
//
// A query goes through four steps. Names in the query are resolved to
// KIDs as of the index (resolve.go, compile.go), through a cache of names
// shared with the other queries at that index when the Engine has one
// (WithNames, names.go; the SPARQL evaluator uses the same cache). The planner (package
// planner) chooses the cheapest tree of physical operators using the
// views' statistics; the Engine keeps the plans it chose, keyed by the
// compiled query, and reuses one while the statistics are the same
// (plancache.go). The executor (exec.go, join.go) runs that tree: every
// operator is a goroutine that streams batches of rows to its parent over
// a bounded channel, so a slow consumer holds its producers back; a loop
// join turns each large batch of left rows into one batched lookup call
// (planner.LoopBatch rows, split by the view client into one RPC per
// view); a hash join runs both inputs in parallel; an inference is a
// breadth-first search with one batched lookup per level (infer.go), or a
// range scan closed in memory when a comparison was pushed into it
// (pushed.go). Finally the output stage (results.go) projects,
// de-duplicates, windows and names (through the same cache) the rows and streams them to the
// caller; only ORDER BY, COUNT and ASK wait for all rows (ASK and LIMIT
// stop the plan as soon as the answer is complete).
//
// A failed lookup fails the whole query, whatever its form. When an
// operator fails, the others are cancelled and their channels close as if
// they had finished, so the output stage never takes the end of the rows
// for a complete answer: it sends an answer that depends on every row
// (COUNT, ORDER BY, ASK false) only after the plan ended without failure,
// and one that stopped the plan early (ASK true, LIMIT) only if no
// failure came before the stop. Rows of a plain SELECT stream out while
// the plan runs; if it then fails, Stream returns the error after them and
// callers must discard what they were sent (the API server's HTTP answer
// and the CLI print nothing but the error).
//
// Every operator counts the rows it produced, the lookups and view RPCs it
// sent and its running time (opstats.go), for EXPLAIN.
//
// Semantics worth knowing:
//   - Every constant predicate is treated as transitive: a pattern also
//     matches facts implied by chains of stored facts with that predicate.
//     Inferred facts have no fact ID, so a pattern with a fact-ID field
//     matches stored facts only, and so does one whose predicate is a
//     variable. A chain continues only through entities.
//   - The bare form (fact patterns without SELECT or ASK) returns, for
//     each fact pattern in query order, the columns id, subject, predicate
//     and object of the matching fact (suffixed 1, 2, ... when there are
//     several patterns); an inferred fact's id is unbound.
//   - SELECT * lists the variables in order of first appearance.
//   - Optional patterns are left joins applied in query order after the
//     required patterns; comparisons on their variables apply after them.
//   - With DISTINCT, COUNT(?x) counts distinct values and COUNT(*) distinct
//     solutions.
//   - Literals match, join and de-duplicate as exact terms: value and
//     annotation (storage.SameTerm), so an RDF literal loaded as
//     "01"^^xsd:integer is not the constant 1, and both can be results.
//     Comparisons (<gt> and friends) and ORDER BY go by value.
//
// Everything reads at a single log index, so a query never sees half of a
// write.
package engine
