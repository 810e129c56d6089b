// Package apiserver is the api role: a stateless server that appends writes
// to the log and answers queries by fanning lookups out to the views it
// finds through gossip. It serves gRPC (wire.API) and HTTP (/v1/query,
// /v1/insert, /healthz, /metrics).
//
// A query whose lookups fail (no view covers a hash range, the deadline
// passes) fails whole: over HTTP the answer is a 503 carrying only the
// error; over gRPC the stream ends in an error status, and the rows of a
// long SELECT it may have streamed before are to be discarded (the
// command line prints nothing but the error).
package apiserver
