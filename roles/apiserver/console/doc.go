// Package console is Akutan's web console: a single page, embedded in the
// binary (go:embed) and served by every API server at / on its HTTP port,
// with its scripts and styles under /console/. It is plain HTML, CSS and
// JavaScript modules, with no build step, and loads nothing from outside
// (its Content-Security-Policy allows only its own origin).
//
// The page only calls the API server's existing HTTP endpoints, with the
// bearer token the user types in (kept in the browser's localStorage;
// nothing is kept on the server):
//
//   - Query: /sparql (SPARQL 1.1 protocol) and POST /v1/query (the Akutan
//     query language), with the log index an answer was read at
//     (Akutan-Log-Index, or "index") and an "as of index" box for
//     historical reads. A SPARQL SELECT without LIMIT or OFFSET of its own
//     is fetched in blocks (LIMIT/OFFSET appended, each block read at the
//     first one's log index); results are paged, IRIs shortened by the
//     known prefixes, and downloadable as CSV, TSV or JSON.
//   - Plan: POST /v1/query with explain, drawn as a tree of operators with
//     estimated and actual rows, RPCs, lookups and time; SPARQL's
//     explain=true text.
//   - Cluster: GET /v1/status (the `akutan status --json` report) and
//     GET /v1/floors, polled every 1.5 s: the verdict and its reasons, a bar
//     of each space's hash ranges coloured by how many up-to-date views
//     cover them, the views, the log replicas and the API servers.
//   - Load: POST /v1/insert of an N-Triples, Turtle or TSV file (gzip
//     decompressed in the browser), with upload progress.
package console
