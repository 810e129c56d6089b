package gossip

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/akutan-dev/akutan/internal/testutil"
)

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start starts a node on a free loopback port and stops it at cleanup.
func start(t *testing.T, cfg Config, meta Meta) *Node {
	t.Helper()
	if cfg.BindAddr == "" {
		cfg.BindAddr = "127.0.0.1:0"
	}
	n, err := Start(context.Background(), cfg, meta)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = n.Stop() })
	return n
}

// sees checks that n sees exactly the given members with the given meta.
func sees(n *Node, want map[string]Meta) error {
	got := n.Members()
	if len(got) != len(want) {
		return fmt.Errorf("%s sees %d members %v, want %d", n.Name(), len(got), got, len(want))
	}
	for _, m := range got {
		w, ok := want[m.Name]
		if !ok || !reflect.DeepEqual(m.Meta, w) {
			return fmt.Errorf("%s sees %s with %+v, want %+v", n.Name(), m.Name, m.Meta, w)
		}
	}
	return nil
}

// freeAddr returns a loopback address with no listener, for now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestThreeNodes(t *testing.T) {
	const cluster = "test"
	key := []byte("0123456789abcdef")
	// n1 starts first and is told to join n2, which is not up yet.
	n2Addr := freeAddr(t)
	meta := func(i int) Meta {
		return Meta{Role: "view", Cluster: cluster, Space: "hashsp", RangeEnd: uint64(i),
			GRPCAddr: fmt.Sprintf("127.0.0.1:%d", 9000+i)}
	}
	n1 := start(t, Config{Name: "n1", Cluster: cluster, SecretKey: key, Join: []string{n2Addr}}, meta(1))
	n2 := start(t, Config{Name: "n2", BindAddr: n2Addr, Cluster: cluster, SecretKey: key,
		Join: []string{n2Addr}}, meta(2)) // only itself: nothing to join
	n3 := start(t, Config{Cluster: cluster, SecretKey: key, Join: []string{n1.Addr()}}, meta(3))
	if !strings.Contains(n3.Name(), n3.Addr()) {
		t.Errorf("default name %q does not contain address %q", n3.Name(), n3.Addr())
	}
	select {
	case <-n2.Joined():
	default:
		t.Error("a node with only itself to join must count as joined")
	}
	want := map[string]Meta{"n1": meta(1), "n2": meta(2), n3.Name(): meta(3)}
	for _, n := range []*Node{n1, n2, n3} {
		testutil.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error { return sees(n, want) })
	}
	<-n1.Joined()

	t.Run("SetMeta", func(t *testing.T) {
		changed := n2.Changed()
		var last Meta
		for i := range 200 { // many quick updates are coalesced
			last = meta(1)
			last.AppliedIndex, last.Serving = uint64(i), true
			if err := n1.SetMeta(last); err != nil {
				t.Fatal(err)
			}
		}
		want["n1"] = last
		for _, n := range []*Node{n1, n2, n3} {
			testutil.Eventually(t, 5*time.Second, 50*time.Millisecond, func() error { return sees(n, want) })
		}
		select {
		case <-changed:
		case <-time.After(time.Second):
			t.Error("Changed was not closed by a meta update")
		}
	})

	t.Run("Leave", func(t *testing.T) {
		if err := n3.Leave(2 * time.Second); err != nil {
			t.Fatal(err)
		}
		if err := n3.Stop(); err != nil {
			t.Fatal(err)
		}
		if err := n3.Stop(); err != nil {
			t.Fatalf("second Stop: %v", err)
		}
		if err := n3.Leave(time.Second); err == nil {
			t.Error("Leave after Stop must fail")
		}
		delete(want, n3.Name())
		for _, n := range []*Node{n1, n2} {
			// Well under failure detection time: the leave is broadcast.
			testutil.Eventually(t, 2*time.Second, 50*time.Millisecond, func() error { return sees(n, want) })
		}
	})
}

