package tests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/roles/apiserver"
	"github.com/akutan-dev/akutan/roles/logserver/logtest"
	"github.com/akutan-dev/akutan/roles/viewserver"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/viewstore/viewstoretest"
	"github.com/akutan-dev/akutan/tests/harness"
	"github.com/akutan-dev/akutan/wire"
)

// These tests run a whole cluster in this process (3 log replicas, an API
// server, views started and stopped by each test) to exercise views that
// boot from their peers, recover from corruption and prove, by digest,
// that they hold the same state.

// viewCluster is an in-process cluster.
type viewCluster struct {
	t     *testing.T
	dir   string
	logs  *logtest.Cluster
	api   *apiserver.Server
	apic  wire.APIClient
	views map[string]*testView
}

// testView is one view the test started, and how to start it again.
type testView struct {
	srv *viewserver.Server
	reg *prometheus.Registry
	cfg viewserver.Config
}

func newViewCluster(t *testing.T) *viewCluster {
	t.Helper()
	c := &viewCluster{t: t, dir: t.TempDir(), logs: logtest.Start(t, 3), views: map[string]*testView{}}
	api, err := apiserver.Start(context.Background(), apiserver.Config{
		GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", LogAddrs: c.logs.Addrs(),
		GossipAddr: "127.0.0.1:0", Logger: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.Stop)
	c.api = api
	conn, err := grpc.NewClient(api.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c.apic = wire.NewAPIClient(conn)
	return c
}

// partition is shorthand for space.Partition.
func partition(t *testing.T, i, n int) space.Range {
	t.Helper()
	r, err := space.Partition(i, n)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// start starts a view named name (its directory is named after it).
func (c *viewCluster) start(name string, sp space.Space, r space.Range) *viewserver.Server {
	c.t.Helper()
	tv := &testView{reg: prometheus.NewRegistry(), cfg: viewserver.Config{
		Space: sp, Range: r, Dir: filepath.Join(c.dir, name), GRPCAddr: "127.0.0.1:0",
		LogAddrs: c.logs.Addrs(), GossipAddr: "127.0.0.1:0", GossipJoin: []string{c.api.GossipAddr()},
		Logger: zerolog.Nop(), PeerWait: 5 * time.Second,
	}}
	c.views[name] = tv
	return c.restart(name)
}

// restart starts a stopped view again on its directory.
func (c *viewCluster) restart(name string) *viewserver.Server {
	c.t.Helper()
	tv := c.views[name]
	tv.reg = prometheus.NewRegistry()
	tv.cfg.Registry = tv.reg
	srv, err := viewserver.Start(context.Background(), tv.cfg)
	if err != nil {
		c.t.Fatalf("starting view %s: %v", name, err)
	}
	tv.srv = srv
	c.t.Cleanup(srv.Stop)
	return srv
}

func (c *viewCluster) stop(name string) { c.views[name].srv.Stop() }

// startSpaces starts n partitions of both spaces, one replica each, named
// sp-i-of-n, and waits until they serve.
func (c *viewCluster) startSpaces(n int) {
	c.t.Helper()
	for _, sp := range space.Spaces() {
		for i := 1; i <= n; i++ {
			c.start(fmt.Sprintf("%s-%d-of-%d", sp, i, n), sp, partition(c.t, i, n))
		}
	}
	for name := range c.views {
		c.waitServing(name)
	}
}

// waitServing waits until the view serves and the API server knows it.
func (c *viewCluster) waitServing(name string) {
	c.t.Helper()
	srv := c.views[name].srv
	testutil.Eventually(c.t, 60*time.Second, 20*time.Millisecond, func() error {
		if !srv.Serving() {
			return fmt.Errorf("view %s is %q", name, srv.State())
		}
		for _, m := range c.api.Members() {
			if m.Meta.GRPCAddr == srv.GRPCAddr() && m.Meta.Serving {
				return nil
			}
		}
		return fmt.Errorf("the API server does not see view %s serving yet", name)
	})
}

// insertFacts inserts the example data and n generated entities, in
// several requests, and returns the last log index.
func (c *viewCluster) insertFacts(n int) uint64 {
	c.t.Helper()
	data, err := os.ReadFile(testdata("example_data.tsv"))
	if err != nil {
		c.t.Fatal(err)
	}
	last := c.insert(string(data))
	for start := 0; start < n; start += 100 {
		var b strings.Builder
		for i := start; i < min(start+100, n); i++ {
			fmt.Fprintf(&b, "<e%d> <type> <T%d>\n<e%d> <score> %d\n<e%d> <name> \"n%d\"\n<e%d> <next> <e%d>\n",
				i, i%7, i, i*13%101, i, i, i, (i+1)%n)
		}
		last = c.insert(b.String())
	}
	return last
}

func (c *viewCluster) insert(tsv string) uint64 {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reply, err := c.apic.Insert(ctx, &wire.InsertRequest{Format: "tsv", Data: tsv})
	if err != nil {
		c.t.Fatalf("insert: %v", err)
	}
	return reply.Index
}

// viewQueries cover both spaces, comparisons, joins and the example data.
var viewQueries = []string{
	"SELECT ?e ?s WHERE { ?e <score> ?s }",
	"SELECT ?e WHERE { ?e <type> <T3> }",
	"SELECT ?e ?n WHERE {\n ?e <type> <T1>\n ?e <name> ?n\n ?e <next> ?f\n ?f <score> ?s\n ?s <gt> 50\n}",
	"SELECT * WHERE {\n ?person rdfs:label \"John Scalzi\"@en\n ?person <born> ?place\n}",
	"SELECT * WHERE {\n ?tv rdf:type <TV>\n ?tv <size> ?size\n ?size <gt> 36^^<inch>\n}",
}

// answers runs every view query at index, retrying while the API server
// still routes to views that just stopped, and returns the sorted rows.
func (c *viewCluster) answers(index uint64) []string {
	c.t.Helper()
	var out []string
	testutil.Eventually(c.t, 30*time.Second, 100*time.Millisecond, func() error {
		out = nil
		for _, q := range viewQueries {
			rows, err := c.query(q, index)
			if err != nil {
				return err
			}
			out = append(out, fmt.Sprintf("%s => %d rows\n%s", q, len(rows), strings.Join(rows, "\n")))
		}
		return nil
	})
	return out
}

func (c *viewCluster) query(q string, index uint64) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	st, err := c.apic.Query(ctx, &wire.QueryRequest{Query: q, Index: index})
	if err != nil {
		return nil, err
	}
	var rows []string
	for {
		chunk, err := st.Recv()
		if errors.Is(err, io.EOF) {
			sort.Strings(rows)
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("query %q: %w", q, err)
		}
		for _, r := range chunk.Rows {
			var cells []string
			for _, v := range r.Values {
				cells = append(cells, v.Text)
			}
			rows = append(rows, strings.Join(cells, "\t"))
		}
	}
}

// truncate discards the log before firstKept and waits until reading
// index 1 fails on every replica.
func (c *viewCluster) truncate(firstKept uint64) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := c.logs.Servers[0].Truncate(ctx, wire.TruncateMode_TRUNCATE_FORCE, firstKept); err != nil {
		c.t.Fatal(err)
	}
	for _, addr := range c.logs.Addrs() {
		lc, err := logclient.New([]string{addr})
		if err != nil {
			c.t.Fatal(err)
		}
		testutil.Eventually(c.t, 15*time.Second, 20*time.Millisecond, func() error {
			info, err := lc.Info(ctx, false)
			if err != nil || info.FirstIndex < firstKept {
				return fmt.Errorf("replica %s still starts at %v (%v)", addr, info.GetFirstIndex(), err)
			}
			return nil
		})
		lc.Close()
	}
}

// digest asks a view for its digest at index.
func (c *viewCluster) digest(name string, index uint64) uint64 {
	c.t.Helper()
	conn, err := grpc.NewClient(c.views[name].srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		c.t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	reply, err := wire.NewViewBootClient(conn).Digest(ctx, &wire.DigestRequest{Index: index})
	if err != nil {
		c.t.Fatalf("digest of view %s at %d: %v", name, index, err)
	}
	return reply.Digest
}

// counter reads a view metric's value, summed over its label values.
func (c *viewCluster) counter(name, metric string) float64 {
	c.t.Helper()
	families, err := c.views[name].reg.Gather()
	if err != nil {
		c.t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != metric {
			continue
		}
		for _, m := range f.Metric {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

func sameAnswers(t *testing.T, what string, got, want []string) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: query %d answers\n%s\nwant\n%s", what, i, got[i], want[i])
		}
	}
}

// TestViewBootsFromPeersAfterTruncation: once the log no longer starts at
// index 1, a new view loads its range from the existing view, tails the
// log, and then answers exactly like the view it replaces.
func TestViewBootsFromPeersAfterTruncation(t *testing.T) {
	harness.SkipIfShort(t)
	c := newViewCluster(t)
	c.startSpaces(2)
	c.truncate(c.insertFacts(600)) // keep only the last entry

	old, fresh := "hashsp-1-of-2", "hashsp-1-of-2-b"
	c.start(fresh, space.HashSP, partition(t, 1, 2))
	last := c.insertFacts(150) // while it boots: it tails these from the log
	c.waitServing(fresh)
	testutil.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		if a := c.views[fresh].srv.Applied(); a < last {
			return fmt.Errorf("applied %d of %d", a, last)
		}
		return nil
	})
	want := c.answers(last)
	if n := c.counter(fresh, "akutan_view_boots_total"); n != 1 {
		t.Fatalf("the new view booted %v times from peers, want 1", n)
	}
	if n := c.counter(fresh, "akutan_view_boot_loaded_keys_total"); n < 500 {
		t.Fatalf("the new view loaded %v keys from its peer, want more", n)
	}
	if d, want := c.digest(fresh, last), c.digest(old, last); d != want {
		t.Fatalf("digest at %d: new view %x, old view %x", last, d, want)
	}
	c.stop(old)
	sameAnswers(t, "after replacing a view by one booted from it", c.answers(last), want)
}

