// Package rolekit is what every role server (log, view, api) sets up the
// same way: a gRPC listener and server, an optional HTTP listener (the
// role's own handler, or GET /metrics), a gossip node advertising the
// role's Meta and keeping it fresh, and a shutdown in order.
//
// A server starts in two steps, so that a role can build what its services
// need from the listeners' addresses and the gossip node before any request
// arrives: Listen binds the listeners and joins gossip; Serve registers the
// role's services and starts serving. Stop undoes both in the order that
// loses the fewest requests: it stops advertising, leaves gossip (peers
// stop routing to the server at once), shuts the HTTP server down, lets
// in-flight RPCs finish for Config.GracePeriod, and returns once every
// goroutine it started has ended. What a role owns besides (a Raft node, a
// store) it stops itself, after Stop.
//
// With Config.TLS set, both the gRPC and the HTTP listener speak mutual
// TLS only (internal/tlsconfig): a peer without a certificate signed by
// the CA is refused during the handshake, before any request is read,
// and the refusal is logged with its reason. Gossip is not TLS: it is
// protected by the gossip key only.
package rolekit
