package gossip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/rs/zerolog"
)

// Member is a live member of the gossip pool, as seen by this node.
type Member struct {
	// Name is the member's unique node name.
	Name string
	// Addr is the member's gossip address (host:port).
	Addr string
	// Meta is what the member last advertised.
	Meta Meta
}

// Node is this server's membership in the gossip pool. Its methods are safe
// for concurrent use.
type Node struct {
	log  zerolog.Logger
	ml   *memberlist.Memberlist
	name string
	addr string
	tls  bool // gossip over mutual TLS (Config.TLS)

	mu          sync.Mutex
	meta        Meta
	metaBytes   []byte
	metaVersion uint64            // bumped by every SetMeta
	advertised  []byte            // this node's meta as memberlist holds it
	members     map[string]Member // other live members, from events
	onDepart    func(m Member, graceful bool)
	changed     chan struct{} // closed at the next membership change

	joined   chan struct{} // closed once joined to at least one peer
	pushNow  chan struct{} // capacity 1: asks pushLoop to advertise meta
	done     chan struct{} // closed to stop the background goroutines
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	haltOnce sync.Once
	// leaveWG counts MarkLeaving's pushes to members, which Stop waits
	// for: they are bounded by memberlist's TCP timeout.
	leaveWG sync.WaitGroup

	summary summary // membership changes not yet logged

	lifeMu  sync.Mutex // guards left and stopped, and orders Leave/Stop
	left    bool
	stopped bool
}

// Start creates a gossip node advertising meta, listening on cfg.BindAddr.
// It returns once listening; joining the addresses in cfg.Join happens in
// the background, retried every second until one of them accepts (see
// Joined), so servers may start in any order. ctx bounds only those join
// attempts: cancelling it does not stop the node; call Leave and Stop.
func Start(ctx context.Context, cfg Config, meta Meta) (*Node, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	metaBytes, err := encodeMeta(meta)
	if err != nil {
		return nil, err
	}
	bindIP, bindPort, err := resolveBindAddr(cfg.BindAddr)
	if err != nil {
		return nil, err
	}
	stdLog := newStdLogger(cfg.Logger, cfg.TLS != nil)
	var transport memberlist.NodeAwareTransport
	if cfg.TLS != nil {
		var t *tlsTransport
		if t, err = newTLSTransport(bindIP, bindPort, cfg.TLS, cfg.Logger); err != nil {
			return nil, err
		}
		transport, bindPort = t, t.port()
	} else {
		var t *memberlist.NetTransport
		if t, err = listen(bindIP, bindPort, stdLog); err != nil {
			return nil, err
		}
		transport, bindPort = t, t.GetAutoBindPort()
	}
	n := &Node{
		meta:      meta,
		metaBytes: metaBytes,
		members:   make(map[string]Member),
		changed:   make(chan struct{}),
		joined:    make(chan struct{}),
		pushNow:   make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	n.name, n.tls = cfg.Name, cfg.TLS != nil
	if n.name == "" {
		n.name = defaultName(bindIP, bindPort)
	}
	n.log = cfg.Logger.With().Str("gossip_node", n.name).Logger()
	mc := memberlistConfig(cfg, n.name, transport, bindIP, bindPort, stdLog)
	mc.Delegate = delegate{n}
	mc.Events = events{n}
	n.ml, err = memberlist.Create(mc)
	if err != nil {
		_ = transport.Shutdown()
		return nil, fmt.Errorf("gossip: start memberlist as %q: %w", n.name, err)
	}
	n.addr = n.ml.LocalNode().Address()
	n.log.Info().Str("addr", n.addr).Str("cluster", cfg.Cluster).
		Bool("encrypted", len(cfg.SecretKey) > 0).Bool("tls", cfg.TLS != nil).Msg("gossip started")

	joinCtx, cancel := context.WithCancel(ctx)
	n.cancel = cancel
	n.wg.Add(1)
	go n.pushLoop()
	if peers := n.peers(cfg.Join, bindIP); len(peers) > 0 {
		n.wg.Add(1)
		go n.joinLoop(joinCtx, peers)
	} else {
		close(n.joined)
	}
	return n, nil
}

// defaultName returns hostname-ip:port.
func defaultName(ip net.IP, port int) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "akutan"
	}
	return host + "-" + net.JoinHostPort(ip.String(), strconv.Itoa(port))
}

// Name returns the node's unique name.
func (n *Node) Name() string { return n.name }

