package gossip

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-sockaddr"
	"github.com/hashicorp/memberlist"
	"github.com/rs/zerolog"

	"github.com/akutan-dev/akutan/internal/tlsconfig"
)

// tlsTransport is a memberlist transport that carries everything over
// mutual TLS on one TCP port (see doc.go for why): memberlist's streams
// (push-pull, joins, TCP probes) as one TLS connection each, and its
// packets (probes, acks, gossip), which NetTransport sends as UDP
// datagrams, as length-prefixed frames over one long-lived TLS connection
// per destination.
//
// Every connection opens with a TLS handshake in which both sides present
// a certificate signed by the CA (tls.RequireAndVerifyClientCert); the
// client then sends one byte saying what the connection carries:
//
//	's'                              a memberlist stream, handed to StreamCh
//	'p' LEN ADDR (FRAME)*            packets: ADDR (LEN bytes) is the sender's
//	                                 advertised gossip address; each FRAME is a
//	                                 4-byte big-endian length and one packet
//
// Packets are delivered to PacketCh as coming from the sender's advertised
// address, as a UDP packet would be, so that replies go to its listener
// rather than to the ephemeral port of the connection it dialed from.
//
// Sending a packet never blocks memberlist: WriteToAddress queues it for
// the destination's sender goroutine, which dials the connection when
// needed, and drops it when the queue is full or the peer cannot be
// reached, as a network drops a datagram. memberlist's own encryption
// (the label and --gossip-key) applies inside TLS unchanged.
type tlsTransport struct {
	log    zerolog.Logger
	ln     *net.TCPListener
	server *tls.Config
	client *tls.Config

	packetCh chan *memberlist.Packet
	streamCh chan net.Conn

	mu        sync.Mutex
	advertise string                 // this node's gossip address, once memberlist asked
	peers     map[string]*packetPeer // outgoing packet connections, by address
	conns     map[net.Conn]struct{}  // accepted connections this transport still owns
	closing   bool
	warned    map[string]time.Time // last refusal warning, by remote host

	draining chan struct{} // closed by Shutdown: senders flush and exit
	done     chan struct{} // closed by Shutdown after the flush
	// ctx ends with done, cutting short the dials still under way.
	ctx     context.Context
	cancel  context.CancelFunc
	senders sync.WaitGroup
	wg      sync.WaitGroup // the accept loop and the accepted connections
}

// Limits and timeouts of tlsTransport.
const (
	// tlsHandshakeTimeout bounds a handshake and the kind byte after it
	// (memberlist's own TCPTimeout is 10 s).
	tlsHandshakeTimeout = 10 * time.Second
	// packetQueue is how many packets may wait for one destination.
	packetQueue = 256
	// packetDialTimeout bounds dialing a destination's packet connection.
	packetDialTimeout = 2 * time.Second
	// packetWriteTimeout bounds writing one packet.
	packetWriteTimeout = 2 * time.Second
	// packetIdle closes a destination's connection unused this long.
	packetIdle = time.Minute
	// maxPacket is the largest frame accepted: memberlist's UDP packets
	// stay under 64 KiB.
	maxPacket = 1 << 20
	// shutdownFlush is how long Shutdown lets queued packets (a leave
	// message) go out.
	shutdownFlush = time.Second
)

// What a connection carries, sent by the client after the handshake.
const (
	kindStream  = 's'
	kindPackets = 'p'
)

// packetPeer is the queue of packets to one destination.
type packetPeer struct {
	ch chan []byte
}

var _ memberlist.NodeAwareTransport = (*tlsTransport)(nil)

// newTLSTransport listens on ip:port (port 0: any) for mutual TLS gossip
// with certificates from src.
func newTLSTransport(ip net.IP, port int, src *tlsconfig.Source, log zerolog.Logger) (*tlsTransport, error) {
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: ip, Port: port})
	if err != nil {
		return nil, fmt.Errorf("gossip: listen on %s: %w", net.JoinHostPort(ip.String(), strconv.Itoa(port)), err)
	}
	t := &tlsTransport{
		log:      log,
		ln:       ln,
		server:   src.Server(),
		client:   peerClientConfig(src),
		packetCh: make(chan *memberlist.Packet),
		streamCh: make(chan net.Conn),
		peers:    make(map[string]*packetPeer),
		conns:    make(map[net.Conn]struct{}),
		warned:   make(map[string]time.Time),
		draining: make(chan struct{}),
		done:     make(chan struct{}),
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.wg.Add(1)
	go t.acceptLoop()
	return t, nil
}