func TestMismatchedPoolsDoNotJoin(t *testing.T) {
	key1 := []byte("0123456789abcdef")
	key2 := []byte("fedcba9876543210")
	cases := []struct {
		name          string
		first, second Config
	}{
		{"label", Config{Cluster: "a"}, Config{Cluster: "b"}},
		{"no label", Config{Cluster: "a"}, Config{}},
		{"unexpected label", Config{}, Config{Cluster: "b"}},
		{"key", Config{SecretKey: key1}, Config{SecretKey: key2}},
		{"no key", Config{SecretKey: key1}, Config{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			logs, firstLogs := &syncBuffer{}, &syncBuffer{}
			tc.first.Logger = zerolog.New(firstLogs).Level(zerolog.WarnLevel)
			first := start(t, tc.first, Meta{Role: "log"})
			tc.second.Join = []string{first.Addr()}
			tc.second.Logger = zerolog.New(logs).Level(zerolog.WarnLevel)
			second := start(t, tc.second, Meta{Role: "api"})
			testutil.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
				if !strings.Contains(logs.String(), "--cluster label or --gossip-key") {
					return fmt.Errorf("no join warning yet; logs: %s", logs.String())
				}
				// The refusing side says so too, once: memberlist alone
				// would log it only at debug level.
				if n := strings.Count(firstLogs.String(), "refusing to talk to a node of another pool"); n != 1 {
					return fmt.Errorf("%d refusal warnings on the refusing side; logs: %s", n, firstLogs.String())
				}
				return nil
			})
			t.Logf("warnings: %s%s", logs.String(), firstLogs.String())
			time.Sleep(1500 * time.Millisecond) // a few more attempts
			for _, n := range []*Node{first, second} {
				if got := len(n.Members()); got != 1 {
					t.Errorf("%s sees %d members, want 1", n.Name(), got)
				}
			}
			if n := strings.Count(firstLogs.String(), "refusing to talk to a node of another pool"); n != 1 {
				t.Errorf("refusal warned %d times in a few seconds, want once: %s", n, firstLogs.String())
			}
			select {
			case <-second.Joined():
				t.Error("Joined closed for a mismatched pool")
			default:
			}
		})
	}
}

func TestJoinWarnsWhenPeerDown(t *testing.T) {
	logs := &syncBuffer{}
	n := start(t, Config{Join: []string{freeAddr(t)},
		Logger: zerolog.New(logs).Level(zerolog.WarnLevel)}, Meta{})
	testutil.Eventually(t, 5*time.Second, 50*time.Millisecond, func() error {
		if !strings.Contains(logs.String(), "peer down or wrong address") {
			return fmt.Errorf("no warning yet; logs: %s", logs.String())
		}
		return nil
	})
	if err := n.Stop(); err != nil { // must not hang in the join loop
		t.Fatal(err)
	}
}

func TestConfigErrors(t *testing.T) {
	ctx := context.Background()
	big := Meta{GRPCAddr: strings.Repeat("x", MaxMetaSize)}
	cases := []struct {
		name string
		cfg  Config
		meta Meta
		want string
	}{
		{"key size", Config{SecretKey: []byte("short")}, Meta{}, "secret key is 5 bytes"},
		{"label size", Config{Cluster: strings.Repeat("c", 256)}, Meta{}, "cluster name is 256 bytes"},
		{"meta size", Config{}, big, "encoded meta"},
		{"bind port", Config{BindAddr: "127.0.0.1:http2"}, Meta{}, "bad port"},
		{"bind form", Config{BindAddr: "127.0.0.1"}, Meta{}, "bind address"},
	}
	for _, tc := range cases {
		tc.cfg.BindAddr = cmpOr(tc.cfg.BindAddr, "127.0.0.1:0")
		n, err := Start(ctx, tc.cfg, tc.meta)
		if err == nil {
			_ = n.Stop()
			t.Errorf("%s: Start succeeded", tc.name)
		} else if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q, want it to contain %q", tc.name, err, tc.want)
		}
	}
	n := start(t, Config{}, Meta{})
	if err := n.SetMeta(big); err == nil || !strings.Contains(err.Error(), "encoded meta") {
		t.Errorf("SetMeta(too big) = %v", err)
	}
	if len(n.Members()) != 1 || !reflect.DeepEqual(n.Members()[0].Meta, Meta{}) {
		t.Errorf("a rejected SetMeta must leave the meta alone: %+v", n.Members())
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// A member that crashes (stops without leaving) is dropped within seconds.
func TestCrashNoticedWithinSeconds(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for gossip to notice a crash (about 5 s)")
	}
	first := start(t, Config{Name: "n0"}, Meta{Role: "api"})
	nodes := []*Node{first}
	for i := 1; i < 5; i++ {
		nodes = append(nodes, start(t, Config{Name: fmt.Sprintf("n%d", i), Join: []string{first.Addr()}}, Meta{Role: "view"}))
	}
	count := func(want int) func() error {
		return func() error {
			for _, n := range nodes[:4] {
				if got := len(n.Members()); got != want {
					return fmt.Errorf("%s sees %d members, want %d", n.Name(), got, want)
				}
			}
			return nil
		}
	}
	testutil.Eventually(t, 10*time.Second, 50*time.Millisecond, count(5))
	began := time.Now()
	if err := nodes[4].Stop(); err != nil { // no Leave: a crash
		t.Fatal(err)
	}
	// Probe interval 1 s, then at most 6 s of suspicion (see config.go).
	testutil.Eventually(t, 9*time.Second, 50*time.Millisecond, count(4))
	t.Logf("crash noticed by all after %v", time.Since(began))
}

