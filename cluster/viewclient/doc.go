// Package viewclient is how API servers read the graph: batched lookups
// against the Disk Views found through gossip.
//
// Each request type knows how to place its items in a space (a lookup by
// subject and predicate is one point of HashSP; a lookup by subject alone
// must cover all of HashSP), how to build and read its RPC, and how to
// hand over only the results of the units fanout says a call won (so that
// retries and hedges never duplicate results). Everything else (replica
// choice, batching per view, parallelism, retries, hedging) is the fanout
// package's job.
//
// A call reads its whole lookup stream before fanout may deliver it: a
// stream that breaks part-way (the view died, or sent an error after some
// chunks) is discarded and its lookups are asked again, from scratch, of
// another replica. A call that could not reach its view makes the
// connection reconnect at once, and connections wait at most a second
// between attempts, so a restarted view is usable again as soon as gossip
// lists it.
//
// Options tune the fanout: WithLocalDC (prefer views in this datacenter),
// WithHedging (on by default), WithRegisterer (export fanout metrics).
// The tests run real views in the test process with package
// roles/viewserver/viewtest, which lives under roles/ because it starts
// view servers: nothing under cluster/ outside tests imports a role.
package viewclient
