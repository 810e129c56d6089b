// Package eval evaluates SPARQL 1.1 queries and updates: it translates the
// parsed query into the SPARQL algebra (section 18) and runs it against a
// Graph.
//
// # Use
//
//	err := eval.Run(ctx, q, g, eval.Output{Solutions: w}, eval.Options{})     // SELECT, ASK
//	err := eval.Run(ctx, q, g, eval.Output{Triples: emit}, eval.Options{})    // CONSTRUCT, DESCRIBE
//	ch, err := eval.Update(ctx, u, g, eval.Options{Load: load})              // net Changes
//	fmt.Print(eval.Explain(q))                                               // the algebra
//
// Graph is the storage seam: one Match call takes a batch of triple
// patterns. MemGraph is the in-memory Graph of the tests; the distributed
// views implement it elsewhere. Expressions are package fn's.
//
// # Translation
//
// algebra.go turns the syntax tree into operators as section 18.2 says:
// a group's FILTERs wrap the whole group, OPTIONAL becomes LeftJoin with
// the optional group's filters, BIND extends what precedes it in its
// group, VALUES and sub-selects are joined, and the query's GROUP BY,
// aggregates, HAVING, trailing VALUES, SELECT expressions, ORDER BY,
// projection, DISTINCT/REDUCED and OFFSET/LIMIT stack on top (18.2.4).
// Aggregates are computed by the group operator and bound to hidden
// variables (names with a NUL) that expressions read through
// fn.Env.Aggregate; blank nodes in patterns are variables named "_:label".
// Neither is ever projected. Explain prints the tree.
//
// # Evaluation
//
// Operators push solutions to a callback (eval.go), so a solution flows
// through the whole tree before the next is made and nothing is held
// unless the operator needs it: ORDER BY without LIMIT, GROUP BY, the
// seen-set of DISTINCT, the right side of a join, left join or minus that
// is not a BGP, and the solutions of a DELETE/INSERT's WHERE. ORDER BY
// with LIMIT keeps a heap of the best OFFSET+LIMIT. LIMIT and ASK stop
// evaluation through an error value of their own.
//
// A BGP (bgp.go) is an index nested loop join. When the Graph is also an
// Estimator, its order is the one of least estimated work for BGPs of up
// to 8 patterns (a step costs the solutions before it and after it; the
// dynamic program of cheapestOrder weighs every order), and greedy for
// longer ones: the next pattern is the one estimated to match the fewest
// triples given what earlier patterns bind. Without estimates (and on
// greedy ties) a heuristic of known positions decides, then written
// order. Explain, which has no graph, shows the heuristic order;
// ExplainOver shows the order over a graph, with its estimates.
// Solutions wait before each pattern until Options.Batch of them have come, and one
// Graph.Match call then carries one pattern per solution. With estimates,
// a step may instead leave some of the variables its solutions bind out
// of its lookups and join their matches with the solutions through a
// hash (openstep.go): one lookup of all 189 departments, say, rather than
// one per department to check. A check (a step whose every variable is
// bound, which only keeps solutions) that keeps most of a sample of its
// first batch moves to the end of the BGP when the steps after it are
// estimated not to fan out (deferstep.go): the estimates cannot tell how
// many solutions a check keeps, and one that keeps most of them is
// cheaper after the steps that keep few. When the Graph is a Namer, a BGP works on
// its stand-ins for entities (MatchUnnamed) and names only the solutions
// that leave it, in batches (Name), rather than every entity every step
// finds; IRIs and blank nodes that come in (a seed, a join's left side)
// become stand-ins where a step uses them (StandIns), and a property
// path step, which compares the nodes it reaches, gets named solutions.
// A BGP on the
// right of a join or an OPTIONAL is fed the left's solutions the same
// way. Property paths (path.go) walk many start nodes per Match call;
// ?, * and + visit each node once per start, so they end on cycles.
//
// A FILTER directly over a BGP hands its comparisons of a variable with
// a literal ("?o > 5", "3 <= ?o", "?o = 7", conjuncts of &&; see
// objectFilters) to the lookups: a pattern with a constant predicate whose
// object is that variable, still unbound, carries them as
// Pattern.ObjectFilter. They are only a hint: a Graph may use them to
// narrow its lookups (the views turn numeric, dateTime and string ones
// into range scans) or ignore them (MemGraph does), and the FILTER is
// evaluated on every solution as always, so the hint narrows work, never
// the answer.
// Explain shows the hints as "[object filter ...]" after the pattern.
//
// Graph.Match's emit may call Match again: an upstream batch's matches
// feed the next pattern's batch, whose lookups run inside the callback.
//
// EXISTS evaluates its group with the current solution's variables
// substituted (every leaf starts from that solution), as the errata of
// the specification describe.
//
// # Update
//
// Update runs the operations of a request against an Overlay of the
// graph, so each sees the ones before it, and returns the net Changes for
// the caller to apply as one log transaction. Only the default graph
// exists: FROM, FROM NAMED, GRAPH, WITH, USING, SERVICE and operations on
// named graphs give errors wrapping ErrNotSupported (SILENT operations do
// nothing instead).
package eval
