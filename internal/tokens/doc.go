// Package tokens authenticates API clients by bearer token and authorizes
// them by role.
//
// A token is a random string a client sends as "authorization: Bearer
// TOKEN" (gRPC metadata or an HTTP header). The server never stores it:
// its tokens file (--tokens FILE) holds one line per token,
//
//	sha256:<hex of SHA-256 of the token> <role> [<name>]
//
// with blank lines and lines starting with # ignored. The role is read,
// write or admin; each includes the ones before it. The name only labels
// the token in logs and errors. New mints a token and its line (what
// `akutan ctl token` prints).
//
// A presented token is hashed and compared with every line in constant
// time (crypto/subtle), so neither the answer nor its timing says which
// line was close. The file is re-read when its modification time changes
// (looked at most once a second), so adding or revoking a token needs no
// restart; a file that fails to parse is logged and the previous one
// kept.
//
// Store.UnaryInterceptor, StreamInterceptor and Handler enforce a policy
// (which role each gRPC method or HTTP request needs) before the request
// reaches the service: a refused request does nothing. Without a token
// the answer is gRPC Unauthenticated / HTTP 401; with a token whose role
// is too low, PermissionDenied / 403; each says what was missing.
package tokens
