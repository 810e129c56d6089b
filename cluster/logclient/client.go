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
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
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
	hedgeDelay     time.Duration
	readSilence    time.Duration
	preferredDC    string
}

// WithDialOptions adds gRPC dial options (after the defaults: insecure
// transport, 64 MB messages, keepalive), e.g. transport credentials.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOpts = append(o.dialOpts, opts...) }
}

// WithAttemptTimeout bounds each attempt of a call on one replica before
// failing over (default 5 s; at most half the time the caller's context
// has left).
func WithAttemptTimeout(d time.Duration) Option {
	return func(o *options) { o.attemptTimeout = d }
}

// WithHedgeDelay sets how long Append and Info wait for one replica before
// also asking the next (default 500 ms; less when the caller's context has
// too little time left to wait that long for each replica).
func WithHedgeDelay(d time.Duration) Option {
	return func(o *options) { o.hedgeDelay = d }
}

// WithReadSilence sets how long a Read stream may deliver nothing, not even
// a heartbeat, before the client checks that its replica still answers
// and, if it does not, resumes on another (default 1 s).
func WithReadSilence(d time.Duration) Option {
	return func(o *options) { o.readSilence = d }
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
	// suspectUntil is, by replica, until when (UnixNano) it is tried
	// after the others, having failed or been overtaken by another; 0 if
	// it is not suspect. Past that time it is checked (rechecking).
	suspectUntil []atomic.Int64
	rechecking   []atomic.Bool
	// lastDiscover is when discovery last ran (UnixNano).
	lastDiscover atomic.Int64
	// life ends when the client closes; background work runs under it.
	life    context.Context
	endLife context.CancelFunc

	sessions sessionPool
	close    sync.Once

	streamMu sync.Mutex
	streams  []streamSlot // by replica
	closed   bool
	wg       sync.WaitGroup // stream and discovery goroutines
}

// New returns a client for the replicas at addrs (gRPC host:port). It does
// not connect yet.
func New(addrs []string, opts ...Option) (*Client, error) {
	if len(addrs) == 0 {
		return nil, errors.New("creating log client: no replica addresses")
	}
	o := options{attemptTimeout: defaultAttemptTimeout, hedgeDelay: defaultHedgeDelay, readSilence: defaultReadSilence}
	for _, opt := range opts {
		opt(&o)
	}
	n := len(addrs)
	c := &Client{opts: o, addrs: append([]string(nil), addrs...), ids: make([]atomic.Uint64, n),
		dcs: make([]atomic.Pointer[string], n), suspectUntil: make([]atomic.Int64, n), rechecking: make([]atomic.Bool, n), streams: make([]streamSlot, n)}
	c.life, c.endLife = context.WithCancel(context.Background())
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
		c.endLife()
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
	c.discover(ctx, false)
	reply, err := retry(ctx, c, policy{toLeader: true, hedge: true}, func(ctx context.Context, i int) (*wire.AppendReply, error) {
		// Each attempt has its own request: attempts run concurrently,
		// and each tells its replica its own deadline.
		req := &wire.AppendRequest{Entries: entries, ClientId: s.id, Seq: s.seq}
		return c.appendOnStream(ctx, i, req)
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
	reply, err := retry(ctx, c, policy{hedge: true}, func(ctx context.Context, i int) (*wire.InfoReply, error) {
		return c.logs[i].Info(ctx, &wire.InfoRequest{Linearizable: linearizable})
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

// order is the order in which to try the replicas: the leader first when
// toLeader and it is known; otherwise from the last replica that answered,
// those in the preferred datacenter before the others; suspect replicas
// after all others.
func (c *Client) order(toLeader bool) []int {
	start := int(c.cur.Load())
	if l := c.leader.Load(); toLeader && l >= 0 {
		start = int(l)
	}
	n := len(c.addrs)
	now := time.Now()
	out := make([]int, 0, n)
	var far, suspect []int
	for k := 0; k < n; k++ {
		i := (start + k) % n
		switch {
		case c.suspect(i, now):
			suspect = append(suspect, i)
		case toLeader && k == 0 || c.inPreferredDC(i):
			out = append(out, i)
		default:
			far = append(far, i)
		}
	}
	return append(append(out, far...), suspect...)
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
	c.discover(ctx, true)
}

// discover learns which address serves the leader and each replica's ID
// and datacenter, asking every replica's Info concurrently: at most once a
// second while the leader is unknown, every 10 s otherwise. It runs in the
// background, so that a replica that does not answer delays no call; with
// wait, the caller waits for it (no longer than ctx allows).
func (c *Client) discover(ctx context.Context, wait bool) {
	if len(c.addrs) == 1 && c.opts.preferredDC == "" || !c.discoveryDue() {
		return
	}
	done := make(chan struct{})
	if !c.goBackground(func() {
		defer close(done)
		c.askAll()
	}) {
		return
	}
	if wait {
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
}

// discoveryDue reports whether discovery should run now, and if so records
// that it does.
func (c *Client) discoveryDue() bool {
	every := rediscoverEvery
	if c.leader.Load() >= 0 {
		every = refreshLeaderEvery
	}
	now := time.Now().UnixNano()
	last := c.lastDiscover.Load()
	return now-last >= int64(every) && c.lastDiscover.CompareAndSwap(last, now)
}

// goBackground runs fn in a goroutine that Close waits for, unless the
// client is closed already.
func (c *Client) goBackground(fn func()) bool {
	c.streamMu.Lock()
	defer c.streamMu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		fn()
	}()
	return true
}

// askAll asks every replica's Info (not through Raft) and records each
// replica's ID and datacenter, and as the leader a replica that answered
// itself and that an answer names: one that does not answer is no leader
// to send appends to, whatever the others still believe. Failures leave
// what they would have told unknown.
func (c *Client) askAll() {
	ctx, cancel := context.WithTimeout(c.life, discoverTimeout)
	defer cancel()
	var mu sync.Mutex
	answered := make([]bool, len(c.addrs))
	named := make(map[uint64]bool) // leader IDs in the answers so far
	var wg sync.WaitGroup
	for i := range c.addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			info, err := c.logs[i].Info(ctx, &wire.InfoRequest{})
			if err != nil {
				return
			}
			c.ids[i].Store(info.ReplicaId)
			dc := info.Dc
			c.dcs[i].Store(&dc)
			mu.Lock()
			defer mu.Unlock()
			answered[i] = true
			if info.LeaderId != 0 {
				named[info.LeaderId] = true
			}
			c.learnLeader(answered, named)
		}()
	}
	wg.Wait()
}

// learnLeader records as the leader the first replica that answered and
// is named leader.
func (c *Client) learnLeader(answered []bool, named map[uint64]bool) {
	for i, ok := range answered {
		if ok && named[c.ids[i].Load()] {
			c.leader.Store(int64(i))
			return
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
