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
// generated together. akutan.proto also gets vtprotobuf's MarshalVT and
// SizeVT (protoc-gen-go-vtproto, akutan_vtproto.pb.go): the same bytes as
// proto.Marshal without reflection, for the messages built per fact (a
// bulk load's log entries, a lookup's matches). One difference: SizeVT
// counts a oneof member message left nil one byte larger than it is
// written, harmless for chunk budgets; storage/logentry.Encode checks for
// it. The plugins: protoc-gen-go and protoc-gen-go-grpc, and
// `go install github.com/planetscale/vtprotobuf/cmd/protoc-gen-go-vtproto@V`
// with V the vtprotobuf version in go.mod, so that the generated code
// matches its runtime.
//
//go:generate sh -c "protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative *.proto"
//go:generate protoc --go-vtproto_out=. --go-vtproto_opt=paths=source_relative,features=marshal+size akutan.proto