// Addr returns the gossip address (host:port) other nodes reach this one at:
// the bound address, with the actual port when port 0 was asked for.
func (n *Node) Addr() string { return n.addr }

// Joined returns a channel closed once one of the configured peers accepted
// this node, or at once if there was no peer to join.
func (n *Node) Joined() <-chan struct{} { return n.joined }

// Changed returns a channel that is closed at the next change in membership
// or in a member's meta. Call it again for the change after that.
func (n *Node) Changed() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.changed
}

// notifyChanged wakes everyone waiting on Changed.
func (n *Node) notifyChanged() {
	n.mu.Lock()
	defer n.mu.Unlock()
	close(n.changed)
	n.changed = make(chan struct{})
}

// Meta returns the meta this node currently advertises.
func (n *Node) Meta() Meta {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.meta
}

// SetMeta replaces the meta this node advertises. It returns at once; the
// change reaches the other members in the background, coalesced with other
// changes so that at most one update is sent every 250 ms. Setting the meta
// already advertised sends nothing, so servers may call it periodically.
// It fails only if m encodes to more than MaxMetaSize bytes.
func (n *Node) SetMeta(m Meta) error {
	b, err := encodeMeta(m)
	if err != nil {
		return err
	}
	n.mu.Lock()
	if bytes.Equal(b, n.metaBytes) {
		n.mu.Unlock()
		return nil // each update is gossiped to every member: skip no-ops
	}
	n.meta, n.metaBytes = m, b
	n.metaVersion++
	n.mu.Unlock()
	select {
	case n.pushNow <- struct{}{}:
	default: // a push is already pending and will carry this meta
	}
	return nil
}

// localMeta returns the encoded meta and its version.
func (n *Node) localMeta() ([]byte, uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.metaBytes, n.metaVersion
}

// pushLoop advertises meta changes, at most one every metaPushInterval.
//
// A push is repeated until memberlist's own record of this node holds the
// meta pushed: memberlist drops an UpdateNode whose incarnation number a
// concurrent refutation has already used (a restarted node refutes the
// pool's memory of its previous run right after joining), and the dropped
// meta would otherwise never go out until the next change.
func (n *Node) pushLoop() {
	defer n.wg.Done()
	var pushed uint64
	retry := false
	for {
		if !retry {
			select {
			case <-n.done:
				return
			case <-n.pushNow:
			}
		}
		retry = false
		if metaBytes, v := n.localMeta(); v != pushed || !n.advertises(metaBytes) {
			// UpdateNode queues the new meta for gossip and would wait
			// until every retransmission of it has gone out. That takes
			// over a second when many members change at once, and a change
			// made meanwhile would wait for it: so it waits a nanosecond
			// (0 would mean for ever) and ignores that timeout. A newer
			// meta replaces the older one still queued.
			_ = n.ml.UpdateNode(time.Nanosecond)
			pushed = v
			retry = !n.advertises(metaBytes)
		}
		select {
		case <-n.done:
			return
		case <-time.After(metaPushInterval):
		}
	}
}

// advertises reports whether memberlist's record of this node carries meta.
func (n *Node) advertises(meta []byte) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return bytes.Equal(n.advertised, meta)
}

// Members returns the live members, this node included, sorted by name.
// Members whose meta cannot be decoded are left out.
func (n *Node) Members() []Member {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]Member, 0, len(n.members)+1)
	out = append(out, Member{Name: n.name, Addr: n.addr, Meta: n.meta})
	for _, m := range n.members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// putMember records a joined or updated member, or forgets it if its meta
// cannot be decoded. It is called by memberlist, which owns node.
func (n *Node) putMember(node *memberlist.Node) {
	if node.Name == n.name {
		// Members reports this node's current meta directly; what
		// memberlist holds is what pushLoop checks it has advertised.
		n.mu.Lock()
		n.advertised = append(n.advertised[:0:0], node.Meta...)
		n.mu.Unlock()
		return
	}
	meta, err := decodeMeta(node.Meta)
	n.mu.Lock()
	defer n.mu.Unlock()
	if err != nil {
		n.log.Debug().Err(err).Str("member", node.Name).Msg("gossip: skipping member")
		delete(n.members, node.Name)
		return
	}
	n.members[node.Name] = Member{Name: node.Name, Addr: node.Address(), Meta: meta}
}

