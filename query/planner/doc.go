// Package planner chooses how to run a query: it turns the query's
// resolved patterns into a tree of physical operators with the lowest
// estimated cost, using statistics the views keep about their data.
//
// The logical plan is a join of the fact patterns with the comparisons as
// selections above it. The planner explores the logically equivalent
// trees the way a Volcano-style memo does, one group per set of patterns:
//
//   - join order: every split of a group into two smaller groups (join
//     commutativity and associativity), and every way to extend a group by
//     one pattern whose variables it binds (a loop join);
//   - selection push-down: each comparison is applied in the lowest group
//     that binds its variables;
//   - a comparison on the object of a lookup becomes a LookupPOCmp range
//     scan instead of a scan followed by a filter.
//
// For each group it keeps the cheapest physical implementation: a lookup
// (LookupSPO, LookupSP, LookupPO, LookupS, LookupPOCmp) or an inference
// (InferSPO in either direction, InferSP, InferPO, InferPOCmp, InferP)
// for a single pattern, a hash join of two groups, or a loop join that
// binds the right-hand pattern's variables from each batch of left rows.
// Estimated sizes come from Stats (see stats.go); a key the statistics do
// not list is assumed small. The cost model (cost.go) counts lookup RPCs,
// index seeks and facts read, as the views' disks and network see them.
//
// Optional patterns are left joins applied after the required ones, in
// query order; comparisons on their variables come after them.
//
// Queries of up to maxExhaustive patterns are planned exhaustively; larger
// ones greedily (cheapest next join first).
package planner
