// Package changefeed turns the log into a feed of committed changes: every
// transaction that committed after a given log index, in order, each as
// an RDF Patch (https://afs.github.io/rdf-delta/rdf-patch.html) tagged
// with its log index, so that a consumer (a search index, a cache, another
// store) resumes exactly once from the last index it processed. The API
// server serves it as GET /v1/changes (server-sent events) and `akutan
// changes` prints it.
//
// # Order and tags
//
// A transaction is one log entry: an insert, or an update (deletes and
// inserts). An insert, and an update that landed right after the index its
// writer read at, commit by themselves; any other update is pending until
// the first Decide entry naming it commits or aborts it (the replay rule
// of storage/logentry). Transactions may interleave: T1 at index 10 may be
// decided at 14, after T2 at 12 committed by itself at 12.
//
// The feed's order is the order of the transactions' own entries, and a
// transaction's tag is the index of its entry, not of its decision. That
// is the order in which the database applies them: a committed
// transaction's facts carry its entry's index, and a query as of index N
// sees exactly the committed transactions at or below N (a view makes a
// query wait while one at or below N is undecided). So the graph as of N
// (`akutan export --index N`) followed by the feed from N is the graph at
// any later index. To keep that order the Sequencer holds a decided
// transaction back while an earlier one is still undecided (at most the
// API server's transaction timeout, after which its timer aborts it), and
// drops aborted transactions and every entry that is not a transaction
// (decisions, log format changes, malformed entries).
//
// A consumer that processed the transaction tagged N asks for the feed
// from N: every transaction at or below N was decided and delivered (or
// aborted) before N was, and every one above N is read again from the log,
// its decision included. So each committed transaction is delivered once
// across a resume, and none is skipped.
//
// # Format
//
// Each transaction is one patch:
//
//	H id <urn:akutan:index:N> .
//	TX .
//	D <s> <p> <o> .
//	A <s> <p> <o> .
//	TC .
//
// N is the log index of the transaction's entry; a resuming consumer
// passes the N of the last patch it processed whole (through TC). Deletes
// come before adds, each in entry order. Terms are written as N-Triples
// writes them (query/rdf), and named as SPARQL names them
// (query/sparql/viewgraph): an entity with an external name is that IRI
// (or the blank node _:X for a name "_:X"), one without is the blank node
// _:b<KID>, and literals are exactly as stored (datatype, language tag,
// lexical form). Akutan's bookkeeping facts (such as an entity's
// <HasExternalID>) are left out, and so is a transaction left with no
// change. Entities are named as of the transaction's index: names are
// resolved through the views (engine.ResolveKIDs) at the index before the
// transaction, and a new entity's name comes from the transaction itself.
// The feed caches names (an entity's name does not change once given),
// emptying the cache beyond a million entities.
//
// # Where it starts and stops
//
// Run reads the log from the index after from. Asking for an index below
// the log's first retained index (from + 1 < first) is an
// *ErrBeforeFirst naming the first index. Without follow, Run stops once
// every transaction at or below the log's last index at its start has
// been delivered (reading on past it only for the decisions of pending
// transactions); with follow it tails the log until its context ends.
package changefeed
