// Package cli is akutan's command line, a thin layer that turns flags into
// the configurations of the packages that do the work:
//
//   - Servers: log, view and api run one role server each (packages
//     logserver, viewserver, apiserver; the flags every role shares, such
//     as --gossip-addr, --cluster and --metrics-addr, become the fields
//     those servers hand to rolekit), and local runs a whole cluster in one
//     process (package local). Each prints where it serves and runs until
//     Ctrl-C or SIGTERM; a view that fails for good exits non-zero. Under
//     systemd (the Type=notify units of deploy/systemd) each sends READY=1
//     once it serves, a view once it serves lookups, and STOPPING=1 when
//     it begins a graceful stop (notify.go).
//   - Clients of an API server (--api): insert, delete, update, query and
//     status. insert sends a TSV file as one atomic request, and streams
//     N-Triples and Turtle through the bulk loader (package
//     cluster/loader), drawing its progress on a terminal and printing how
//     to resume (--skip, --load-id) a load that stopped. A query's answer
//     is printed only once the server has sent all of it, so a query that
//     fails part-way prints its error and no rows, and exits non-zero.
//     Failed calls are explained by wire.APIError. status --wait polls
//     until the cluster is healthy, fully available, or (covered) serves
//     a space in N partitions each with K up-to-date views of exactly that
//     range (health.Missing), and fails after --timeout naming what is
//     still missing. sparql and
//     sparql-update speak SPARQL to the API server's /sparql over HTTP, at
//     the address it advertises in gossip (asked through --api) or --http;
//     they too print an answer only once it has all arrived. export
//     streams GET /v1/export (the whole graph as RDF) to standard output,
//     and changes prints GET /v1/changes (server-sent events) as RDF
//     Patch, following with --follow; both find the HTTP address the
//     same way, and both fail (non-zero) when the server cut the stream.
//   - Operator tools: ctl log (info, truncate, floor, floors, members, add,
//     remove, upgrade, archive) talks to the log replicas (--log; upgrade also
//     listens to gossip, to check that every server reads the new format;
//     archive copies entries into a storage/logarchive directory, which
//     truncate --require-archive checks before discarding anything);
//     ctl verify compares view digests per range; ctl drain marks a view
//     as about to be stopped (the view's Drain RPC) and waits until every
//     API server's gossip shows it draining, so that they stop sending it
//     lookups first.
//   - Security (docs/security.md): every server role takes --tls-cert,
//     --tls-key and --tls-ca (mutual TLS on its listeners and toward the
//     other roles; package internal/tlsconfig), and api and local take
//     --tokens. Every client command that dials --api goes through
//     dialConn (gRPC) or doHTTP (HTTP) in client.go, which add the same
//     TLS flags and --token-file; operator commands that dial log
//     replicas or views take the TLS flags (peerDialOptions). ctl certs
//     and ctl token make the certificates and tokens.
//
// Every flag of a subcommand that takes --config may also come from that
// TOML file, under the same key; flags win over the file. A key that is
// not a flag of that subcommand is an error naming the key and the file
// (config.go): one file per role (deploy/config), so that a typo or
// another role's setting is never dropped silently.
package cli
