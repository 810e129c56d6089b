package apiserver

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/query/planner"
	"github.com/akutan-dev/akutan/wire"
)

// Statistics refresh: every statsRefresh once some are known; every
// statsRetry until then (views may still be starting).
const (
	statsRefresh = 30 * time.Second
	statsRetry   = 2 * time.Second
	statsTimeout = 5 * time.Second
)

// statsCache fetches the views' statistics in the background and keeps
// the merged result for the planner.
type statsCache struct {
	s      *Server
	cur    atomic.Pointer[planner.Stats]
	cancel context.CancelFunc

	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
}

// startStats starts the refresh loop, owned by the server: close stops it
// and Stop waits for it.
func (s *Server) startStats() *statsCache {
	ctx, cancel := context.WithCancel(context.Background())
	c := &statsCache{s: s, cancel: cancel, conns: map[string]*grpc.ClientConn{}}
	s.goRun(func() { c.run(ctx) })
	return c
}

// get returns the latest statistics, or nil.
func (c *statsCache) get() *planner.Stats { return c.cur.Load() }

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
	for {
		wait := statsRefresh
		if st := c.fetch(ctx); st != nil {
			c.cur.Store(st)
		} else if c.get() == nil {
			wait = statsRetry
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// fetch asks every serving view for its statistics; views that fail are
// skipped (the merge needs only one replica per range).
func (c *statsCache) fetch(ctx context.Context) *planner.Stats {
	var replies []*wire.StatsReply
	for _, m := range c.s.gossip.Members() {
		if m.Meta.Role != "view" || !m.Meta.Serving {
			continue
		}
		reply, err := c.ask(ctx, m.Meta.GRPCAddr)
		if err != nil {
			c.s.log.Debug().Err(err).Str("view", m.Meta.GRPCAddr).Msg("fetching view statistics")
			continue
		}
		replies = append(replies, reply)
	}
	return planner.NewStats(replies)
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
