// Package logentry is the durable format of Akutan's log entries and
// everything about reading them: how the API encodes a change, and the
// replay rule by which every view turns each entry into the same change of
// its state. Views and writers both read entries only through this
// package, so they cannot disagree about what an entry means.
//
// An entry is a wire.LogEntry protobuf. IDs created by an entry are written
// as offsets and become KIDs only once the entry has an index
// (storage.KIDOf), which is what lets views derive identical IDs without
// talking to each other.
//
// The replay rule (Replay, which returns an entry's Effect): an insert
// creates facts; an update deletes and creates facts, by itself when it
// landed right after the log index its writer read the graph at, else as
// a transaction held pending until a later Decide entry commits or aborts
// it (only the first decision counts); a version change switches the log
// format, and stops a view that cannot read the new one; anything
// malformed changes nothing, on every view alike. DecisionOf reads a
// decision exactly as Replay does, for writers waiting on their own.
//
// Reading must be cheap, because every view reads every entry: the fast
// paths (DecodeInserts, DecisionOf, VersionChangeOf) read the wire bytes
// directly, with field numbers taken from the generated descriptors (so
// wire/akutan.proto stays the one definition), and decline anything
// unusual so that the ordinary protobuf decoding decides it. Writing is
// cheap too: Encode marshals with vtprotobuf's generated code, which
// gives proto.Marshal's bytes without reflection (an API server encodes
// ten thousand facts per bulk-load request).
//
// Validate is the log's side of the contract: it refuses, before they are
// appended, the entries that views would skip or stop at, and objects
// with a literal annotation (storage/annotation.go) while the log is in a
// format version before AnnotationVersion (3), naming the upgrade.
package logentry
