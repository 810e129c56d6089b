// Package viewstore is a Disk View's durable state: the facts of one hash
// range of one space, kept in goleveldb under the key formats of package
// storage, together with the log index they reflect.
//
// Every write that applies log entries also records the last applied index
// and the state digest (see Digest) in the same atomic batch, so after any
// crash the store names exactly the prefix of the log it holds and the
// view resumes from the next entry. Those writes are not synced: a crash
// of the process loses nothing, but a power loss may take the latest
// ones, so SyncApplied makes them durable and names the index they reach
// (what a view may count towards its cluster's log floor). Lookups are answered as of a log
// index: facts created later are filtered out, and a fact's newest version
// at or below that index decides whether it is visible (the newest version
// may be a deletion tombstone).
//
// A fact key's value is the literal annotation of its object
// (storage.AppendAnnotation; empty for most facts and for tombstones):
// lookups match by the value in the key and return the object with its
// annotation, the digest covers keys and values (EntryDigest), and a load
// moves both.
//
// Keys are never removed, so the store as of any applied index can be read
// from any later snapshot by skipping newer keys: that is how a Loader
// fills a new store from peers (ScanKeys, KeyHash and KeyIndex read raw
// keys and values for them) and how Digest answers for past indexes. LevelDB runs in
// strict mode, and its corruption errors, like keys that do not decode or
// a digest that does not add up (Verify), are reported as ErrCorrupt.
//
// Point lookups (by S, SP, SPO, P or PO prefix) keep the decoded rows of
// small prefixes in a row cache, from which every write drops the
// prefixes it changes (rowcache.go): a LevelDB seek costs microseconds of
// CPU even when all its blocks are cached, and a query repeats the same
// lookups for every solution.
package viewstore