// dropMember forgets a member that left or failed, and tells the OnDepart
// callback. memberlist's events do not say whether a departure was a leave
// (the node passed to NotifyLeave keeps its old State), so a departure is
// graceful only if the member advertised StateLeaving first.
func (n *Node) dropMember(name string) {
	n.mu.Lock()
	m, known := n.members[name]
	delete(n.members, name)
	fn := n.onDepart
	n.mu.Unlock()
	if known && fn != nil {
		fn(m, m.Meta.State == StateLeaving)
	}
}

// StateLeaving is the Meta.State a server advertises while it stops
// gracefully (see MarkLeaving).
const StateLeaving = "leaving"

// OnDepart sets fn to be called with the last known record of every member
// that drops out of the pool, and whether it left gracefully: it
// advertised StateLeaving (see MarkLeaving) before going. A
// member that crashed or was killed departs with graceful false once
// failure detection gives up on it. fn is called with memberlist's lock
// held: it must return quickly and not call the Node.
func (n *Node) OnDepart(fn func(m Member, graceful bool)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.onDepart = fn
}

// MarkLeaving advertises State StateLeaving (and not serving), so that the
// other members know the coming departure is graceful even if the leave
// message itself is lost. It waits, up to timeout, for memberlist to take
// the new meta and for a push-pull with every live member to hand it to
// them. Call it before Leave.
func (n *Node) MarkLeaving(timeout time.Duration) {
	m := n.Meta()
	m.State, m.Serving = StateLeaving, false
	if err := n.SetMeta(m); err != nil {
		return
	}
	b, _ := n.localMeta()
	deadline := time.Now().Add(timeout)
	for !n.advertises(b) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !n.advertises(b) {
		return
	}
	// Gossip alone may not deliver the new meta before the leave message,
	// which memberlist queues behind it but may send first or in the same
	// packet; a member that learns of the leave first records a crash.
	// A push-pull with each live member hands it this node's state
	// directly, the leaving meta included. The member merges that state
	// just after answering the push-pull, so the answer may come back
	// first: a short pause after the answers (pushPullSettle) lets the
	// merges finish before the leave is sent.
	var members []Member
	for _, m := range n.Members() {
		if m.Name != n.name {
			members = append(members, m)
		}
	}
	done := make(chan struct{}, len(members))
	for _, m := range members {
		n.leaveWG.Add(1)
		go func(addr string) {
			defer n.leaveWG.Done()
			_, _ = n.ml.Join([]string{addr}) // best effort: gossip still carries it
			done <- struct{}{}
		}(m.Addr)
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for range members {
		select {
		case <-done:
		case <-timer.C:
			return
		}
	}
	select {
	case <-time.After(min(pushPullSettle, time.Until(deadline))):
	case <-n.done:
	}
}

// pushPullSettle is how long MarkLeaving waits, after its push-pulls are
// answered, for the members to merge the state they were handed (memberlist
// merges after answering): microseconds on a quiet machine.
const pushPullSettle = 50 * time.Millisecond

// halt stops the background goroutines and waits for them.
func (n *Node) halt() {
	n.haltOnce.Do(func() {
		n.stopSummary()
		n.cancel()
		close(n.done)
		n.wg.Wait()
	})
}

// Leave tells the other members that this node is leaving, so that they
// drop it at once rather than after failure detection, waiting up to timeout
// for the message to go out. The node stops joining and advertising meta;
// call Stop afterwards.
func (n *Node) Leave(timeout time.Duration) error {
	n.halt()
	n.lifeMu.Lock()
	defer n.lifeMu.Unlock()
	if n.stopped {
		return errors.New("gossip: leave after stop")
	}
	n.left = true
	if err := n.ml.Leave(timeout); err != nil {
		return fmt.Errorf("gossip: leave: %w", err)
	}
	n.log.Debug().Msg("gossip left")
	return nil
}

// Stop shuts the node down, without telling the others unless Leave was
// called first. It is safe to call more than once.
func (n *Node) Stop() error {
	n.halt()
	n.lifeMu.Lock()
	defer n.lifeMu.Unlock()
	if n.stopped {
		return nil
	}
	n.stopped = true
	err := n.ml.Shutdown()
	n.leaveWG.Wait()
	if err != nil {
		return fmt.Errorf("gossip: shut down memberlist: %w", err)
	}
	n.log.Info().Bool("left", n.left).Msg("gossip stopped")
	return nil
}
