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
// A point lookup's call (LookupSP, LookupSPO, LookupPO) reads its whole
// lookup stream before fanout may deliver it: a stream that breaks
// part-way (the view died, or sent an error after some chunks) is
// discarded and its lookups are asked again, from scratch, of another
// replica. A call that could not reach its view makes the connection
// reconnect at once, and connections wait at most a second between
// attempts, so a restarted view is usable again as soon as gossip lists
// it.
//
// A call of a lookup that asks every range (LookupS, LookupP, LookupPOCmp,
// Scan) may get a reply as large as the graph, so it holds at most
// StreamAfter matches (WithStreamAfter) back, and a chunk more. A reply
// that ends within them behaves as a point lookup's: all or nothing,
// retried and hedged transparently. A larger one is streamed: the call
// returns once it holds more than StreamAfter matches, and its Deliver
// emits them, then reads and emits the rest of the stream chunk by chunk
// (keeping, as always, only facts that hash into the units delivered).
// The stream is opened under the lookup's context rather than the
// call's, which fanout cancels before it delivers; until the call
// returns, the call's context still closes it, and the lookup closes
// every stream left open (a reply that lost to a hedge) when it returns.
// A streamed reply that breaks is not retried: its first facts were
// emitted, and asking another replica would emit them again. The lookup
// fails instead, with an error naming the view and how many facts of its
// reply had arrived, so a query fails rather than answers short. An API
// server thus holds about StreamAfter matches per range in flight for one
// lookup, however large the answer; a view's stream waits (gRPC flow
// control) while its facts are not taken.
//
// Options tune the fanout: WithLocalDC (prefer views in this datacenter),
// WithHedging (on by default), WithRegisterer (export fanout metrics);
// and streaming: WithStreamAfter.
// The tests run real views in the test process with package
// roles/viewserver/viewtest, which lives under roles/ because it starts
// view servers: nothing under cluster/ outside tests imports a role.
package viewclient
