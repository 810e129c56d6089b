package viewclient

import (
	"fmt"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// Members lists the nodes currently known through gossip.
type Members func() []gossip.Member

// Client sends lookups to views. It is safe for concurrent use.
type Client struct {
	members Members

	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
}

// New returns a client that finds views through members.
func New(members Members) *Client {
	return &Client{members: members, conns: map[string]*grpc.ClientConn{}}
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

func (c *Client) view(addr string) (wire.ViewClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	conn := c.conns[addr]
	if conn == nil {
		var err error
		conn, err = grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, fmt.Errorf("connecting to view %s: %w", addr, err)
		}
		c.conns[addr] = conn
	}
	return wire.NewViewClient(conn), nil
}

// Targets returns the serving views of a space.
func (c *Client) Targets(sp space.Space) []fanout.Target {
	var out []fanout.Target
	for _, m := range c.members() {
		if m.Meta.Role != "view" || m.Meta.Space != string(sp) || !m.Meta.Serving {
			continue
		}
		out = append(out, fanout.Target{Addr: m.Meta.GRPCAddr, Range: space.Range{Start: m.Meta.RangeStart, End: m.Meta.RangeEnd}})
	}
	return out
}

// Emit receives one match of lookup number i. Calls are serialized.
type Emit func(i int, f storage.Fact)

// collector buffers one call's matches and hands them over only when the
// call succeeds, so retried calls never report twice.
type collector struct {
	mu   *sync.Mutex
	emit Emit
}

func (col collector) commit(matches []*wire.Match, positions []int, keep func(storage.Fact) bool) error {
	facts := make([]storage.Fact, len(matches))
	for i, m := range matches {
		f, err := wire.ToFact(m.Fact)
		if err != nil {
			return fmt.Errorf("view sent a bad fact: %w", err)
		}
		if int(m.Lookup) >= len(positions) {
			return fmt.Errorf("view answered lookup %d of %d", m.Lookup, len(positions))
		}
		facts[i] = f
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	for i, m := range matches {
		if keep == nil || keep(facts[i]) {
			col.emit(positions[m.Lookup], facts[i])
		}
	}
	return nil
}

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