// TestThreeWaySpaceBootsFromTwoWay: a 3-way partitioning loads from a
// 2-way one whose ranges do not line up, and answers the same.
func TestThreeWaySpaceBootsFromTwoWay(t *testing.T) {
	harness.SkipIfShort(t)
	c := newViewCluster(t)
	c.startSpaces(2)
	last := c.insertFacts(600)
	c.truncate(last)
	want := c.answers(last)
	var twoWay uint64
	for i := 1; i <= 2; i++ {
		twoWay += c.digest(fmt.Sprintf("hashsp-%d-of-2", i), last)
	}
	var threeWay uint64
	for i := 1; i <= 3; i++ {
		c.start(fmt.Sprintf("hashsp-%d-of-3", i), space.HashSP, partition(t, i, 3))
	}
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("hashsp-%d-of-3", i)
		c.waitServing(name)
		threeWay += c.digest(name, last)
	}
	// Digests add up over disjoint ranges: the 3-way views hold exactly
	// what the 2-way ones hold.
	if threeWay != twoWay {
		t.Fatalf("the 3-way views' digests add up to %x, the 2-way views' to %x", threeWay, twoWay)
	}
	c.stop("hashsp-1-of-2")
	c.stop("hashsp-2-of-2")
	sameAnswers(t, "with a 3-way hashsp space booted from a 2-way one", c.answers(last), want)
}

