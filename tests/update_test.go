package tests

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/tests/harness"
	"github.com/akutan-dev/akutan/wire"
)

func apiClient(t *testing.T, addr string) wire.APIClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return wire.NewAPIClient(conn)
}

// rows runs a query through gRPC and returns its rows as text.
func rows(ctx context.Context, api wire.APIClient, query string) ([][]string, error) {
	return harness.QueryRows(ctx, api, query)
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Two clients inserting the same new name at once, through two different
// API servers, must create one entity and one fact: the second transaction
// sees, when it validates, that the first created the name, and retries.
func TestConcurrentInsertsOfANewNameMakeOneEntity(t *testing.T) {
	harness.SkipIfShort(t)
	c := startCluster(t)
	addrs := harness.FreeAddrs(t, 2)
	c.startAPI(t, "api-2", addrs[0], addrs[1])
	waitForQuery(t, addrs[0])
	const rounds = 100
	for i := 0; i < rounds; i++ {
		file := writeFile(t, fmt.Sprintf("banana-%d.tsv", i), fmt.Sprintf("<banana-%d> <color> <yellow>\n", i))
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j, api := range []string{c.apiAddr, addrs[0]} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errOut, err := harness.Run(t, bin, "insert", "--api", api, file)
				if err != nil {
					errs[j] = fmt.Errorf("%v: %s", err, errOut)
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
	}
	api := apiClient(t, c.apiAddr)
	ctx := context.Background()
	facts, err := rows(ctx, api, "SELECT ?e WHERE { ?e <color> <yellow> }")
	if err != nil {
		t.Fatal(err)
	}
	names, err := rows(ctx, api, "SELECT ?n WHERE { ?e <HasExternalID> ?n }")
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range names {
		count[r[0]]++
	}
	for i := 0; i < rounds; i++ {
		if n := count[fmt.Sprintf(`"banana-%d"`, i)]; n != 1 {
			t.Errorf("banana-%d has %d entities, want 1", i, n)
		}
	}
	if count[`"yellow"`] != 1 || count[`"color"`] != 1 {
		t.Errorf("yellow has %d entities and color %d, want 1 each", count[`"yellow"`], count[`"color"`])
	}
	if len(facts) != rounds {
		t.Errorf("found %d <color> <yellow> facts, want %d", len(facts), rounds)
	}
}

// A deleted fact stops matching at the delete's index, still matches
// before it, and views booted from peers afterwards agree.
func TestDeleteHistoryAndBootedViews(t *testing.T) {
	harness.SkipIfShort(t)
	c := startCluster(t)
	out := akutan(t, "insert", "--api", c.apiAddr, testdata("example_data.tsv"))
	before := logIndex(t, out)
	akutan(t, "delete", "--api", c.apiAddr, writeFile(t, "del.tsv", "<John_Scalzi> <born> <Fairfield>\n"))
	check := func(api string) {
		t.Helper()
		if got := queryTSV(t, api, "fp_01.bql"); got != "person\tplace\n" {
			t.Fatalf("after the delete, fp_01 = %q, want no rows", got)
		}
		if got := queryTSV(t, api, "fp_01.bql", "--index", fmt.Sprint(before)); got != fp01Want {
			t.Fatalf("at index %d, before the delete, fp_01 = %q, want %q", before, got, fp01Want)
		}
	}
	check(c.apiAddr)

	// New replicas of every partition boot from the old ones; then the old
	// ones die and the new ones alone must give the same answers.
	addrs := harness.FreeAddrs(t, 8)
	i := 0
	for _, space := range []string{"hashsp", "hashpo"} {
		for p := 1; p <= 2; p++ {
			harness.Start(t, bin, fmt.Sprintf("view-%s-%d-new", space, p), "view",
				"--space", space, "--partition", fmt.Sprintf("%d/2", p),
				"--dir", filepath.Join(c.dir, fmt.Sprintf("view-%s-%d-new", space, p)),
				"--grpc-addr", addrs[i], "--log", strings.Join(c.logAddrs, ","),
				"--gossip-addr", addrs[4+i], "--gossip-join", c.apiGossip)
			i++
		}
	}
	testutil.Eventually(t, 60*time.Second, 500*time.Millisecond, func() error {
		out, _, err := harness.Run(t, bin, "status", "--api", c.apiAddr, "--json")
		if err != nil {
			return err
		}
		if !strings.Contains(out, `"min_up_to_date": 2`) || strings.Contains(out, `"min_up_to_date": 1`) {
			return fmt.Errorf("new views not yet up to date")
		}
		return nil
	})
	for _, v := range c.views {
		v.Kill()
	}
	testutil.Eventually(t, 30*time.Second, 250*time.Millisecond, func() error {
		_, errOut, err := harness.Run(t, bin, "query", "--api", c.apiAddr, "--timeout", "5s", testdata("fp_01.bql"))
		if err != nil {
			return fmt.Errorf("%v: %s", err, errOut)
		}
		return nil
	})
	check(c.apiAddr)
}

// A transaction whose client died before deciding it blocks the lookups
// that touch its keys only until the transaction timer aborts it; then
// none of it is visible. Separately, kill -9 of an API server in the
// middle of a stream of updates leaves each update all there or not at all.
func TestAbandonedTransactionIsAborted(t *testing.T) {
	harness.SkipIfShort(t)
	c := startCluster(t, "--tx-timeout", "2s")
	lc, err := logclient.New(c.logAddrs)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	ctx := context.Background()
	readIndex, err := lc.LastIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A filler entry first, so the transaction cannot commit by itself.
	appendEntries(t, lc, &wire.LogEntry{Command: &wire.LogEntry_Insert{Insert: &wire.InsertTx{}}})
	appendEntries(t, lc, &wire.LogEntry{Command: &wire.LogEntry_Update{Update: ghostTx(readIndex)}})

	api := apiClient(t, c.apiAddr)
	start := time.Now()
	got, err := rows(ctx, api, `SELECT ?e WHERE { ?e <HasExternalID> "ghost" }`)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("the abandoned transaction's entity is visible: %v", got)
	}
	t.Logf("the lookup waited %v for the transaction timer", time.Since(start))

	killAPIDuringUpdates(t, c)
}

// ghostTx creates entity "ghost" (offset 1) with its name fact (offset 2).
func ghostTx(readIndex uint64) *wire.UpdateTx {
	return &wire.UpdateTx{ReadIndex: readIndex, Inserts: []*wire.InsertFact{{
		FactOffset: 2, Subject: logentry.OffsetRef(1), Predicate: logentry.KIDRef(1),
		Object: &wire.LogObject{Value: &wire.LogObject_Str{Str: "ghost"}},
	}}}
}

func appendEntries(t *testing.T, lc *logclient.Client, e *wire.LogEntry) {
	t.Helper()
	data, err := logentry.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := lc.Append(context.Background(), [][]byte{data}); err != nil {
		t.Fatal(err)
	}
}

// killAPIDuringUpdates runs updates of two facts each through a second API
// server, kills it with kill -9 mid-stream, and checks every update is
// visible whole or not at all.
func killAPIDuringUpdates(t *testing.T, c *cluster) {
	addrs := harness.FreeAddrs(t, 2)
	victim := c.startAPI(t, "api-victim", addrs[0], addrs[1], "--tx-timeout", "2s")
	waitForQuery(t, addrs[0])
	api := apiClient(t, addrs[0])
	var started atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			started.Store(int64(i + 1))
			_, err := api.Insert(context.Background(), &wire.InsertRequest{Format: "tsv",
				Data: fmt.Sprintf("<item-%d> <a> %d\n<item-%d> <b> %d\n", i, i, i, i)})
			if err != nil {
				return
			}
		}
	}()
	time.Sleep(1500 * time.Millisecond)
	victim.Kill()
	<-done
	time.Sleep(3 * time.Second) // past the transaction timeout
	a, err := rows(context.Background(), apiClient(t, c.apiAddr), "SELECT ?x WHERE { ?x <a> ?v }")
	if err != nil {
		t.Fatal(err)
	}
	b, err := rows(context.Background(), apiClient(t, c.apiAddr), "SELECT ?x WHERE { ?x <b> ?v }")
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("after kill -9 of the API mid-stream: %d items have <a> and %d have <b>; want equal and > 0 (started %d)", len(a), len(b), started.Load())
	}
	t.Logf("%d updates were whole; %d were started", len(a), started.Load())
}