// peerClientConfig is src's client config verifying the peer's chain
// against the CA, its validity and its use for serving, but not its name:
// gossip dials the IP addresses members advertise, which certificates need
// not list, and any holder of a certificate of the CA may join anyway.
func peerClientConfig(src *tlsconfig.Source) *tls.Config {
	cfg := src.Client()
	pool := src.CAPool()
	cfg.InsecureSkipVerify = true // the name only: VerifyConnection checks the rest
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("gossip peer presented no certificate")
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
			Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			return fmt.Errorf("gossip peer's certificate: %w", err)
		}
		return nil
	}
	return cfg
}

// port is the port bound.
func (t *tlsTransport) port() int { return t.ln.Addr().(*net.TCPAddr).Port }

// FinalAdvertiseAddr implements memberlist.Transport as NetTransport does:
// the address given, else the bound one, else (bound to all interfaces) a
// private IP.
func (t *tlsTransport) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	bound := t.ln.Addr().(*net.TCPAddr)
	var addr net.IP
	switch {
	case ip != "":
		if addr = net.ParseIP(ip); addr == nil {
			return nil, 0, fmt.Errorf("failed to parse advertise address %q", ip)
		}
	case bound.IP.IsUnspecified():
		private, err := sockaddr.GetPrivateIP()
		if err != nil {
			return nil, 0, fmt.Errorf("failed to get interface addresses: %v", err)
		}
		if addr = net.ParseIP(private); addr == nil {
			return nil, 0, errors.New("no private IP address found, and explicit IP not provided")
		}
		port = bound.Port
	default:
		addr, port = bound.IP, bound.Port
	}
	if ip4 := addr.To4(); ip4 != nil {
		addr = ip4
	}
	t.mu.Lock()
	t.advertise = net.JoinHostPort(addr.String(), strconv.Itoa(port))
	t.mu.Unlock()
	return addr, port, nil
}

