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
	streamWindow    = 4 << 20
	connWindow      = 16 << 20
	minBackoff      = 10 * time.Millisecond
	maxBackoff      = time.Second
	discoverTimeout = time.Second
	rediscoverEvery = time.Second // while the leader is unknown
	// refreshLeaderEvery is also how soon a client hears of a new replica
	// or a removed one: an operator replacing replicas one after another
	// must leave clients that long between steps (docs/operations.md).
	refreshLeaderEvery = 2 * time.Second // while it is known
)

// Option configures a Client.
type Option func(*options)

type options struct {
	dialOpts       []grpc.DialOption
	attemptTimeout time.Duration
	hedgeDelay     time.Duration
	readSilence    time.Duration
	preferredDC    string
	inProcess      func(addr string) grpc.ClientConnInterface
}

// WithInProcess makes the client call the replicas that inProcess knows
// by address in this process, without a connection: inProcess returns
// nil for the others. `akutan local` runs its log replicas beside its
// API server and views, and a call over loopback gRPC spent about as
// long in system calls, HTTP/2 framing and goroutine hand-offs as the
// replica did answering it.
func WithInProcess(inProcess func(addr string) grpc.ClientConnInterface) Option {
	return func(o *options) { o.inProcess = inProcess }
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

// replica is one log replica the client talks to. A Client's set of
// replicas changes as the log's membership does (see follow); a replica
// that leaves the set keeps its connection for a while, so that calls
// under way on it end normally.
type replica struct {
	addr string
	conn *grpc.ClientConn
	log  wire.LogClient

	id atomic.Uint64          // its replica ID, 0 until it answers Info
	dc atomic.Pointer[string] // its datacenter, nil until it answers Info
	// suspectUntil is until when (UnixNano) it is tried after the others,
	// having failed or been overtaken by another; 0 if it is not suspect.
	// Past that time it is checked (rechecking).
	suspectUntil atomic.Int64
	rechecking   atomic.Bool
	// stream is its AppendStream; guarded by Client.streamMu.
	stream streamSlot
	// seed is true for the addresses the client was created with.
	seed bool
}

// Client talks to the log replicas. It is safe for concurrent use.
type Client struct {
	opts     options
	dialOpts []grpc.DialOption

	// set is the current replicas; a new slice replaces it when the
	// membership changes (follow), so a call works on one snapshot.
	set    atomic.Pointer[[]*replica]
	cur    atomic.Pointer[replica] // the replica calls start with
	leader atomic.Pointer[replica] // the leader's replica, nil if unknown
	// lastDiscover is when discovery last ran (UnixNano).
	lastDiscover atomic.Int64
	// life ends when the client closes; background work runs under it.
	life    context.Context
	endLife context.CancelFunc

	// known is the highest index this client has seen the log reach: a
	// linearizable read's last index or an append's last index.
	known atomic.Uint64

	sessions sessionPool
	close    sync.Once

	streamMu sync.Mutex // guards each replica's stream, closed and retired
	closed   bool
	retired  []*replica     // left the set; closed by retireAfter or Close
	wg       sync.WaitGroup // stream, discovery and retirement goroutines
}

// New returns a client for the replicas at addrs (gRPC host:port): the
// seeds. It does not connect yet. Once a replica answers, the client
// follows the log's membership: replicas added later are used, removed
// ones dropped (see follow).
func New(addrs []string, opts ...Option) (*Client, error) {
	if len(addrs) == 0 {
		return nil, errors.New("creating log client: no replica addresses")
	}
	o := options{attemptTimeout: defaultAttemptTimeout, hedgeDelay: defaultHedgeDelay, readSilence: defaultReadSilence}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Client{opts: o}
	c.life, c.endLife = context.WithCancel(context.Background())
	c.dialOpts = append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		wire.CallOptions(),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.WithInitialWindowSize(streamWindow),
		grpc.WithInitialConnWindowSize(connWindow),
	}, o.dialOpts...)
	set := make([]*replica, 0, len(addrs))
	for _, addr := range addrs {
		r, err := c.dial(addr)
		if err != nil {
			for _, r := range set {
				_ = r.conn.Close()
			}
			return nil, err
		}
		r.seed = true
		set = append(set, r)
	}
	c.set.Store(&set)
	c.cur.Store(set[rand.IntN(len(set))])
	c.goBackground(c.runDiscovery)
	return c, nil
}

// runDiscovery runs discovery on its schedule (see discover) until the
// client closes, so that an idle client follows the membership too: once
// every replica it knows has been replaced, it could not learn of the new
// ones.
func (c *Client) runDiscovery() {
	t := time.NewTicker(rediscoverEvery)
	defer t.Stop()
	for {
		select {
		case <-c.life.Done():
			return
		case <-t.C:
			if c.discoveryDue() {
				c.askAll()
			}
		}
	}
}