func TestSetMetaUnchangedIsNoOp(t *testing.T) {
	n := start(t, Config{}, Meta{Role: "view", AppliedIndex: 1})
	_, v := n.localMeta()
	if err := n.SetMeta(Meta{Role: "view", AppliedIndex: 1}); err != nil {
		t.Fatal(err)
	}
	if _, v2 := n.localMeta(); v2 != v {
		t.Errorf("unchanged meta bumped the version from %d to %d", v, v2)
	}
	if err := n.SetMeta(Meta{Role: "view", AppliedIndex: 2}); err != nil {
		t.Fatal(err)
	}
	if _, v2 := n.localMeta(); v2 != v+1 {
		t.Errorf("changed meta: version %d, want %d", v2, v+1)
	}
}

func TestLogWriter(t *testing.T) {
	logs := &syncBuffer{}
	l := newStdLogger(zerolog.New(logs), false)
	l.Printf("[WARN] memberlist: something odd")
	if got := logs.String(); !strings.Contains(got, `"level":"debug"`) ||
		!strings.Contains(got, `"memberlist_level":"WARN"`) ||
		!strings.Contains(got, `"message":"memberlist: something odd"`) {
		t.Errorf("log line = %s", got)
	}
	l.Printf("[ERR] memberlist: discarding stream with unacceptable label \"b\": from=127.0.0.1:1")
	l.Printf("[ERR] memberlist: failed to receive: No installed keys could decrypt the message from=127.0.0.1:1")
	if got := logs.String(); strings.Count(got, `"level":"warn"`) != 1 ||
		!strings.Contains(got, `--cluster label or --gossip-key differs`) {
		t.Errorf("refusals must warn once per interval: %s", got)
	}
}

// TestOnDepart checks that a member's departure is reported as graceful
// after MarkLeaving and Leave, and as not graceful after a crash.
func TestOnDepart(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for gossip to notice a crash (about 5 s)")
	}
	first := start(t, Config{Name: "n0"}, Meta{Role: "api"})
	var mu sync.Mutex
	departed := map[string]bool{}
	first.OnDepart(func(m Member, graceful bool) {
		mu.Lock()
		defer mu.Unlock()
		departed[m.Name] = graceful
	})
	var nodes []*Node
	for i := 1; i <= 2; i++ {
		nodes = append(nodes, start(t, Config{Name: fmt.Sprintf("n%d", i), Join: []string{first.Addr()}}, Meta{Role: "view"}))
	}
	testutil.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		if got := len(first.Members()); got != 3 {
			return fmt.Errorf("n0 sees %d members, want 3", got)
		}
		return nil
	})
	began := time.Now()
	nodes[0].MarkLeaving(time.Second)
	if d := time.Since(began); d > 1100*time.Millisecond {
		t.Errorf("MarkLeaving took %v, more than its timeout", d)
	}
	// MarkLeaving hands the leaving meta to every member itself, so that
	// a leave gossiped right after cannot overtake it.
	for _, m := range first.Members() {
		if m.Name == "n1" && m.Meta.State != StateLeaving {
			t.Errorf("when MarkLeaving returned, n0 had n1's state %q, want %q", m.Meta.State, StateLeaving)
		}
	}
	saw := func(want map[string]bool) func() error {
		return func() error {
			mu.Lock()
			defer mu.Unlock()
			if fmt.Sprint(departed) != fmt.Sprint(want) {
				return fmt.Errorf("departed %v, want %v", departed, want)
			}
			return nil
		}
	}
	_ = nodes[0].Leave(time.Second)
	_ = nodes[0].Stop()
	testutil.Eventually(t, 3*time.Second, 50*time.Millisecond, saw(map[string]bool{"n1": true}))
	_ = nodes[1].Stop() // a crash
	testutil.Eventually(t, 10*time.Second, 50*time.Millisecond, saw(map[string]bool{"n1": true, "n2": false}))
}

// TestEncodeMetaLeavesOutNewestPendingTxs checks that a meta too large for
// memberlist only because of its pending transactions is sent with the
// oldest of them that fit, rather than refused.
func TestEncodeMetaLeavesOutNewestPendingTxs(t *testing.T) {
	m := Meta{Role: "view", GRPCAddr: strings.Repeat("a", MaxMetaSize-200)}
	for i := uint64(1); i <= 40; i++ {
		m.PendingTxs = append(m.PendingTxs, 1e18+i)
	}
	b, err := encodeMeta(m)
	if err != nil {
		t.Fatalf("encodeMeta: %v", err)
	}
	got, err := decodeMeta(b)
	if err != nil {
		t.Fatal(err)
	}
	n := len(got.PendingTxs)
	if len(b) > MaxMetaSize || n == 0 || n == 40 || got.PendingTxs[0] != 1e18+1 || got.PendingTxs[n-1] != 1e18+uint64(n) {
		t.Fatalf("%d bytes with pending %v; want the oldest that fit in %d bytes", len(b), got.PendingTxs, MaxMetaSize)
	}
}