// WriteTo implements memberlist.Transport.
func (t *tlsTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

// WriteToAddress implements memberlist.NodeAwareTransport: it queues b for
// addr's sender and returns at once.
func (t *tlsTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	buf := append([]byte(nil), b...) // memberlist may reuse b
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing {
		return time.Time{}, errors.New("gossip transport is shut down")
	}
	p := t.peers[a.Addr]
	if p == nil {
		p = &packetPeer{ch: make(chan []byte, packetQueue)}
		t.peers[a.Addr] = p
		t.senders.Add(1)
		go t.sendLoop(a.Addr, p)
	}
	select {
	case p.ch <- buf:
	default:
		return time.Now(), fmt.Errorf("gossip: %d packets already queued for %s: dropped one", packetQueue, a.Addr)
	}
	return time.Now(), nil
}

// sendLoop writes addr's queued packets over one connection, dialed when
// needed. It exits once idle for packetIdle, or after flushing the queue
// at shutdown.
func (t *tlsTransport) sendLoop(addr string, p *packetPeer) {
	defer t.senders.Done()
	var conn net.Conn
	defer func() {
		if conn != nil {
			_ = conn.Close()
		}
	}()
	idle := time.NewTimer(packetIdle)
	defer idle.Stop()
	send := func(b []byte) {
		for attempt := 0; attempt < 2; attempt++ {
			if conn == nil {
				c, err := t.dialPackets(addr)
				if err != nil {
					t.log.Debug().Err(err).Str("peer", addr).Msg("gossip: dropping a packet")
					return
				}
				conn = c
			}
			if err := writeFrame(conn, b); err == nil {
				return
			}
			// The peer closed it (restarted?): a new connection, once.
			_ = conn.Close()
			conn = nil
		}
	}
	for {
		select {
		case b := <-p.ch:
			send(b)
			idle.Reset(packetIdle)
		case <-idle.C:
			t.mu.Lock()
			if len(p.ch) == 0 && t.peers[addr] == p {
				delete(t.peers, addr)
				t.mu.Unlock()
				return
			}
			t.mu.Unlock()
			idle.Reset(packetIdle)
		case <-t.draining:
			for {
				select {
				case b := <-p.ch:
					send(b)
				default:
					return
				}
			}
		}
	}
}

// writeFrame writes one packet.
func writeFrame(conn net.Conn, b []byte) error {
	frame := make([]byte, 4+len(b))
	binary.BigEndian.PutUint32(frame, uint32(len(b)))
	copy(frame[4:], b)
	_ = conn.SetWriteDeadline(time.Now().Add(packetWriteTimeout))
	_, err := conn.Write(frame)
	return err
}

// dialPackets opens a packet connection to addr.
func (t *tlsTransport) dialPackets(addr string) (net.Conn, error) {
	t.mu.Lock()
	self := t.advertise
	t.mu.Unlock()
	if len(self) > 255 {
		return nil, fmt.Errorf("advertised address %q is too long", self)
	}
	conn, err := t.dial(addr, packetDialTimeout, append([]byte{kindPackets, byte(len(self))}, self...))
	if err != nil {
		return nil, err
	}
	// The receiver never writes: a read returns when it closes the
	// connection, which then fails the next write at once.
	go func() {
		_, _ = io.Copy(io.Discard, conn)
		_ = conn.Close()
	}()
	return conn, nil
}

// dial opens a TLS connection to addr and sends preamble, within timeout.
func (t *tlsTransport) dial(addr string, timeout time.Duration, preamble []byte) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	conn := tls.Client(raw, t.client)
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	if err := conn.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("TLS handshake with gossip peer %s failed (does it gossip without TLS, "+
			"or with a certificate expired or of another CA?): %w", addr, err)
	}
	if _, err := conn.Write(preamble); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("gossip peer %s refused this node's certificate "+
			"(expired, or not signed by its --tls-ca?): %w", addr, err)
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}

// PacketCh implements memberlist.Transport.
func (t *tlsTransport) PacketCh() <-chan *memberlist.Packet { return t.packetCh }