// dial creates a replica for addr; gRPC connects on first use.
func (c *Client) dial(addr string) (*replica, error) {
	conn, err := grpc.NewClient(addr, c.dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("creating log client for %s: %w", addr, err)
	}
	r := &replica{addr: addr, conn: conn, log: wire.NewLogClient(conn)}
	if c.opts.inProcess != nil {
		if ch := c.opts.inProcess(addr); ch != nil {
			r.log = wire.NewLogClient(ch)
		}
	}
	return r, nil
}

// replicas returns the current set of replicas (do not modify it).
func (c *Client) replicas() []*replica { return *c.set.Load() }

// Addrs returns the gRPC addresses of the replicas the client uses now.
func (c *Client) Addrs() []string {
	set := c.replicas()
	out := make([]string, len(set))
	for i, r := range set {
		out[i] = r.addr
	}
	return out
}

// Close closes the connections. Calls in progress fail.
func (c *Client) Close() {
	c.close.Do(func() {
		c.endLife()
		c.closeStreams()
		c.streamMu.Lock()
		all := append(append([]*replica(nil), c.replicas()...), c.retired...)
		c.streamMu.Unlock()
		for _, r := range all {
			_ = r.conn.Close()
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
	reply, err := retry(ctx, c, policy{toLeader: true, hedge: true}, func(ctx context.Context, r *replica) (*wire.AppendReply, error) {
		// Each attempt has its own request: attempts run concurrently,
		// and each tells its replica its own deadline.
		req := &wire.AppendRequest{Entries: entries, ClientId: s.id, Seq: s.seq}
		return c.appendOnStream(ctx, r, req)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("appending %d entries to log: %w", len(entries), err)
	}
	c.noteIndex(reply.LastIndex)
	return reply.FirstIndex, reply.LastIndex, nil
}

// Info returns a replica's view of the log; with linearizable set, its
// LastIndex is confirmed through Raft.
func (c *Client) Info(ctx context.Context, linearizable bool) (*wire.InfoReply, error) {
	c.learnDCs(ctx)
	// A linearizable read is confirmed by the leader: asked first, it
	// answers after one heartbeat round, where a follower would first
	// forward the read to it and wait for its reply.
	reply, err := retry(ctx, c, policy{toLeader: linearizable, hedge: true}, func(ctx context.Context, r *replica) (*wire.InfoReply, error) {
		return r.log.Info(ctx, &wire.InfoRequest{Linearizable: linearizable})
	})
	if err != nil {
		return nil, fmt.Errorf("getting log info: %w", err)
	}
	if linearizable {
		c.noteIndex(reply.LastIndex)
	}
	return reply, nil
}

// KnownIndex is the highest index this client has seen the log reach, by
// an append or a linearizable read; 0 before either. The log's last index
// is at least this, but may be higher: other clients append too.
func (c *Client) KnownIndex() uint64 { return c.known.Load() }

func (c *Client) noteIndex(index uint64) {
	for {
		old := c.known.Load()
		if index <= old || c.known.CompareAndSwap(old, index) {
			return
		}
	}
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
func (c *Client) order(toLeader bool) []*replica {
	set := c.replicas()
	startAt := c.cur.Load()
	if l := c.leader.Load(); toLeader && l != nil {
		startAt = l
	}
	start := 0
	for i, r := range set {
		if r == startAt {
			start = i
		}
	}
	n := len(set)
	now := time.Now()
	out := make([]*replica, 0, n)
	var far, suspect []*replica
	for k := 0; k < n; k++ {
		r := set[(start+k)%n]
		switch {
		case c.suspect(r, now):
			suspect = append(suspect, r)
		case toLeader && k == 0 || c.inPreferredDC(r):
			out = append(out, r)
		default:
			far = append(far, r)
		}
	}
	return append(append(out, far...), suspect...)
}

// inPreferredDC reports whether replica r is known to be in the preferred
// datacenter.
func (c *Client) inPreferredDC(r *replica) bool {
	dc := r.dc.Load()
	return c.opts.preferredDC != "" && dc != nil && *dc == c.opts.preferredDC
}

// learnDCs runs discovery if a datacenter is preferred and no replica's is
// known yet (at most once a second).
func (c *Client) learnDCs(ctx context.Context) {
	if c.opts.preferredDC == "" {
		return
	}
	for _, r := range c.replicas() {
		if r.dc.Load() != nil {
			return
		}
	}
	c.discover(ctx, true)
}

// discover learns which address serves the leader, each replica's ID and
// datacenter, and the log's membership, asking every replica's Info
// concurrently: at most once a second while the leader is unknown, every
// 10 s otherwise. It runs in the background, so that a replica that does
// not answer delays no call; with wait, the caller waits for it (no
// longer than ctx allows).
func (c *Client) discover(ctx context.Context, wait bool) {
	if !c.discoveryDue() {
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
	if c.leader.Load() != nil {
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
// to send appends to, whatever the others still believe. The membership
// the leader reports is then followed (see follow). Failures leave what
// they would have told unknown.
func (c *Client) askAll() {
	ctx, cancel := context.WithTimeout(c.life, discoverTimeout)
	defer cancel()
	set := c.replicas()
	var mu sync.Mutex
	answered := make([]bool, len(set))
	named := make(map[uint64]bool)          // leader IDs in the answers so far
	var fromLeader, fromAny *wire.InfoReply // a leader's answer, any answer
	var wg sync.WaitGroup
	for i, r := range set {
		wg.Add(1)
		go func() {
			defer wg.Done()
			info, err := r.log.Info(ctx, &wire.InfoRequest{})
			if err != nil {
				return
			}
			r.id.Store(info.ReplicaId)
			dc := info.Dc
			r.dc.Store(&dc)
			mu.Lock()
			defer mu.Unlock()
			answered[i] = true
			if info.LeaderId != 0 {
				named[info.LeaderId] = true
			}
			if info.LeaderId != 0 && info.LeaderId == info.ReplicaId {
				fromLeader = info
			}
			fromAny = info
			c.learnLeader(set, answered, named)
		}()
	}
	wg.Wait()
	switch {
	case fromLeader != nil:
		c.follow(fromLeader.Members, true)
	case fromAny != nil:
		// A follower may be behind, or removed and not know it: its
		// members are only added, so that a client that knows no leader
		// (say, one seed that is a follower) finds one.
		c.follow(fromAny.Members, false)
	}
}

// learnLeader records as the leader the first replica that answered and
// is named leader.
func (c *Client) learnLeader(set []*replica, answered []bool, named map[uint64]bool) {
	for i, ok := range answered {
		if ok && named[set[i].id.Load()] {
			c.leader.Store(set[i])
			return
		}
	}
}

// retireGrace is how long a replica that left the set keeps its
// connection, for the calls under way on it.
const retireGrace = 30 * time.Second

// follow makes the set of replicas the log's membership, as a replica
// reported it: the replicas the client knows that are members, or have
// not answered yet (a seed that was down), and the recorded gRPC address
// of every other member. When the report is a leader's (authoritative),
// a replica that answered as a non-member has been removed and is
// dropped; otherwise members are only added. A log of an older release
// records no addresses; then the set is left as it is.
func (c *Client) follow(members []*wire.Member, authoritative bool) {
	recorded := make(map[uint64]string, len(members))
	isMember := make(map[uint64]bool, len(members))
	for _, m := range members {
		isMember[m.Id] = true
		if m.GrpcAddr != "" {
			recorded[m.Id] = m.GrpcAddr
		}
	}
	if len(recorded) == 0 {
		return
	}
	c.streamMu.Lock()
	defer c.streamMu.Unlock()
	if c.closed {
		return
	}
	old := c.replicas()
	next := make([]*replica, 0, len(members)+len(old))
	have := make(map[string]bool, len(old))    // addresses in next
	present := make(map[uint64]bool, len(old)) // member IDs in next
	var gone []*replica
	for _, r := range old {
		id := r.id.Load()
		if authoritative && id != 0 && !isMember[id] {
			gone = append(gone, r)
			continue
		}
		next = append(next, r)
		have[r.addr], present[id] = true, true
	}
	for _, m := range members {
		addr := recorded[m.Id]
		if addr == "" || present[m.Id] || have[addr] {
			continue
		}
		r, err := c.dial(addr)
		if err != nil {
			continue
		}
		next = append(next, r)
		have[addr] = true
	}
	if len(next) == 0 || len(gone) == 0 && len(next) == len(old) {
		return
	}
	c.set.Store(&next)
	for _, r := range gone {
		c.leader.CompareAndSwap(r, nil)
	}
	if len(gone) > 0 {
		c.retired = append(c.retired, gone...)
		c.wg.Add(1)
		go c.retireAfter(gone)
	}
}

// retireAfter closes the streams and connections of replicas that left
// the set, after retireGrace or when the client closes.
func (c *Client) retireAfter(gone []*replica) {
	defer c.wg.Done()
	t := time.NewTimer(retireGrace)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.life.Done():
		return // Close closes them
	}
	c.streamMu.Lock()
	for _, r := range gone {
		r.stream.stop()
		for i, q := range c.retired {
			if q == r {
				c.retired = append(c.retired[:i], c.retired[i+1:]...)
				break
			}
		}
	}
	c.streamMu.Unlock()
	for _, r := range gone {
		_ = r.conn.Close()
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
