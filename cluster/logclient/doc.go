// Package logclient is the client every Akutan role uses to talk to the
// central log (the wire.Log service of roles/logserver).
//
// A Client starts from some log replicas' gRPC addresses (the seeds, from
// --log) and follows the log's membership: every replica records its gRPC
// address and datacenter in the log's directory (roles/logserver), and
// Info lists them with the members. Every 2 s (every second while no
// leader is known) the client asks each replica it knows for Info, uses
// the members a leader reports, adds the ones a follower reports, and
// drops replicas a leader no longer counts as members; so views and API
// servers keep working while every replica is replaced, as long as each
// step leaves them a couple of seconds. A log of an older release records
// no addresses: then the client keeps its seeds. Calls go to one
// replica and fail over to the next on transport errors, timeouts and
// unavailability, bounded by the caller's context. A replica that stops
// without closing its connections (a frozen process) fails nothing, so
// Append and Info also hedge: when the replica asked has not answered
// within the hedge delay (500 ms, less under a short deadline) the next
// is asked too, and the first answer wins. Each attempt gets at most half
// the time the caller has left, so that there is always time for another
// replica. A replica that failed or was overtaken is tried after the
// others for 10 s, and after that until it answers an Info asked in the
// background (once a second). Which replica leads is learned in the background, from
// Info replies of replicas that answer themselves.
//
//   - Append is idempotent across retries and hedges: each call carries a
//     (client_id, seq) key that the log applies at most once, so an append
//     sent to several replicas, or retried after it had in fact committed,
//     returns the indexes assigned the first time. Appends go to the
//     leader when the client has learned which replica that is; any
//     replica accepts them. They travel over one AppendStream per replica,
//     opened on first use and replaced when it breaks (Append calls to a
//     replica that has none).
//   - Read streams entries and keeps tailing; after a broken stream it
//     resumes on another replica right after the last delivered index, so
//     each index is delivered exactly once and in order. Replicas send a
//     heartbeat every 200 ms while tailing; a stream silent for 600 ms
//     whose replica does not answer an Info within 300 ms either is
//     abandoned and resumed elsewhere.
package logclient
