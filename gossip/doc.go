// Package gossip lets Akutan servers find each other.
//
// Every server (log, view and api roles) runs one gossip Node built on
// hashicorp/memberlist. A Node advertises a small Meta record — its role, the
// space and hash range it serves, its gRPC address, how far it has applied the
// log (and, for a view, how much of that is synced to disk) — and keeps it
// fresh with SetMeta. Any server can list the live members
// and their Meta with Members; the api servers use that to route queries to
// views, and the operator tools use it to check that every space is covered.
//
// Gossip pools are separated by the cluster name (memberlist's Label) and,
// optionally, encrypted with a shared key (memberlist's SecretKey). A node
// with the wrong label or key is refused, and both sides log a warning that
// names --cluster and --gossip-key (and TLS, see below). Servers may start
// in any order: Start keeps retrying the configured join addresses in the
// background until one answers.
//
// A node that calls Leave before Stop is dropped by the others at once; a
// crashed one within seconds (typically 4-8, see config.go).
//
// # Mutual TLS
//
// With Config.TLS set (a role started with --tls-cert, --tls-key and
// --tls-ca), all gossip goes over mutual TLS with certificates of the
// role's CA, verified on both sides (tls.RequireAndVerifyClientCert), and
// reloaded when the files change (internal/tlsconfig). memberlist has no
// TLS: it sends its streams (join, push-pull, TCP probes) over plain TCP
// and its packets (probes, acks, broadcasts) as UDP datagrams, which
// cannot carry TLS at all (it is a stream protocol; DTLS is not in Go's
// standard library). So such a node replaces memberlist's transport with
// tlsTransport (tls_transport.go): one TCP port, no UDP; each stream is a
// TLS connection, and packets are length-prefixed frames over one pooled
// TLS connection per peer, delivered as coming from the sender's
// advertised address, as a datagram would be. Sending a packet never
// blocks memberlist (a full queue or an unreachable peer drops it, as a
// network would), so failure detection keeps its timing. memberlist's
// label and key still apply, inside TLS.
//
// A node with TLS and one without cannot talk: the TLS node refuses
// plaintext in the handshake, and the other reads the handshake as a
// message of another pool. Both log a warning naming the cause (see
// tlsTransport.refused and logWriter); so do certificate refusals
// (another CA, expired), on the side that refused with crypto/tls's
// reason and on the joining side in its join error.
package gossip
