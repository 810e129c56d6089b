package logclient

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/akutan-dev/akutan/wire"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

// ErrTruncated is returned (wrapped) by Read when the requested index has
// been discarded from the log; test with errors.Is.
var ErrTruncated = errors.New("log truncated")

const (
	defaultAttemptTimeout = 5 * time.Second
	// streamWindow and connWindow are static HTTP/2 flow-control windows.
	// Fixing them turns off gRPC's bandwidth-delay probing, whose PINGs and
	// window updates cost system calls on every few appends (expensive on
	// virtual machines); one window holds a whole typical Append.
	streamWindow       = 4 << 20
	connWindow         = 16 << 20
	minBackoff         = 10 * time.Millisecond
	maxBackoff         = time.Second
	discoverTimeout    = time.Second
	rediscoverEvery    = time.Second      // while the leader is unknown
	refreshLeaderEvery = 10 * time.Second // while it is known
)

// Option configures a Client.
type Option func(*options)

type options struct {
	dialOpts       []grpc.DialOption
	attemptTimeout time.Duration
	preferredDC    string
}

// WithDialOptions adds gRPC dial options (after the defaults: insecure
// transport, 64 MB messages, keepalive), e.g. transport credentials.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOpts = append(o.dialOpts, opts...) }
}

// WithAttemptTimeout bounds each attempt of Append and Info on one replica
// before failing over (default 5 s).
func WithAttemptTimeout(d time.Duration) Option {
	return func(o *options) { o.attemptTimeout = d }
}

// WithPreferredDC makes Read and Info try the replicas in datacenter dc
// first (each replica reports its own in Info), then the others: a view
// reads the log from its own datacenter while one of its replicas is up.
// Appends still go to the leader wherever it is.
func WithPreferredDC(dc string) Option {
	return func(o *options) { o.preferredDC = dc }
}

// Client talks to the log replicas. It is safe for concurrent use.
type Client struct {
	opts  options
	addrs []string
	conns []*grpc.ClientConn
	logs  []wire.LogClient

	cur    atomic.Int64 // index of the replica calls start with
	leader atomic.Int64 // index of the leader's replica, -1 if unknown
	ids    []atomic.Uint64
	dcs    []atomic.Pointer[string] // each replica's datacenter, nil until it answers Info
	// lastDiscover is when discovery last ran (UnixNano).
	lastDiscover atomic.Int64

	sessions sessionPool
	close    sync.Once

	streamMu sync.Mutex
	streams  []streamSlot // by replica
	closed   bool
	wg       sync.WaitGroup // stream goroutines
}

// New returns a client for the replicas at addrs (gRPC host:port). It does
// not connect yet.
func New(addrs []string, opts ...Option) (*Client, error) {
	if len(addrs) == 0 {
		return nil, errors.New("creating log client: no replica addresses")
	}
	o := options{attemptTimeout: defaultAttemptTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Client{opts: o, addrs: append([]string(nil), addrs...), ids: make([]atomic.Uint64, len(addrs)),
		dcs: make([]atomic.Pointer[string], len(addrs)), streams: make([]streamSlot, len(addrs))}
	dialOpts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		wire.CallOptions(),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.WithInitialWindowSize(streamWindow),
		grpc.WithInitialConnWindowSize(connWindow),
	}, o.dialOpts...)
	for _, addr := range c.addrs {
		conn, err := grpc.NewClient(addr, dialOpts...)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("creating log client for %s: %w", addr, err)
		}
		c.conns = append(c.conns, conn)
		c.logs = append(c.logs, wire.NewLogClient(conn))
	}
	c.cur.Store(int64(rand.IntN(len(addrs))))
	c.leader.Store(-1)
	return c, nil
}

// Close closes the connections. Calls in progress fail.
func (c *Client) Close() {
	c.close.Do(func() {
		c.closeStreams()
		for _, conn := range c.conns {
			_ = conn.Close()
		}
	})
}

