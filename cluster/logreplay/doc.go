// Package logreplay fills a new log from a log archive (storage/logarchive)
// for point-in-time recovery: a database restored from a backup as of
// index I (storage/backup, cluster/backup), whose new log starts after I
// (logserver.Server.StartAfter), is brought forward to any archived index
// N > I by appending the archived entries I+1..N to the new log, so that
// its views replay them as the original's did.
//
// # Indexes are preserved
//
// An entry's meaning depends on its index: the IDs an insert creates are
// derived from it, an update names the index it read at, a decision names
// its transaction's index. So log index k of the restored log must hold
// exactly archived entry k. The log assigns indexes itself, in order of
// appends; Replay appends the archived entries in order, in batches, and
// checks that each batch got exactly the indexes the archive gives
// (AppendReply first and last). That holds only if nothing else appends
// meanwhile: run Replay before any API server (or other writer) is
// started. A version change entry, which a plain append refuses, goes
// through the log's version-change admin path (ChangeVersion), which
// appends the same entry; Replay checks it got the archived index too. Any
// other difference stops Replay with an error naming the index.
//
// # Checks
//
// Before anything is appended, Check reads every segment file holding
// I+1..N whole (logarchive.Covers: every checksum, no gap), so a damaged
// or incomplete archive is refused, naming the file, before the new log
// holds any of it. An entry the log refuses (Validate: one written by an
// old release before the log checked appends) stops Replay naming the
// index and the file.
//
// # Resuming
//
// A log that already holds some of I+1..N (a replay that was interrupted)
// is compared entry by entry with the archive, and Replay continues after
// its last index; a log holding anything else, or more than N, is
// refused.
//
// # Transactions undecided at N
//
// An update transaction at or below N whose decision came after N is
// undecided in the restored log: its views hold it pending. The first API
// server started on the restored database aborts it with its transaction
// timer (the abort lands after N). The restored database is the log's
// prefix up to N, in which that transaction never committed, even if the
// original committed it later; its client had no answer at N either.
package logreplay
