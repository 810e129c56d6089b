// Package tlsconfig turns the --tls-cert, --tls-key and --tls-ca files of
// a role or a client into *tls.Config values for mutual TLS.
//
// Every link is mutual: a server requires a client certificate signed by
// the CA (tls.RequireAndVerifyClientCert) and a client verifies the
// server's certificate against the same CA and presents its own. Nothing
// else is trusted: the system's roots are not consulted.
//
// Rotation needs no restart. The configs do not hold the certificate but a
// Source, whose GetCertificate and GetClientCertificate hooks are called
// for every new handshake; the Source looks at the files' modification
// times (at most once a second) and reloads them when they changed. A pair
// that fails to load (a half-written file) is logged and the previous one
// kept, so a rotation in progress never takes the listener down.
// Connections already established keep the certificate they were made
// with. The CA file is read once, at start.
//
// A handshake the server refuses (no certificate, another CA, expired) is
// logged with crypto/tls's reason; the client sees the refusal as the
// error of its call.
package tlsconfig
