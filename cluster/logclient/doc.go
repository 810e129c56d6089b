// Package logclient is the client every Akutan role uses to talk to the
// central log (the wire.Log service of roles/logserver).
//
// A Client knows the gRPC addresses of all log replicas. Calls go to one
// replica and fail over to the next on transport errors, timeouts and
// unavailability, bounded by the caller's context:
//
//   - Append is idempotent across retries: each call carries a (client_id,
//     seq) key that the log applies at most once, so a retried append that
//     had in fact committed returns the indexes assigned the first time.
//     Appends go to the leader when the client has learned which replica
//     that is (from Info replies); any replica accepts them. They travel
//     over one AppendStream per replica, opened on first use and replaced
//     when it breaks (Append calls to a replica that has none).
//   - Read streams entries and keeps tailing; after a broken stream it
//     resumes on another replica right after the last delivered index, so
//     each index is delivered exactly once and in order.
package logclient
