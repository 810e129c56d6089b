package wire

import (
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"
)

// Message sizes. Every gRPC server and client of the cluster takes its
// limits from here, so that a message one side may send the other side
// accepts.
//
// The sizes nest: one streamed message is filled to ChunkBytes; one item
// (a match, a key, a result row, a log entry) may be larger and then goes
// alone, which is safe because a literal is at most
// storage.MaxLiteralBytes (1 MiB), a log entry written through the API at
// most 4 MiB (update.MaxEntryBytes), and both stay far below
// MaxMessageBytes. Client requests to the API server are held to
// MaxRequestBytes, which is also the HTTP body limit.
const (
	// MaxMessageBytes is the largest gRPC message any Akutan server or
	// client sends or accepts between cluster members (gRPC's own
	// default is 4 MiB for receiving).
	MaxMessageBytes = 64 << 20
	// ChunkBytes is the target size of one streamed or batched message:
	// lookup replies, boot load chunks, query result chunks and lookup
	// request batches are cut before they would grow past it. It stays
	// below gRPC's default 4 MiB receive limit, with room for a message's
	// other fields, so that clients with default settings can read every
	// chunk that holds more than one item.
	ChunkBytes = 4<<20 - 64<<10
	// MaxRequestBytes is the largest request a client may send to an API
	// server: a gRPC request message or an HTTP request body. A larger one
	// is refused at once (gRPC ResourceExhausted, HTTP 413) before any of
	// it is read into a parser. It is four log entries' worth, so that a
	// request mostly of facts that already exist, or a delete, may be
	// larger than the entry it becomes.
	MaxRequestBytes = 16 << 20
)

// ServerOptions are the message limits of a gRPC server that cluster
// members call (log replicas, views).
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes)}
}

// APIServerOptions are the message limits of an API server: requests are
// held to MaxRequestBytes, replies to MaxMessageBytes.
func APIServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.MaxRecvMsgSize(MaxRequestBytes), grpc.MaxSendMsgSize(MaxMessageBytes)}
}

// CallOptions are the message limits of a client calling a cluster member.
func CallOptions() grpc.DialOption {
	return grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes))
}

// APICallOptions are the message limits of a client of an API server: a
// request larger than the server accepts fails in the client, without
// being sent.
func APICallOptions() grpc.DialOption {
	return grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxRequestBytes))
}

// RepeatedSize is how many bytes an element of encoded size n adds to a
// repeated message or bytes field (with a field number below 16): the
// tag, the length and the element.
func RepeatedSize(n int) int {
	return protowire.SizeTag(1) + protowire.SizeBytes(n)
}

// Chunker cuts a stream of items into messages of at most ChunkBytes (and,
// if MaxItems is set, at most MaxItems items); an item larger than the
// budget goes alone. The zero value with Bytes 0 uses ChunkBytes.
type Chunker struct {
	Bytes    int // the byte budget of one message; 0: ChunkBytes
	MaxItems int // the item budget of one message; 0: no limit

	items, size int
}

// Fits reports whether an item of encoded size n may join the current
// message: it may if the message is empty or stays within both budgets.
// When it does not fit, the caller sends the message, calls Reset and
// adds the item to the next one.
func (c *Chunker) Fits(n int) bool {
	if c.items == 0 {
		return true
	}
	budget := c.Bytes
	if budget <= 0 {
		budget = ChunkBytes
	}
	return c.size+RepeatedSize(n) <= budget && (c.MaxItems <= 0 || c.items < c.MaxItems)
}

// Add counts an item of encoded size n into the current message.
func (c *Chunker) Add(n int) {
	c.items++
	c.size += RepeatedSize(n)
}

// Full reports whether the current message has used up a budget, so that
// it may as well be sent now.
func (c *Chunker) Full() bool {
	budget := c.Bytes
	if budget <= 0 {
		budget = ChunkBytes
	}
	return c.size >= budget || (c.MaxItems > 0 && c.items >= c.MaxItems)
}

// Reset starts a new, empty message.
func (c *Chunker) Reset() { c.items, c.size = 0, 0 }

// Items is how many items the current message holds.
func (c *Chunker) Items() int { return c.items }