// DialTimeout implements memberlist.Transport.
func (t *tlsTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

// DialAddressTimeout implements memberlist.NodeAwareTransport: a stream
// is one TLS connection.
func (t *tlsTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	return t.dial(a.Addr, timeout, []byte{kindStream})
}

// StreamCh implements memberlist.Transport.
func (t *tlsTransport) StreamCh() <-chan net.Conn { return t.streamCh }

// Shutdown implements memberlist.Transport: it lets queued packets go out
// for up to shutdownFlush, then closes every connection it owns.
func (t *tlsTransport) Shutdown() error {
	t.mu.Lock()
	if t.closing {
		t.mu.Unlock()
		return nil
	}
	t.closing = true
	t.mu.Unlock()
	close(t.draining)
	flushed := make(chan struct{})
	go func() {
		t.senders.Wait()
		close(flushed)
	}()
	select {
	case <-flushed:
	case <-time.After(shutdownFlush):
	}
	close(t.done)
	t.cancel()
	_ = t.ln.Close()
	t.mu.Lock()
	for c := range t.conns {
		_ = c.Close()
	}
	t.mu.Unlock()
	t.wg.Wait()
	<-flushed // write deadlines bound the senders
	return nil
}

// acceptLoop accepts connections until Shutdown.
func (t *tlsTransport) acceptLoop() {
	defer t.wg.Done()
	var delay time.Duration
	for {
		raw, err := t.ln.Accept()
		if err != nil {
			select {
			case <-t.done:
				return
			default:
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			t.log.Error().Err(err).Msg("gossip: accepting a connection")
			time.Sleep(delay)
			continue
		}
		delay = 0
		if !t.own(raw) {
			_ = raw.Close()
			return
		}
		t.wg.Add(1)
		go t.serve(raw)
	}
}

// own records conn as one to close at Shutdown, unless already shut down.
func (t *tlsTransport) own(conn net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing {
		return false
	}
	t.conns[conn] = struct{}{}
	return true
}

// disown forgets conn, closing it unless handed to memberlist.
func (t *tlsTransport) disown(conn net.Conn, close bool) {
	t.mu.Lock()
	delete(t.conns, conn)
	t.mu.Unlock()
	if close {
		_ = conn.Close()
	}
}

// serve handshakes with an accepted connection and hands it to memberlist
// as a stream, or reads packets from it.
func (t *tlsTransport) serve(raw net.Conn) {
	defer t.wg.Done()
	handedOver := false
	defer func() { t.disown(raw, !handedOver) }()
	conn := tls.Server(raw, t.server)
	_ = conn.SetDeadline(time.Now().Add(tlsHandshakeTimeout))
	if err := conn.Handshake(); err != nil {
		t.refused(raw.RemoteAddr(), err)
		return
	}
	var kind [1]byte
	if _, err := io.ReadFull(conn, kind[:]); err != nil {
		t.log.Debug().Err(err).Str("peer", raw.RemoteAddr().String()).Msg("gossip: connection closed before saying what it carries")
		return
	}
	switch kind[0] {
	case kindStream:
		_ = conn.SetDeadline(time.Time{})
		select {
		case t.streamCh <- conn:
			handedOver = true
			t.disown(raw, false)
		case <-t.done:
		}
	case kindPackets:
		t.readPackets(conn)
	default:
		t.log.Warn().Str("peer", raw.RemoteAddr().String()).Int("kind", int(kind[0])).
			Msg("gossip: dropping a TLS connection of unknown kind (a peer of another akutan release?)")
	}
}

// readPackets delivers the packets of conn to PacketCh until it closes.
func (t *tlsTransport) readPackets(conn *tls.Conn) {
	var n [1]byte
	if _, err := io.ReadFull(conn, n[:]); err != nil {
		return
	}
	addr := make([]byte, n[0])
	if _, err := io.ReadFull(conn, addr); err != nil {
		return
	}
	var from net.Addr = conn.RemoteAddr()
	if tcp, err := net.ResolveTCPAddr("tcp", string(addr)); err == nil && tcp.IP != nil {
		from = tcp
	}
	_ = conn.SetDeadline(time.Time{})
	var size [4]byte
	for {
		if _, err := io.ReadFull(conn, size[:]); err != nil {
			return
		}
		l := binary.BigEndian.Uint32(size[:])
		if l == 0 || l > maxPacket {
			t.log.Warn().Str("peer", from.String()).Uint32("bytes", l).Msg("gossip: dropping a connection sending a packet of a bad size")
			return
		}
		buf := make([]byte, l)
		if _, err := io.ReadFull(conn, buf); err != nil {
			return
		}
		select {
		case t.packetCh <- &memberlist.Packet{Buf: buf, From: from, Timestamp: time.Now()}:
		case <-t.done:
			return
		}
	}
}

// refused logs a failed handshake with its reason, as a warning at most
// once per joinWarnInterval per remote host (a refused peer retries every
// second), and at debug level when the peer sent nothing at all (a port
// probe, such as join's reachability check).
func (t *tlsTransport) refused(remote net.Addr, err error) {
	peer := remote.String()
	if errors.Is(err, io.EOF) {
		t.log.Debug().Err(err).Str("peer", peer).Msg("gossip: connection closed before a TLS handshake")
		return
	}
	host, _, _ := net.SplitHostPort(peer)
	t.mu.Lock()
	due := time.Since(t.warned[host]) >= joinWarnInterval
	if due {
		t.warned[host] = time.Now()
	}
	t.mu.Unlock()
	ev := t.log.Debug()
	if due {
		ev = t.log.Warn()
	}
	why := "its certificate is missing, expired, or not signed by our --tls-ca"
	switch msg := err.Error(); {
	case strings.Contains(msg, "does not look like a TLS handshake"):
		why = "it gossips without TLS: give it --tls-cert, --tls-key and --tls-ca"
	case strings.Contains(msg, "remote error"):
		why = "the peer refused our certificate (expired, or not signed by its --tls-ca?)"
	}
	ev.Err(err).Str("peer", peer).Msg("gossip: refused a connection over TLS: " + why)
}
