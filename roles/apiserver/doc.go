// Package apiserver is the api role: a stateless server that appends writes
// to the log and answers queries by fanning lookups out to the views it
// finds through gossip. It serves gRPC (wire.API) and HTTP (/v1/query,
// /v1/insert, /healthz, /metrics).
package apiserver
