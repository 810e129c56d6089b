package viewclient

import (
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// Members lists the nodes currently known through gossip.
type Members func() []gossip.Member

// Option configures a Client.
type Option func(*options)

type options struct {
	fanout      fanout.Config
	streamAfter int
	dialOpts    []grpc.DialOption
	inProcess   func(addr string) grpc.ClientConnInterface
}

// WithDialOptions adds gRPC dial options for every view connection (after
// the defaults: plaintext, message limits), e.g. TLS credentials.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOpts = append(o.dialOpts, opts...) }
}

// WithLocalDC names the datacenter the client runs in: views there are
// preferred over equally fresh views elsewhere.
func WithLocalDC(dc string) Option {
	return func(o *options) { o.fanout.LocalDC = dc }
}

// WithHedging turns hedging of slow view calls on (the default) or off.
func WithHedging(on bool) Option {
	return func(o *options) { o.fanout.DisableHedging = !on }
}

// WithRegisterer exports the fanout metrics to reg.
func WithRegisterer(reg prometheus.Registerer) Option {
	return func(o *options) { o.fanout.Registerer = reg }
}

// WithFanoutConfig replaces the whole fanout configuration (options given
// after it still apply on top); tests use it to tune hedge delays.
func WithFanoutConfig(cfg fanout.Config) Option {
	return func(o *options) { o.fanout = cfg }
}

// WithStreamAfter sets how many matches of a view's reply a lookup that
// asks every range holds back: a longer reply is streamed (StreamAfter by
// default; n below 1 means 1). Tests lower it.
func WithStreamAfter(n int) Option {
	return func(o *options) { o.streamAfter = max(n, 1) }
}

// WithInProcess makes the client call the views that inProcess knows
// by address in this process, without a connection: inProcess returns
// nil for the others. `akutan local` runs its views beside its API
// server, and a lookup over loopback gRPC spent most of its time in
// system calls, HTTP/2 framing and goroutine hand-offs.
func WithInProcess(inProcess func(addr string) grpc.ClientConnInterface) Option {
	return func(o *options) { o.inProcess = inProcess }
}

// Client sends lookups to views. It is safe for concurrent use.
type Client struct {
	members     Members
	fanout      *fanout.Fanout
	streamAfter int
	dialOpts    []grpc.DialOption
	inProcess   func(addr string) grpc.ClientConnInterface

	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
}

// New returns a client that finds views through members.
func New(members Members, opts ...Option) (*Client, error) {
	o := options{streamAfter: StreamAfter}
	for _, opt := range opts {
		opt(&o)
	}
	f, err := fanout.New(o.fanout)
	if err != nil {
		return nil, fmt.Errorf("view client: %w", err)
	}
	return &Client{members: members, fanout: f, streamAfter: o.streamAfter, dialOpts: o.dialOpts, inProcess: o.inProcess,
		conns: map[string]*grpc.ClientConn{}}, nil
}

// Close closes all connections.
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for addr, conn := range c.conns {
		conn.Close()
		delete(c.conns, addr)
	}
}

// Stats reports what the client's fanout has done (calls, retries,
// hedges).
func (c *Client) Stats() fanout.Stats { return c.fanout.Stats() }

func (c *Client) view(addr string) (wire.ViewClient, error) {
	if c.inProcess != nil {
		if ch := c.inProcess(addr); ch != nil {
			return wire.NewViewClient(ch), nil
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	conn := c.conns[addr]
	if conn == nil {
		var err error
		conn, err = grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()), wire.CallOptions(),
			grpc.WithConnectParams(viewConnectParams())}, c.dialOpts...)...)
		if err != nil {
			return nil, fmt.Errorf("connecting to view %s: %w", addr, err)
		}
		c.conns[addr] = conn
	}
	return wire.NewViewClient(conn), nil
}

// viewConnectParams bounds the pause between two attempts to reconnect to
// a view that went away to a second: gRPC's default grows to two minutes,
// and while a connection waits, every call on it fails at once, so a view
// back from a restart within seconds would stay unusable for much longer.
func viewConnectParams() grpc.ConnectParams {
	return grpc.ConnectParams{
		Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
		MinConnectTimeout: 5 * time.Second,
	}
}

// failed notes that a call to the view at addr failed. A failure to reach
// it (Unavailable) makes its connection try to reconnect at once rather
// than after its backoff: fanout calls a failed view again only in a later
// round or when no other replica is left, and by then the view may be
// back (restarted) or gone for good, which one attempt finds out.
func (c *Client) failed(addr string, err error) {
	if status.Code(err) != codes.Unavailable {
		return
	}
	c.mu.Lock()
	conn := c.conns[addr]
	c.mu.Unlock()
	if conn != nil {
		conn.ResetConnectBackoff()
	}
}

// Targets returns the serving views of a space.
func (c *Client) Targets(sp space.Space) []fanout.Target {
	var out []fanout.Target
	for _, m := range c.members() {
		if m.Meta.Role != "view" || m.Meta.Space != string(sp) || !m.Meta.Serving || m.Meta.GRPCAddr == "" {
			continue
		}
		out = append(out, fanout.Target{Addr: m.Meta.GRPCAddr, Range: m.Meta.Range(), DC: m.Meta.DC,
			Applied: m.Meta.AppliedIndex, Draining: m.Meta.State == gossip.StateDraining})
	}
	return out
}

// Emit receives one match of lookup number i. Calls are serialized.
type Emit func(i int, f storage.Fact)

type chunkStream interface {
	Recv() (*wire.LookupChunk, error)
}

// drain reads a lookup stream to its end.
func drain(st chunkStream, err error) ([]*wire.Match, error) {
	if err != nil {
		return nil, err
	}
	var all []*wire.Match
	for {
		chunk, err := st.Recv()
		if err != nil {
			if isEOF(err) {
				return all, nil
			}
			return nil, err
		}
		all = append(all, chunk.Matches...)
	}
}

// decode converts a call's matches to facts, checking that each names one
// of the n lookups asked.
func decode(matches []*wire.Match, n int) ([]storage.Fact, error) {
	facts := make([]storage.Fact, len(matches))
	for i, m := range matches {
		if int(m.Lookup) >= n {
			return nil, fmt.Errorf("view answered lookup %d of %d", m.Lookup, n)
		}
		f, err := wire.ToFact(m.Fact)
		if err != nil {
			return nil, fmt.Errorf("view sent a bad fact: %w", err)
		}
		facts[i] = f
	}
	return facts, nil
}
