// Package apiserver is the api role: a stateless server that appends
// writes to the log and answers queries by fanning lookups out to the
// views it finds through gossip (it knows views no other way).
//
// It serves the same operations over gRPC and HTTP:
//
//   - gRPC: wire.API (Insert, Delete, Update, and Query, which streams its
//     answer in chunks) and wire.Status (the health report and the gossip
//     members).
//   - HTTP: POST /v1/query, /v1/insert, /v1/delete and /v1/update (a JSON
//     body or plain text), GET /v1/status (the report of `akutan status`),
//     GET /v1/members, GET /healthz and GET /metrics; GET /v1/export
//     (export.go: the whole graph as of a log index as N-Triples or
//     Turtle, streamed from a scan of every HashSP range) and GET
//     /v1/changes (changes.go: the change feed of package
//     cluster/changefeed as server-sent events, one RDF Patch per
//     committed transaction); and /sparql, the
//     SPARQL 1.1 Protocol (sparql.go): queries by GET or POST, evaluated
//     by query/sparql/eval over query/sparql/viewgraph at one log index
//     and streamed in the negotiated format (a failure after the answer
//     started aborts the response), and updates by POST, whose net change
//     is applied as one transaction like any update; explain=true answers
//     a query's plan (BGPs ordered by the views' statistics) instead, and
//     a GET without a query the Service Description
//     (sparql_service.go). Its errors are plain text (400 syntax and
//     unsupported features, 405, 406, 413, 415, 503).
//
// Its listeners, gossip node and shutdown are set up through package
// rolekit. A request over wire.MaxRequestBytes is refused at once (HTTP
// 413, gRPC ResourceExhausted); a request the client must fix is an HTTP
// 400 or gRPC InvalidArgument (ErrInvalid); anything else an HTTP 503.
//
// Every insert, delete and update is one transaction, applied through
// update.Inserter: it reads at the log's last index, appends, and
// validates and decides when another write landed in between. A timer
// aborts transactions that views report undecided for longer than
// Config.TxTimeout (their client went away). Another registers the
// cluster's log floor every Config.FloorEvery: the highest index every
// range holds durably in Config.FloorViews of the cluster's views, worked
// out by package cluster/floor from gossip (metric akutan_api_log_floor).
//
// A query runs entirely at one log index: the log's last index, the one
// the client names, or (consistency "recent") the newest index every
// serving view has applied, as gossip reports it. The log's last index
// costs a Raft ReadIndex round, so a linearizable query starts at once
// at the highest index this server has seen the log reach and holds its
// answer until the log confirms that index; a different confirmed index
// runs it again there (readindex.go: indexChooser). The planner's statistics
// come from the views (stats.go): fetched every 30 s, within a second of
// a view advertising new ones (views rescan after a burst of writes), and
// before planning while some range has none. A query whose lookups
// fail (no view covers a hash range, the deadline passes) fails whole:
// over HTTP the answer is a 503 carrying only the error; over gRPC the
// stream ends in an error status, and the rows of a long SELECT it may
// have streamed before are to be discarded (the command line prints
// nothing but the error).
//
// With Config.TLS the gRPC and HTTP listeners are mutual TLS only; with
// Config.PeerTLS the server dials the log and the views with its
// certificate. With Config.Tokens every request needs a bearer token whose
// role covers it (auth.go: read, write, admin; package internal/tokens),
// checked by gRPC interceptors and an HTTP middleware before any handler
// runs, so a refused request changes nothing.
package apiserver
