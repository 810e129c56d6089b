package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/tests/harness"
	"github.com/akutan-dev/akutan/wire"
)

// kidIn returns a KID, well above any the test's inserts create, whose
// facts with predicate pred hash into r of HashSP.
func kidIn(t *testing.T, r space.Range, pred uint64) uint64 {
	t.Helper()
	for kid := uint64(1) << 50; kid < 1<<50+10000; kid++ {
		if r.Contains(storage.HashSP(kid, pred)) {
			return kid
		}
	}
	t.Fatalf("no KID hashes into %s", r)
	return 0
}

func partitionRange(t *testing.T, i, n int) space.Range {
	t.Helper()
	r, err := space.Partition(i, n)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// postQuery sends a query over HTTP and returns the status and the raw
// JSON answer.
func postQuery(t *testing.T, httpAddr, query string) (int, map[string]json.RawMessage) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+httpAddr+"/v1/query", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /v1/query %q: %v", query, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer to %q: %v", query, err)
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer to %q (HTTP %d) is not a JSON object: %v\n%s", query, resp.StatusCode, err, raw)
	}
	return resp.StatusCode, out
}

// TestUncoveredRangeFailsQueries (issue: a failure is never an answer):
// with both replicas of one HashSP range killed, ASK, COUNT and SELECT
// ... LIMIT over that range fail, through the command line (non-zero
// exit, nothing on standard output, in every format) and over HTTP (a 5xx
// and no rows), with an error naming the space and the range. ASK used to
// print false and COUNT 0. The other range still answers.
func TestUncoveredRangeFailsQueries(t *testing.T) {
	harness.SkipIfShort(t)
	c := startFanoutCluster(t, [][]string{nil},
		viewSpec{space: "hashsp", partition: "1/2"}, viewSpec{space: "hashsp", partition: "1/2"},
		viewSpec{space: "hashsp", partition: "2/2"}, viewSpec{space: "hashpo", partition: "1/1"})
	dead, alive := partitionRange(t, 1, 2), partitionRange(t, 2, 2)
	const pred = 1<<50 + 1
	inDead, inAlive := kidIn(t, dead, pred), kidIn(t, alive, pred)
	c.insert(fmt.Sprintf("#%d #%d 26\n#%d #%d 26\n", inDead, pred, inAlive, pred))
	ask := func(kid uint64) string { return fmt.Sprintf("ASK WHERE { #%d #%d 26 }", kid, pred) }
	api := c.apis[0]
	for _, kid := range []uint64{inDead, inAlive} {
		if out := akutan(t, "query", "--api", api.grpc, "--format", "tsv", "-e", ask(kid)); out != "result\ntrue\n" {
			t.Fatalf("%s before the kill = %q, want true", ask(kid), out)
		}
	}
	c.views[0].proc.Kill()
	c.views[1].proc.Kill()

	for _, query := range []string{
		ask(inDead),
		fmt.Sprintf("ASK WHERE { #%d #%d 27 }", inDead, pred),
		fmt.Sprintf("SELECT (COUNT(?o) AS ?n) WHERE { #%d #%d ?o }", inDead, pred),
		fmt.Sprintf("SELECT ?o WHERE { #%d #%d ?o } LIMIT 1", inDead, pred),
	} {
		for _, format := range []string{"table", "tsv", "json"} {
			ctx, cancel := context.WithTimeout(context.Background(), harness.DefaultRunTimeout)
			stdout, stderr, err := harness.RunContext(ctx, bin, "query", "--api", api.grpc, "--format", format, "-e", query)
			cancel()
			switch {
			case err == nil:
				t.Fatalf("akutan query --format %s %q succeeded with hashsp %s down:\n%s", format, query, dead, stdout)
			case stdout != "":
				t.Fatalf("akutan query --format %s %q failed but printed on standard output:\n%s", format, query, stdout)
			case !strings.Contains(stderr, "hashsp") || !strings.Contains(stderr, dead.String()):
				t.Fatalf("akutan query --format %s %q: error does not name hashsp %s:\n%s", format, query, dead, stderr)
			}
		}
		code, body := postQuery(t, api.http, query)
		if code < 500 || body["rows"] != nil {
			t.Fatalf("POST /v1/query %q = HTTP %d %v, want a 5xx without rows", query, code, body)
		}
		if msg := string(body["error"]); !strings.Contains(msg, "hashsp") || !strings.Contains(msg, dead.String()) {
			t.Fatalf("POST /v1/query %q: error %s does not name hashsp %s", query, msg, dead)
		}
	}
	if out := akutan(t, "query", "--api", api.grpc, "--format", "tsv", "-e", ask(inAlive)); out != "result\ntrue\n" {
		t.Fatalf("%s over the range still up = %q, want true", ask(inAlive), out)
	}
}

