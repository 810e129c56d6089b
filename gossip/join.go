package gossip

import (
	"context"
	"fmt"
	"net"
	"time"
)

// peers returns the join addresses other than this node's own.
func (n *Node) peers(join []string, bindIP net.IP) []string {
	self := n.ml.LocalNode()
	var out []string
	for _, addr := range join {
		if isSelf(addr, bindIP, self.Addr, int(self.Port)) {
			continue
		}
		out = append(out, addr)
	}
	return out
}

// isSelf reports whether addr names this node's gossip address: the same
// port and either the advertised or bound IP, or, when the node listens on
// all interfaces, a loopback or unspecified IP.
func isSelf(addr string, bindIP, advertiseIP net.IP, port int) bool {
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil || tcp.Port != port {
		return false
	}
	if tcp.IP.Equal(advertiseIP) || tcp.IP.Equal(bindIP) {
		return true
	}
	return bindIP.IsUnspecified() && (tcp.IP.IsLoopback() || tcp.IP.IsUnspecified())
}

// joinLoop tries to join peers every joinRetryInterval until one accepts or
// ctx ends, and then closes n.joined. It keeps trying even when other nodes
// have joined this one: they may form a pool apart from the configured peers.
func (n *Node) joinLoop(ctx context.Context, peers []string) {
	defer n.wg.Done()
	var lastWarn time.Time
	for attempt := 1; ; attempt++ {
		err := n.joinOnce(ctx, peers)
		if err == nil {
			// After failed attempts (warned about), say so; otherwise the
			// membership summary tells.
			ev := n.log.Debug()
			if attempt > 1 {
				ev = n.log.Info()
			}
			ev.Int("members", n.ml.NumMembers()).Int("attempts", attempt).Msg("gossip joined")
			close(n.joined)
			return
		}
		if ctx.Err() != nil {
			return
		}
		ev := n.log.Debug()
		if time.Since(lastWarn) >= joinWarnInterval {
			ev, lastWarn = n.log.Warn(), time.Now()
		}
		ev.Err(err).Strs("peers", peers).Int("attempts", attempt).
			Msg("gossip: cannot join any peer yet; retrying every second")
		select {
		case <-ctx.Done():
			return
		case <-time.After(joinRetryInterval):
		}
	}
}

// joinOnce tries each peer in turn and returns nil once one accepts. Its
// error explains, per peer, the likely reason for failure: memberlist only
// reports a bare EOF when the peer drops us for a different cluster label or
// a missing key, so it first checks whether the peer is reachable at all.
func (n *Node) joinOnce(ctx context.Context, peers []string) error {
	var errs error
	for _, peer := range peers {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := probe(ctx, peer); err != nil {
			errs = appendErr(errs, fmt.Errorf("%s is unreachable (peer down or wrong address?): %w", peer, err))
			continue
		}
		if _, err := n.ml.Join([]string{peer}); err != nil {
			var why string
			if n.tls {
				why = "a different --cluster label or --gossip-key on either side, or the peer " +
					"gossips without TLS or refuses this node's certificate (expired, or of another CA)?"
			} else {
				why = "a different --cluster label or --gossip-key on either side, " +
					"or the peer gossips over TLS (--tls-cert, --tls-key, --tls-ca) and this node does not?"
			}
			errs = appendErr(errs, fmt.Errorf("%s is reachable but refused the join (%s): %w",
				peer, why, unwrapSingle(err)))
			continue
		}
		return nil
	}
	return errs
}

// appendErr joins errors on one line, unlike errors.Join.
func appendErr(errs, err error) error {
	if errs == nil {
		return err
	}
	return fmt.Errorf("%w; %w", errs, err)
}

// probe checks that a TCP connection to addr can be opened.
func probe(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, joinDialTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return conn.Close()
}

// unwrapSingle returns the only error inside a multi-error such as
// memberlist.Join returns, whose own text spans several lines.
func unwrapSingle(err error) error {
	if multi, ok := err.(interface{ WrappedErrors() []error }); ok {
		if inner := multi.WrappedErrors(); len(inner) == 1 {
			return inner[0]
		}
	}
	return err
}
