// Package wire holds Akutan's wire protocol: the gRPC services of the log,
// view and api roles, and the protobuf format of log entries.
//
// The Go code is generated from akutan.proto and committed; regenerate it
// with `go generate ./wire` (needs protoc, protoc-gen-go and
// protoc-gen-go-grpc on PATH).
package wire

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative akutan.proto
