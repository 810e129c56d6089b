// Package viewclient is how API servers read the graph: batched lookups
// against the Disk Views found through gossip.
//
// Each request type knows how to place its items in a space (a lookup by
// subject and predicate is one point of HashSP; a lookup by subject alone
// must cover all of HashSP) and how to build and read its RPC. Everything
// else (replica choice, batching per view, parallelism, retries) is the
// fanout package's job.
package viewclient
