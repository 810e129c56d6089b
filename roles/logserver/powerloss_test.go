package logserver

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lni/goutils/vfs"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/wire"
)

// TestPowerLoss cuts the power of all three replicas at once while clients
// append, and checks that every append acknowledged before the cut is still
// in the log, exactly once, at the index it was given, on every replica.
//
// Everything a replica stores lives on one strict in-memory file system
// (vfs.NewStrictMem) that keeps only what was synced: Dragonboat's Raft log
// through Expert.FS, and the state machine's LevelDB through the same
// vfsStorage that production uses on the real file system. The cut is
// SetIgnoreSyncs(true): from then on nothing becomes durable. The replicas
// are then stopped, the file system is reset to what had been synced
// (ResetToSyncedState), and they are started again on it. Small snapshot
// intervals make Dragonboat compact its Raft log often (so that a state
// machine that came back with less than it had synced would show a gap),
// and a small LevelDB memtable makes it rotate journals often.
func TestPowerLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("power-loss cycles of an in-process Raft cluster (seconds)")
	}
	fs := vfs.NewStrictMem()
	cfgs := powerLossConfigs(t, fs)
	servers := startAll(t, cfgs)
	conns := dialAll(t, cfgs)
	acked := make(map[string]ack) // across rounds: the first round's must survive the second cut too
	for round := 1; round <= 2; round++ {
		for payload, a := range appendUntilPowerCut(t, conns, fs, round) {
			acked[payload] = a
		}
		for _, s := range servers {
			s.Stop()
		}
		fs.ResetToSyncedState()
		fs.SetIgnoreSyncs(false)
		servers = startAll(t, cfgs)
		checkAcked(t, conns, acked, round)
	}
}

func powerLossConfigs(t *testing.T, fs vfs.FS) []Config {
	members := map[uint64]string{}
	var cfgs []Config
	for i := uint64(1); i <= 3; i++ {
		cfg := Config{
			ReplicaID: i, Dir: fmt.Sprintf("/powerloss/r%d", i),
			RaftAddr: freeLocalAddr(t), GRPCAddr: freeLocalAddr(t),
			Logger: zerolog.Nop(), SnapshotEntries: 10, CompactionOverhead: 2,
			FS: fs, smWriteBuffer: 32 << 10,
		}
		members[i] = cfg.RaftAddr
		cfgs = append(cfgs, cfg)
	}
	for i := range cfgs {
		cfgs[i].InitialMembers = members
	}
	return cfgs
}

// freeLocalAddr returns a loopback address whose port was free a moment
// ago, below the ephemeral range (see logtest.FreeAddr).
func freeLocalAddr(t *testing.T) string {
	for i := 0; i < 100; i++ {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12000))
		if l, err := net.Listen("tcp", addr); err == nil {
			l.Close()
			return addr
		}
	}
	t.Fatal("no free port")
	return ""
}

func startAll(t *testing.T, cfgs []Config) []*Server {
	t.Helper()
	var servers []*Server
	for _, cfg := range cfgs {
		s, err := Start(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Stop)
		servers = append(servers, s)
	}
	return servers
}

func dialAll(t *testing.T, cfgs []Config) []wire.LogClient {
	var out []wire.LogClient
	for _, cfg := range cfgs {
		conn, err := grpc.NewClient(cfg.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		out = append(out, wire.NewLogClient(conn))
	}
	return out
}

// ack is an append acknowledged before the power cut.
type ack struct {
	client, seq uint64
	index       uint64
}

// powerCut records acknowledgements and, under the same lock, cuts the
// power: an append acknowledged after the cut may legitimately be lost.
type powerCut struct {
	mu    sync.Mutex
	cut   bool
	acked map[string]ack
}

func (p *powerCut) record(payload string, a ack) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.cut {
		p.acked[payload] = a
	}
}

// appendUntilPowerCut runs 8 writers and cuts the power once at least 300
// appends are acknowledged; it returns the appends acknowledged before.
func appendUntilPowerCut(t *testing.T, conns []wire.LogClient, fs *vfs.MemFS, round int) map[string]ack {
	p := &powerCut{acked: make(map[string]ack)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			powerLossWriter(ctx, conns, uint64(round*100+w+1), p)
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		p.mu.Lock()
		n := len(p.acked)
		if n >= 300 || time.Now().After(deadline) {
			p.cut = true
			fs.SetIgnoreSyncs(true)
			p.mu.Unlock()
			break
		}
		p.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if len(p.acked) < 300 {
		t.Fatalf("round %d: only %d appends acknowledged in 20s", round, len(p.acked))
	}
	return p.acked
}

// powerLossWriter appends unique payloads, retrying each with its key on
// one replica after another until it is acknowledged or ctx ends.
func powerLossWriter(ctx context.Context, conns []wire.LogClient, client uint64, p *powerCut) {
	pad := strings.Repeat("x", 200)
	for seq := uint64(1); ctx.Err() == nil; seq++ {
		payload := fmt.Sprintf("c%d-s%d-%s", client, seq, pad)
		req := &wire.AppendRequest{ClientId: client, Seq: seq, Entries: [][]byte{testEntry(payload)}}
		for i := int(client); ctx.Err() == nil; i++ {
			actx, cancel := context.WithTimeout(ctx, 2*time.Second)
			reply, err := conns[i%len(conns)].Append(actx, req)
			cancel()
			if err == nil {
				p.record(payload, ack{client: client, seq: seq, index: reply.FirstIndex})
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// checkAcked reads each replica's whole log and checks every acknowledged
// append is at its index, no payload appears twice, and all replicas hold
// the same sequence.
func checkAcked(t *testing.T, conns []wire.LogClient, acked map[string]ack, round int) {
	t.Helper()
	var want []string
	for i, c := range conns {
		got := readAllAfterRestart(t, c, i)
		seen := make(map[string]uint64, len(got))
		for j, data := range got {
			if prev, dup := seen[data]; dup {
				t.Fatalf("round %d: replica %d holds %.20q at indexes %d and %d", round, i+1, data, prev, j+1)
			}
			seen[data] = uint64(j + 1)
		}
		for payload, a := range acked {
			if seen[payload] != a.index {
				t.Fatalf("round %d: replica %d lost acknowledged append %.20q (index %d; found at %d of %d)",
					round, i+1, payload, a.index, seen[payload], len(got))
			}
		}
		if i == 0 {
			want = got
		} else if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("round %d: replica %d holds %d entries that differ from replica 1's %d", round, i+1, len(got), len(want))
		}
	}
	t.Logf("round %d: %d acknowledged appends survived the power cut; the log holds %d entries", round, len(acked), len(want))
}

// readAllAfterRestart waits for the log to answer, then reads replica i's
// entries from 1 to the log's last index.
func readAllAfterRestart(t *testing.T, c wire.LogClient, i int) []string {
	t.Helper()
	var last uint64
	testutil.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		info, err := c.Info(ctx, &wire.InfoRequest{Linearizable: true})
		if err != nil {
			return fmt.Errorf("replica %d does not answer after the restart: %w", i+1, err)
		}
		last = info.LastIndex
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stream, err := c.Read(ctx, &wire.ReadRequest{StartIndex: 1})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for uint64(len(out)) < last {
		reply, err := stream.Recv()
		if err != nil {
			t.Fatalf("replica %d: reading after %d of %d entries: %v", i+1, len(out), last, err)
		}
		for _, e := range reply.Entries {
			if e.Index != uint64(len(out)+1) {
				t.Fatalf("replica %d sent index %d, want %d", i+1, e.Index, len(out)+1)
			}
			out = append(out, testPayload(e.Data))
		}
	}
	return out
}
