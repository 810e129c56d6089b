// Package update applies inserts, deletes and updates to the graph, each
// as one transaction in the log, so that a query at any index sees all of
// a request or none of it.
//
// # Building a transaction
//
// An Inserter (one per API server) reads the graph at the log's last index
// I: it maps external names to KIDs and finds the facts to delete and the
// facts to insert that already exist (inserting them again is a no-op).
// Everything else becomes ONE wire.UpdateTx entry with read index I. New
// entities and facts are named by offsets inside the entry; every view
// derives the same KIDs from the index the entry lands at. While it reads,
// the builder records every answer it got (the names it resolved, the
// facts it found or missed): the transaction is valid at a later index
// exactly when the same reads give the same record there.
//
// # Committing it
//
// The Inserter appends the entry and learns its index T.
//
//   - T == I+1: nothing was written between the read and the entry, so
//     the transaction commits by itself; views apply it at once.
//   - T > I+1: views hold its keys pending. The Inserter reads again as of
//     T-1 and appends a Decide entry: commit if the record is unchanged,
//     abort otherwise. It then reads the log from T on: only the first
//     decision for T counts, and a transaction timer's abort may have come
//     first. An aborted request starts over, a bounded number of times
//     (then ErrConflict).
//
// What an entry means to the views (the replay rule, and which decision
// counts) is defined in storage/logentry; this package only writes
// entries and reads decisions through it.
//
// A request computed from more of the graph than the facts it names (a
// SPARQL update's WHERE) carries that read as Request.Valid: it is asked
// at each attempt's read index and, when other writes landed in between,
// just before the transaction, whose commit it then decides too. When it
// no longer holds at an attempt's read, Apply returns ErrStale and the
// caller computes the request again.
//
// # Abandoned transactions
//
// A client that goes away between its transaction and its decision leaves
// the transaction pending, and views hold lookups touching its keys. Views
// advertise their undecided transactions; a Timer on every API server
// appends an abort for each one it has seen undecided for longer than its
// timeout. Extra aborts are harmless.
//
// # New names
//
// Two requests through the same Inserter that both create the entity for
// a new external name would each read the graph before the other's entry
// and create it twice. The Inserter's name claims stop that: a request
// claims the new names it creates, and a request needing a claimed name
// waits for the claim's request to end, then reads again. Requests through
// different API servers are not coordinated this way; the validation read
// catches them (the name resolves differently at T-1), so one aborts and
// retries with the other's entity.
//
// # Testing
//
// Log is the small interface the package needs from the log
// (cluster/logclient implements it); the tests run the real protocol
// against an in-memory Log whose appended entries are replayed by
// logentry.Replay into in-memory views (enginetest), and drive the Timer
// with a fake Clock.
package update
