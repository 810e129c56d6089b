// Package loader is the bulk loader: it streams N-Triples or Turtle input
// to an API server in batches, each one atomic insert request, and is what
// `akutan insert` runs for RDF input.
//
// Input is parsed here and each batch is re-serialized as N-Triples, so
// Turtle needs no support on the server and error positions stay those of
// the input. A batch ends at Config.BatchFacts facts or before the fact
// that would take it past Config.MaxBatchBytes, so that it fits one log
// entry and one request; a batch the server still refuses as too large
// for one log entry is split in two and each half sent again. A batch that
// finds the server unavailable is retried a few times with backoff.
// Config.Parallel batches are in flight at once.
//
// A syntax error stops the load and sends nothing of the batch it falls
// in. The first Config.PreScanBytes of batches are held back until they
// have all parsed, so a syntax error in an input that small commits
// nothing at all; past them the load streams, holding only the batch
// being filled. A fact with a literal or name over
// storage.MaxLiteralBytes stops the load, naming its line, before it is
// sent.
//
// Blank node labels are scoped by Config.LoadID, so that label L names the
// same entity in every batch of one load. Batches complete out of order; a
// load that stops reports (StoppedError) how many facts from the start of
// the input are certainly in, so that a rerun with that Skip and the same
// LoadID resumes it without losing or duplicating facts.
//
// The loader calls its API server through the narrow API interface, which
// wire.APIClient satisfies; tests pass a fake.
package loader