// TestCorruptViewRebuildsFromPeers: a view whose table files were damaged
// while it was stopped refuses its data on restart, moves it aside, loads
// from its peer and ends with the peer's digest.
func TestCorruptViewRebuildsFromPeers(t *testing.T) {
	harness.SkipIfShort(t)
	c := newViewCluster(t)
	c.startSpaces(2)
	c.start("hashpo-1-of-2-b", space.HashPO, partition(t, 1, 2))
	c.waitServing("hashpo-1-of-2-b")
	last := c.insertFacts(600)
	testutil.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		if a := c.views["hashpo-1-of-2-b"].srv.Applied(); a < last {
			return fmt.Errorf("applied %d of %d", a, last)
		}
		return nil
	})
	c.stop("hashpo-1-of-2-b")
	dir := c.views["hashpo-1-of-2-b"].cfg.Dir
	viewstoretest.CorruptTables(t, dir)

	c.restart("hashpo-1-of-2-b")
	c.waitServing("hashpo-1-of-2-b")
	if n := c.counter("hashpo-1-of-2-b", "akutan_view_store_corruptions_total"); n != 1 {
		t.Fatalf("corruptions found: %v, want 1", n)
	}
	if aside, _ := filepath.Glob(dir + ".corrupt-*"); len(aside) != 1 {
		t.Fatalf("damaged directories kept aside: %v, want 1", aside)
	}
	if d, want := c.digest("hashpo-1-of-2-b", last), c.digest("hashpo-1-of-2", last); d != want {
		t.Fatalf("digest after rebuilding: %x, peer's %x", d, want)
	}
}

// TestCtlVerify: `akutan ctl verify` agrees with healthy replicas and
// finds a replica that diverged while staying consistent with itself.
func TestCtlVerify(t *testing.T) {
	harness.SkipIfShort(t)
	c := newViewCluster(t)
	c.startSpaces(2)
	c.start("hashsp-2-of-2-b", space.HashSP, partition(t, 2, 2))
	c.waitServing("hashsp-2-of-2-b")
	last := c.insertFacts(200)
	out, errOut, err := harness.Run(t, bin, "ctl", "verify", "--api", c.api.GRPCAddr())
	if err != nil || !strings.Contains(out, "all 4 ranges agree") || strings.Count(out, " OK") != 5 {
		t.Fatalf("verify of a healthy cluster: %v\n%s%s", err, out, errOut)
	}

	c.stop("hashsp-2-of-2-b")
	bogus := storage.Fact{Index: last, ID: 1<<63 | 5, Subject: 1 << 62, Predicate: 1, Object: storage.ABool(true)}
	for storage.HashSP(bogus.Subject, bogus.Predicate) < partition(t, 2, 2).Start {
		bogus.Subject++
	}
	viewstoretest.InsertUndetected(t, c.views["hashsp-2-of-2-b"].cfg.Dir, storage.AppendSPKey(nil, bogus, false))
	c.restart("hashsp-2-of-2-b")
	c.waitServing("hashsp-2-of-2-b")
	out, errOut, err = harness.Run(t, bin, "ctl", "verify", "--api", c.api.GRPCAddr())
	t.Logf("akutan ctl verify with a diverged replica:\n%s%s", out, errOut)
	if err == nil || strings.Count(out, "MISMATCH") != 2 || !strings.Contains(errOut, "1 of 4 ranges disagree") {
		t.Fatalf("verify with a diverged replica: %v\n%s%s", err, out, errOut)
	}
}
