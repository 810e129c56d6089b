package apiserver

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/query/planner"
	"github.com/akutan-dev/akutan/wire"
)

// Statistics refresh: every statsRefresh, and within statsPoll of a view
// advertising new statistics (gossip.Meta.StatsIndex: views rescan after
// a burst of writes) or while some range has none (views may still be
// starting).
const (
	statsRefresh = 30 * time.Second
	statsPoll    = time.Second
	statsTimeout = 5 * time.Second
	// statsQueryWait bounds how long a query waits for statistics while
	// they are incomplete; statsQueryRetry is how often queries fetch them
	// then.
	statsQueryWait  = time.Second
	statsQueryRetry = 250 * time.Millisecond
)

// statsCache fetches the views' statistics in the background and keeps
// the merged result for the planner. Until it has statistics for every
// range that gossip shows, it refreshes every statsPoll, and a query
// planned meanwhile fetches them first (at most one such fetch runs, and
// at most one per statsQueryRetry): right after a restart the first
// queries are planned like the ones a minute later, not blind or on half
// the ranges. Views serve their last saved statistics from the moment
// they start.
type statsCache struct {
	s      *Server
	cur    atomic.Pointer[fetchedStats]
	ctx    context.Context
	cancel context.CancelFunc

	mu    sync.Mutex
	conns map[string]*grpc.ClientConn

	fetchMu   sync.Mutex // held by the one fetch a query waits for
	lastFetch time.Time  // when that fetch last ran; guarded by fetchMu
}

// fetchedStats is one fetch's merged statistics, and whether every range
// in gossip answered.
type fetchedStats struct {
	st       *planner.Stats
	complete bool
}

// startStats starts the refresh loop, owned by the server: close stops it
// and Stop waits for it.
func (s *Server) startStats() *statsCache {
	ctx, cancel := context.WithCancel(context.Background())
	c := &statsCache{s: s, ctx: ctx, cancel: cancel, conns: map[string]*grpc.ClientConn{}}
	s.goRun(func() { c.run(ctx) })
	return c
}

// get returns the latest statistics, or nil. While they are incomplete,
// it fetches them first (see statsCache).
func (c *statsCache) get() *planner.Stats {
	if f := c.cur.Load(); f.isComplete() {
		return f.stats()
	}
	c.fetchMu.Lock()
	defer c.fetchMu.Unlock()
	if f := c.cur.Load(); f.isComplete() || time.Since(c.lastFetch) < statsQueryRetry {
		return f.stats()
	}
	c.lastFetch = time.Now()
	ctx, cancel := context.WithTimeout(c.ctx, statsQueryWait)
	defer cancel()
	c.store(c.fetch(ctx))
	return c.cur.Load().stats()
}

// stats returns f's statistics; nil for a nil f.
func (f *fetchedStats) stats() *planner.Stats {
	if f == nil {
		return nil
	}
	return f.st
}

// isComplete reports whether f covers every range; false for a nil f.
func (f *fetchedStats) isComplete() bool { return f != nil && f.complete }

// store keeps st unless it is nil, or incomplete while complete
// statistics are kept.
func (c *statsCache) store(st *planner.Stats, complete bool) {
	if st == nil {
		return
	}
	for {
		old := c.cur.Load()
		if old.isComplete() && !complete {
			return
		}
		if c.cur.CompareAndSwap(old, &fetchedStats{st: st, complete: complete}) {
			return
		}
	}
}

func (c *statsCache) close() {
	c.cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	for addr, conn := range c.conns {
		conn.Close()
		delete(c.conns, addr)
	}
}

func (c *statsCache) run(ctx context.Context) {
	var (
		fetched time.Time
		version uint64
	)
	for {
		if v := c.viewStatsVersion(); !c.cur.Load().isComplete() || v != version || time.Since(fetched) >= statsRefresh {
			st, complete := c.fetch(ctx)
			c.store(st, complete)
			fetched, version = time.Now(), v
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(statsPoll):
		}
	}
}

// viewStatsVersion changes whenever a serving view advertises new
// statistics (or views come and go): the sum of their StatsIndex.
func (c *statsCache) viewStatsVersion() uint64 {
	var v uint64
	for _, m := range c.s.gossip.Members() {
		if m.Meta.Role == "view" && m.Meta.Serving {
			v += m.Meta.StatsIndex
		}
	}
	return v
}

// fetch asks every serving view for its statistics; views that fail are
// skipped (the merge needs only one replica per range). complete reports
// whether the views that answered cover the whole hash space of each
// space that has views in gossip.
func (c *statsCache) fetch(ctx context.Context) (st *planner.Stats, complete bool) {
	var replies []*wire.StatsReply
	answered := map[string][]space.Range{}
	for _, m := range c.s.gossip.Members() {
		if m.Meta.Role != "view" {
			continue
		}
		if _, ok := answered[m.Meta.Space]; !ok {
			answered[m.Meta.Space] = nil
		}
		if !m.Meta.Serving {
			continue
		}
		reply, err := c.ask(ctx, m.Meta.GRPCAddr)
		if err != nil {
			c.s.log.Debug().Err(err).Str("view", m.Meta.GRPCAddr).Msg("fetching view statistics")
			continue
		}
		if reply.Ready {
			answered[reply.Space] = append(answered[reply.Space], space.Range{Start: reply.RangeStart, End: reply.RangeEnd})
		}
		replies = append(replies, reply)
	}
	complete = len(answered) > 0
	for _, ranges := range answered {
		complete = complete && len(space.Uncovered(ranges)) == 0
	}
	return planner.NewStats(replies), complete
}

func (c *statsCache) ask(ctx context.Context, addr string) (*wire.StatsReply, error) {
	conn, err := c.conn(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, statsTimeout)
	defer cancel()
	return wire.NewViewStatsClient(conn).Stats(ctx, &wire.StatsRequest{})
}

func (c *statsCache) conn(addr string) (*grpc.ClientConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if conn := c.conns[addr]; conn != nil {
		return conn, nil
	}
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()), wire.CallOptions()},
		c.s.cfg.PeerTLS.DialOptions()...)...)
	if err != nil {
		return nil, err
	}
	c.conns[addr] = conn
	return conn, nil
}