// failoverQueries mixes SELECT, ASK and COUNT queries of the fanout data,
// each with its expected answer: point and whole-subject SELECTs, ASKs
// that are true and false, and COUNTs over one and over all predicates.
func failoverQueries() []fanoutQuery {
	out := fanoutQueries()
	_, objects := fanoutData()
	for s := range 20 {
		for p := range 3 {
			out = append(out,
				fanoutQuery{fmt.Sprintf("ASK WHERE { <s%d> <p%d> <%s> }", s, p, objects(s, p)[1]), "true"},
				fanoutQuery{fmt.Sprintf("ASK WHERE { <s%d> <p%d> <%s> }", s, p, objects((s+1)%20, p)[0]), "false"},
				fanoutQuery{fmt.Sprintf("SELECT (COUNT(?o) AS ?n) WHERE { <s%d> <p%d> ?o }", s, p), "2"})
		}
		// Six facts and the subject's name.
		out = append(out, fanoutQuery{fmt.Sprintf("SELECT (COUNT(*) AS ?n) WHERE { <s%d> ?p ?o }", s), "7"})
	}
	return out
}

// checkedQueries runs queries over HTTP from several clients and counts
// the failures and the wrong answers apart.
type checkedQueries struct {
	httpAddr string
	queries  []fanoutQuery

	mu            sync.Mutex
	failed, wrong []error
	ran           int
}

// run runs n queries over clients clients, starting one every interval
// at most, so that they span the kills and restarts.
func (q *checkedQueries) run(n, clients int, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				<-tick.C
				q.one(q.queries[int(i)%len(q.queries)])
			}
		}()
	}
	wg.Wait()
}

func (q *checkedQueries) one(fq fanoutQuery) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rows, err := httpQuery(ctx, q.httpAddr, fq.query)
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ran++
	switch {
	case err != nil:
		q.failed = append(q.failed, fmt.Errorf("%s: %w", fq.query, err))
	case flat(rows) != fq.want:
		q.wrong = append(q.wrong, fmt.Errorf("%s: got %q, want %q", fq.query, flat(rows), fq.want))
	}
}

// waitServing waits until the restarted view answers that it serves and
// gossip (as this test sees it) lists it serving.
func (c *fanoutCluster) waitServing(v *fanoutView) {
	c.t.Helper()
	conn, err := grpc.NewClient(v.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		c.t.Fatal(err)
	}
	defer conn.Close()
	view := wire.NewViewClient(conn)
	testutil.Eventually(c.t, 60*time.Second, 50*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		st, err := view.Status(ctx, &wire.ViewStatusRequest{})
		if err != nil {
			return err
		}
		if !st.Serving {
			return fmt.Errorf("view %s does not serve yet", v.grpc)
		}
		for _, m := range c.watch.Members() {
			if m.Meta.GRPCAddr == v.grpc && m.Meta.Serving {
				return nil
			}
		}
		return fmt.Errorf("gossip does not list view %s serving", v.grpc)
	})
}

// failoverQueryCount is the number of queries TestRestartedReplicasFailNoQuery
// runs: $AKUTAN_FAILOVER_QUERIES, 1,000 by default.
func failoverQueryCount(t *testing.T) int {
	n := 1000
	if s := os.Getenv("AKUTAN_FAILOVER_QUERIES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			t.Fatalf("AKUTAN_FAILOVER_QUERIES=%q: want a positive number", s)
		}
	}
	return n
}

// TestRestartedReplicasFailNoQuery (issue: seamless failover): with two
// replicas of every range, a killer takes the ranges in turn: it kills one
// replica with -9, leaves it down long enough for the API server's
// connection to it to back off, restarts it, waits until it serves again,
// and then at once does the same to the other replica, so the restarted
// one must take over the range the moment it is back. Meanwhile 1,000
// queries (SELECT, ASK and COUNT, with known answers) run from 4 clients
// at about 40 a second: none may fail or answer wrongly.
func TestRestartedReplicasFailNoQuery(t *testing.T) {
	harness.SkipIfShort(t)
	c := startFanoutCluster(t, [][]string{nil}, twoReplicasOfEveryRange()...)
	tsv, _ := fanoutData()
	c.insert(tsv)
	n := failoverQueryCount(t)
	q := &checkedQueries{httpAddr: c.apis[0].http, queries: failoverQueries()}
	start := time.Now()
	queriesDone := make(chan struct{})
	go func() {
		defer close(queriesDone)
		q.run(n, 4, 25*time.Millisecond)
	}()
	restarts, duringQueries := 0, 0
	for ; restarts < len(c.views) || !closed(queriesDone); restarts++ {
		victim := c.views[restarts%len(c.views)] // both replicas of a range, then the next range
		victim.proc.Kill()
		down := time.NewTimer(1500 * time.Millisecond)
		<-down.C
		victim.proc.Restart(t)
		c.waitServing(victim)
		if !closed(queriesDone) {
			duringQueries++
		}
	}
	<-queriesDone
	t.Logf("%d queries (of %d SELECT, ASK and COUNT queries) in %v; %d views killed and restarted, %d of them while queries ran: %d failed, %d wrong",
		q.ran, len(q.queries), time.Since(start).Round(time.Millisecond), restarts, duringQueries, len(q.failed), len(q.wrong))
	for _, err := range append(q.failed, q.wrong...) {
		t.Error(err)
	}
	if q.ran != n {
		t.Fatalf("ran %d queries, want %d", q.ran, n)
	}
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