// Eight readers never see an update half done while two writers each move
// a counter forward 500 times (delete the old value, insert the new one).
func TestUpdatesAreNeverSeenHalfDone(t *testing.T) {
	harness.SkipIfShort(t)
	_, addr, _ := startLocal(t, filepath.Join(t.TempDir(), "data"))
	api := apiClient(t, addr)
	ctx := context.Background()
	if _, err := api.Insert(ctx, &wire.InsertRequest{Data: "<c0> <value> 0\n<c1> <value> 0\n"}); err != nil {
		t.Fatal(err)
	}
	const updates = 500
	var writers, readers sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 16)
	for w := 0; w < 2; w++ {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for v := 0; v < updates; v++ {
				text := fmt.Sprintf("DELETE DATA { <c%d> <value> %d } ; INSERT DATA { <c%d> <value> %d }", w, v, w, v+1)
				if _, err := api.Update(ctx, &wire.InsertRequest{Format: "sparql", Data: text}); err != nil {
					errs <- fmt.Errorf("writer %d, update %d: %w", w, v, err)
					return
				}
			}
		}()
	}
	var checks atomic.Int64
	for r := 0; r < 8; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				got, err := rows(ctx, api, "SELECT ?c ?v WHERE { ?c <value> ?v }")
				if err != nil {
					errs <- err
					return
				}
				if len(got) != 2 || got[0][0] == got[1][0] {
					errs <- fmt.Errorf("reader saw %v: want exactly one value per counter", got)
					return
				}
				checks.Add(1)
			}
		}()
	}
	writers.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	final, err := rows(ctx, api, "SELECT ?c ?v WHERE { ?c <value> ?v }")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range final {
		if r[1] != fmt.Sprint(updates) {
			t.Fatalf("final values %v, want %d each", final, updates)
		}
	}
	t.Logf("%d reads checked the invariant during %d updates", checks.Load(), 2*updates)
}
