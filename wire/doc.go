// Package wire holds Akutan's wire protocol: the gRPC services of the log,
// view and api roles, and the protobuf format of log entries.
//
// The Go code is generated from akutan.proto and committed; regenerate it
// with `go generate ./wire` (needs protoc, protoc-gen-go and
// protoc-gen-go-grpc on PATH).
//
// limits.go holds the message size limits every gRPC server and client of
// the cluster uses, and the Chunker that cuts streams at ChunkBytes;
// apierror.go explains a failed call to an API server for a person
// (APIError), for the command line and the bulk loader alike.
package wire

// Each area keeps its own .proto file in this package (akutan.proto for the
// core services and log entries; others for later services); all are
// generated together.
//
//go:generate sh -c "protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative *.proto"
