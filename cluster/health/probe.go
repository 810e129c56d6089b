package health

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/akutan-dev/akutan/gossip"
)

const (
	// probeTimeout bounds one connection attempt to a view. Connecting is
	// answered by the kernel, not the server process, so a busy server
	// still connects quickly; a crashed one refuses at once.
	probeTimeout = time.Second
	// probeParallelism bounds the connection attempts in flight.
	probeParallelism = 32
)

// probeViews tries to connect to the gRPC address of every view member and
// returns why it failed, by member name, for those that cannot be reached.
// Gossip needs several seconds to declare a crashed server dead; a
// connection refused tells at once that a view is no longer available.
// (A hung server still accepts connections: that is left to gossip.)
func probeViews(ctx context.Context, members []gossip.Member) map[string]string {
	var mu sync.Mutex
	failed := map[string]string{}
	sem := make(chan struct{}, probeParallelism)
	var wg sync.WaitGroup
	for _, m := range members {
		if m.Meta.Role != "view" || m.Meta.GRPCAddr == "" {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := probe(ctx, m.Meta.GRPCAddr); err != nil {
				mu.Lock()
				failed[m.Name] = err.Error()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return failed
}

// probe opens and closes a TCP connection to addr.
func probe(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return conn.Close()
}