// Append appends entries contiguously and returns their first and last
// index. A failed Append may or may not have been applied; retries inside
// one call are applied at most once.
func (c *Client) Append(ctx context.Context, entries [][]byte) (first, last uint64, err error) {
	if len(entries) == 0 {
		return 0, 0, errors.New("appending to log: no entries")
	}
	s := c.sessions.get()
	defer c.sessions.put(s)
	s.seq++
	req := &wire.AppendRequest{Entries: entries, ClientId: s.id, Seq: s.seq}
	c.discover(ctx)
	var reply *wire.AppendReply
	err = c.retry(ctx, true, func(ctx context.Context, i int) error {
		var err error
		reply, err = c.appendOnStream(ctx, i, req)
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("appending %d entries to log: %w", len(entries), err)
	}
	return reply.FirstIndex, reply.LastIndex, nil
}

// Info returns a replica's view of the log; with linearizable set, its
// LastIndex is confirmed through Raft.
func (c *Client) Info(ctx context.Context, linearizable bool) (*wire.InfoReply, error) {
	c.learnDCs(ctx)
	var reply *wire.InfoReply
	err := c.retry(ctx, false, func(ctx context.Context, i int) error {
		var err error
		reply, err = c.logs[i].Info(ctx, &wire.InfoRequest{Linearizable: linearizable})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("getting log info: %w", err)
	}
	return reply, nil
}

// LastIndex returns the log's last index, read linearizably.
func (c *Client) LastIndex(ctx context.Context) (uint64, error) {
	info, err := c.Info(ctx, true)
	if err != nil {
		return 0, err
	}
	return info.LastIndex, nil
}

// retry runs call on one replica after another until it succeeds, fails
// with a permanent error, or ctx ends. toLeader starts with the leader;
// otherwise replicas in the preferred datacenter come first.
func (c *Client) retry(ctx context.Context, toLeader bool, call func(ctx context.Context, replica int) error) error {
	var order []int // computed at the first failure: most calls succeed at once
	backoff := minBackoff
	var lastErr error
	for attempt := 0; ; attempt++ {
		i := c.first(toLeader)
		if attempt > 0 {
			if order == nil {
				order = c.order(toLeader)
			}
			i = order[attempt%len(order)]
		}
		actx, cancel := context.WithTimeout(ctx, c.opts.attemptTimeout)
		err := call(actx, i)
		cancel()
		if err == nil {
			c.cur.Store(int64(i))
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (last error from %s: %v)", ctx.Err(), c.addrs[i], err)
		}
		if !retryable(err) {
			return fmt.Errorf("replica %s: %w", c.addrs[i], err)
		}
		lastErr = err
		c.leader.CompareAndSwap(int64(i), -1)
		if (attempt+1)%len(c.addrs) == 0 {
			if err := sleep(ctx, backoff); err != nil {
				return fmt.Errorf("%w (last error: %v)", err, lastErr)
			}
			backoff = min(2*backoff, maxBackoff)
		}
	}
}

// first is the replica a call starts with: order(toLeader)[0].
func (c *Client) first(toLeader bool) int {
	if l := c.leader.Load(); toLeader && l >= 0 {
		return int(l)
	}
	if c.opts.preferredDC == "" || c.inPreferredDC(int(c.cur.Load())) {
		return int(c.cur.Load())
	}
	return c.order(false)[0]
}

// order is the order in which to try the replicas: the leader first when
// toLeader and it is known; otherwise from the last replica that answered,
// those in the preferred datacenter before the others.
func (c *Client) order(toLeader bool) []int {
	start := int(c.cur.Load())
	if l := c.leader.Load(); toLeader && l >= 0 {
		start = int(l)
	}
	n := len(c.addrs)
	near := make([]int, 0, n)
	var far []int
	for k := 0; k < n; k++ {
		i := (start + k) % n
		if toLeader && k == 0 || c.inPreferredDC(i) {
			near = append(near, i)
		} else {
			far = append(far, i)
		}
	}
	return append(near, far...)
}

// inPreferredDC reports whether replica i is known to be in the preferred
// datacenter.
func (c *Client) inPreferredDC(i int) bool {
	dc := c.dcs[i].Load()
	return c.opts.preferredDC != "" && dc != nil && *dc == c.opts.preferredDC
}

// learnDCs runs discovery if a datacenter is preferred and no replica's is
// known yet (at most once a second).
func (c *Client) learnDCs(ctx context.Context) {
	if c.opts.preferredDC == "" {
		return
	}
	for i := range c.dcs {
		if c.dcs[i].Load() != nil {
			return
		}
	}
	c.discover(ctx)
}

// retryable reports whether another attempt (maybe elsewhere) may succeed.
func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.ResourceExhausted,
		codes.Canceled, codes.Unknown, codes.Internal:
		return true
	}
	return false
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// discover learns which address serves the leader and each replica's ID
// and datacenter, asking every replica's Info concurrently: at most once a
// second while the leader is unknown, every 10 s otherwise. Failures leave
// what they would have told unknown.
func (c *Client) discover(ctx context.Context) {
	if len(c.addrs) == 1 && c.opts.preferredDC == "" {
		return
	}
	every := rediscoverEvery
	if c.leader.Load() >= 0 {
		every = refreshLeaderEvery
	}
	now := time.Now().UnixNano()
	last := c.lastDiscover.Load()
	if now-last < int64(every) || !c.lastDiscover.CompareAndSwap(last, now) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	defer cancel()
	var wg sync.WaitGroup
	leaders := make([]uint64, len(c.addrs))
	for i := range c.addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if info, err := c.logs[i].Info(ctx, &wire.InfoRequest{}); err == nil {
				c.ids[i].Store(info.ReplicaId)
				dc := info.Dc
				c.dcs[i].Store(&dc)
				leaders[i] = info.LeaderId
			}
		}()
	}
	wg.Wait()
	for _, l := range leaders {
		for i := range c.ids {
			if l != 0 && c.ids[i].Load() == l {
				c.leader.Store(int64(i))
				return
			}
		}
	}
}

// session is an idempotency key sequence; one Append uses it at a time, so
// the log sees each client_id's seqs in order.
type session struct {
	id  uint64
	seq uint64
}

// sessionPool hands out sessions, creating one per concurrent Append.
type sessionPool struct {
	mu   sync.Mutex
	free []*session
}

func (p *sessionPool) get() *session {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		s := p.free[n-1]
		p.free = p.free[:n-1]
		return s
	}
	return &session{id: rand.Uint64() | 1} // never 0, which disables dedup
}

func (p *sessionPool) put(s *session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free = append(p.free, s)
}
