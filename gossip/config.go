package gossip

import (
	"fmt"
	"log"
	"net"
	"strconv"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/rs/zerolog"

	"github.com/akutan-dev/akutan/internal/tlsconfig"
)

// DefaultBindAddr is used when Config.BindAddr is empty.
const DefaultBindAddr = "127.0.0.1:7946"

// Config configures a gossip Node.
type Config struct {
	// Name is the node's name, unique in the cluster. It defaults to the
	// hostname followed by the gossip address actually bound, so that
	// several servers on one host (or one restarted on a new port) do not
	// collide.
	Name string
	// BindAddr is the host:port to listen on, TCP and UDP. Port 0 picks a
	// free port; see Node.Addr. The host must be an IP address or resolve to
	// one. Defaults to DefaultBindAddr.
	BindAddr string
	// Join lists the host:port gossip addresses of other servers. Any one
	// that answers is enough; this node's own address may be included.
	Join []string
	// Cluster separates gossip pools: only nodes with the same Cluster
	// (memberlist's Label) see each other. At most 255 bytes.
	Cluster string
	// SecretKey, when set, encrypts and authenticates all gossip. It must be
	// 16, 24 or 32 bytes (AES-128, -192 or -256), the same on every node.
	SecretKey []byte
	// TLS, when set, carries all gossip over mutual TLS with certificates
	// signed by its CA, on the TCP port of BindAddr alone (no UDP): see
	// doc.go. Every node of the pool must have it, or none: a node with
	// TLS and one without refuse each other. SecretKey and Cluster still
	// apply, inside TLS.
	TLS *tlsconfig.Source
	// Logger receives this package's logs, and memberlist's at debug level.
	Logger zerolog.Logger
}

// Timing used for memberlist. These keep memberlist's LAN probe timings:
// tighter ones cause false suspicions on busy machines with few cores.
// Only the suspicion timeout is shorter than LAN's (see memberlistConfig).
const (
	joinRetryInterval = time.Second
	joinDialTimeout   = 2 * time.Second
	joinWarnInterval  = 30 * time.Second
	metaPushInterval  = 250 * time.Millisecond
	// pushPullInterval is the anti-entropy that repairs lost meta updates
	// (a view's applied index, read for "recent" queries and boot plans):
	// a meta change goes out as UDP broadcasts, and networks lose packets.
	// With 9 members changing meta together (BenchmarkMetaSpread), the
	// slowest delivery took 0.8 s with 2 s here and 0.8-1.0 s with 5 s;
	// the longer waits seen before were pushLoop's own (see there).
	// memberlist stretches the interval above 32 members.
	pushPullInterval    = 2 * time.Second
	deadNodeReclaimTime = 10 * time.Second

	// A suspected node is declared dead after suspicionMult probe
	// intervals (times log10 of the pool size, when above 10), or up to
	// suspicionMaxTimeoutMult times that while no other member confirms the
	// suspicion; before that, probes take 1-3 s to find the failure. LAN's
	// 4 and 6 took 6-7.5 s to notice a crashed server in a 10-node pool,
	// and allow up to 24 s of suspicion in a small one; 3 and 2 took 4-7.5 s
	// (suspicion: 3-6 s), and still leave a live but busy node 3 s to
	// refute a false suspicion: 10 nodes on 2 cores with six busy-looping
	// processes saw no false death in 40 s.
	suspicionMult           = 3
	suspicionMaxTimeoutMult = 2
)

// validate checks the parts of cfg that memberlist would reject with a vague
// message, or not at all.
func (cfg *Config) validate() error {
	if n := len(cfg.SecretKey); n != 0 {
		if err := memberlist.ValidateKey(cfg.SecretKey); err != nil {
			return fmt.Errorf("gossip: secret key is %d bytes: %w", n, err)
		}
	}
	if len(cfg.Cluster) > memberlist.LabelMaxSize {
		return fmt.Errorf("gossip: cluster name is %d bytes, at most %d allowed",
			len(cfg.Cluster), memberlist.LabelMaxSize)
	}
	return nil
}

// resolveBindAddr splits cfg.BindAddr into an IP and a port.
func resolveBindAddr(addr string) (net.IP, int, error) {
	if addr == "" {
		addr = DefaultBindAddr
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, 0, fmt.Errorf("gossip: bind address %q: %w", addr, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, 0, fmt.Errorf("gossip: bind address %q: bad port %q", addr, portStr)
	}
	if host == "" {
		return net.IPv4zero, int(port), nil
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip, int(port), nil
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return nil, 0, fmt.Errorf("gossip: bind address %q: cannot resolve host: %v", addr, err)
	}
	for _, ip := range ips {
		if ip.To4() != nil {
			return ip, int(port), nil
		}
	}
	return ips[0], int(port), nil
}

// listen binds memberlist's TCP and UDP listeners. With port 0, the kernel's
// TCP port may be taken for UDP, so it retries a few times.
func listen(ip net.IP, port int, logger *log.Logger) (*memberlist.NetTransport, error) {
	tries := 1
	if port == 0 {
		tries = 10
	}
	var err error
	for range tries {
		var t *memberlist.NetTransport
		t, err = memberlist.NewNetTransport(&memberlist.NetTransportConfig{
			BindAddrs: []string{ip.String()},
			BindPort:  port,
			Logger:    logger,
		})
		if err == nil {
			return t, nil
		}
	}
	return nil, fmt.Errorf("gossip: listen on %s: %w", net.JoinHostPort(ip.String(), strconv.Itoa(port)), err)
}

// memberlistConfig builds memberlist's configuration from cfg.
func memberlistConfig(cfg Config, name string, t memberlist.NodeAwareTransport, bindIP net.IP, bindPort int, logger *log.Logger) *memberlist.Config {
	mc := memberlist.DefaultLANConfig()
	mc.Name = name
	mc.Transport = t
	mc.BindAddr = bindIP.String()
	mc.BindPort = bindPort
	mc.AdvertisePort = bindPort
	mc.Label = cfg.Cluster
	if len(cfg.SecretKey) > 0 {
		mc.SecretKey = append([]byte(nil), cfg.SecretKey...)
	}
	mc.Logger = logger
	mc.PushPullInterval = pushPullInterval
	mc.DeadNodeReclaimTime = deadNodeReclaimTime
	mc.SuspicionMult = suspicionMult
	mc.SuspicionMaxTimeoutMult = suspicionMaxTimeoutMult
	return mc
}
