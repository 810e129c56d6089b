// Package engine runs parsed queries against the views at one log index.
//
// A query goes through four steps: names in the query are resolved to KIDs
// as of the index (resolve.go); the planner orders the fact patterns and
// places each comparison right after its variables are bound (plan.go); the
// executor runs the plan over batches of rows, turning each pattern into one
// batched lookup per step, or per breadth-first level when the pattern is
// inferred transitively (exec.go, infer.go); finally rows are projected,
// aggregated, ordered and formatted (results.go).
//
// Everything reads at a single log index, so a query never sees half of a
// write.
package engine
