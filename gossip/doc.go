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
// names --cluster and --gossip-key. Servers may start in any order: Start
// keeps retrying the configured join addresses in the background until one
// answers.
//
// A node that calls Leave before Stop is dropped by the others at once; a
// crashed one within seconds (typically 4-8, see config.go).
package gossip
