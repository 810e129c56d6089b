package tests

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/tests/harness"
	"github.com/akutan-dev/akutan/wire"
)

// descOf is the 5 KB literal of fact i: distinct, and exact to compare.
func descOf(i int) string {
	return fmt.Sprintf("d%05d-", i) + strings.Repeat(string(rune('a'+i%26)), 5<<10)
}

// TestLargeLiterals: 2,200 facts with 5 KB literals (11 MB) load through
// the CLI's bulk loader, answer a LIMIT query and a full query with exact
// values, survive a wiped view booting from its peers (ctl verify agrees),
// and a 5 MB literal or a 50 MB HTTP body is refused at once, naming the
// limit, with nothing stored.
func TestLargeLiterals(t *testing.T) {
	harness.SkipIfShort(t)
	c := newViewCluster(t)
	c.startSpaces(2)
	c.start("hashpo-1-of-2-b", space.HashPO, partition(t, 1, 2))
	c.waitServing("hashpo-1-of-2-b")
	api := c.api.GRPCAddr()

	const n = 2200
	var nt strings.Builder
	for i := range n {
		fmt.Fprintf(&nt, "<http://x/s%d> <http://x/desc> %q .\n", i, descOf(i))
	}
	out := akutan(t, "insert", "--api", api, writeLoadInput(t, "large.nt", nt.String()))
	if !strings.Contains(out, fmt.Sprintf("loaded %d facts (%d new", n, n)) {
		t.Fatalf("load printed %q", out)
	}

	out = akutan(t, "query", "--api", api, "--format", "tsv", "-e", "SELECT ?s WHERE { ?s <http://x/desc> ?o } LIMIT 5")
	if rows := strings.Count(out, "\n") - 1; rows != 5 {
		t.Fatalf("LIMIT 5 returned %d rows:\n%.500s", rows, out)
	}
	checkAllDescs(t, c, n)

	// A wiped view boots from its peers and agrees with them.
	c.stop("hashpo-1-of-2-b")
	if err := os.RemoveAll(c.views["hashpo-1-of-2-b"].cfg.Dir); err != nil {
		t.Fatal(err)
	}
	c.restart("hashpo-1-of-2-b")
	c.waitServing("hashpo-1-of-2-b")
	// A load that fails part-way is retried, so count loads, not one: the
	// point is that the view rebuilt from peers and agrees with them.
	boots := c.counter("hashpo-1-of-2-b", "akutan_view_boots_total")
	if boots < 1 {
		t.Fatalf("the wiped view serves without having loaded from peers")
	}
	t.Logf("the wiped view loaded from peers (%v load attempts)", boots)
	out = akutan(t, "ctl", "verify", "--api", api)
	if !strings.Contains(out, "all 4 ranges agree") {
		t.Fatalf("ctl verify after the wiped view booted:\n%s", out)
	}

	before := lastIndex(t, c)
	checkOversizedLiteral(t, api)
	checkOversizedBody(t, c.api.HTTPAddr())
	if after := lastIndex(t, c); after != before {
		t.Fatalf("the log went from %d to %d entries while refusing oversized requests", before, after)
	}
}

// checkAllDescs runs the full query through the test's own gRPC client,
// which keeps gRPC's default 4 MiB receive limit, and compares every value.
func checkAllDescs(t *testing.T, c *viewCluster, n int) {
	t.Helper()
	rows, err := c.query("SELECT ?s ?o WHERE { ?s <http://x/desc> ?o }", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n {
		t.Fatalf("the full query returned %d rows, want %d", len(rows), n)
	}
	got := map[string]bool{}
	for _, r := range rows {
		got[r] = true
	}
	for i := range n {
		if want := fmt.Sprintf("<http://x/s%d>\t%q", i, descOf(i)); !got[want] {
			t.Fatalf("row %d missing or changed: want %.60s...", i, want)
		}
	}
}

// checkOversizedLiteral: a 5 MB literal fails at once through the CLI,
// with the limit and the line named.
func checkOversizedLiteral(t *testing.T, api string) {
	t.Helper()
	tsv := "<big> <desc> \"small\"\n<big> <desc> \"" + strings.Repeat("x", 5<<20) + "\"\n"
	start := time.Now()
	_, errOut, err := harness.Run(t, bin, "insert", "--api", api, writeLoadInput(t, "big.tsv", tsv))
	took := time.Since(start)
	if err == nil || !strings.Contains(errOut, fmt.Sprint(storage.MaxLiteralBytes)) || !strings.Contains(errOut, "line 2") {
		t.Fatalf("inserting a 5 MB literal: %v\n%s", err, errOut)
	}
	if strings.Contains(errOut, "running") || took > 10*time.Second {
		t.Fatalf("inserting a 5 MB literal took %v and said:\n%s", took, errOut)
	}
	t.Logf("a 5 MB literal is refused in %v: %s", took.Round(time.Millisecond), strings.TrimSpace(errOut))
}

// checkOversizedBody: a 50 MB HTTP body gets 413 at once, naming the
// limit.
func checkOversizedBody(t *testing.T, httpAddr string) {
	t.Helper()
	body := bytes.Repeat([]byte("<a> <b> <c>\n"), 50<<20/12)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+httpAddr+"/v1/insert", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("posting 50 MB: %v", err)
	}
	defer resp.Body.Close()
	var reply bytes.Buffer
	_, _ = reply.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(reply.String(), fmt.Sprint(wire.MaxRequestBytes)) {
		t.Fatalf("posting 50 MB: %d %s", resp.StatusCode, reply.String())
	}
	if took > 10*time.Second {
		t.Fatalf("refusing 50 MB took %v", took)
	}
	t.Logf("a 50 MB body is refused in %v: %d %s", took.Round(time.Millisecond), resp.StatusCode, strings.TrimSpace(reply.String()))
}

func lastIndex(t *testing.T, c *viewCluster) uint64 {
	t.Helper()
	lc, err := logclient.New(c.logs.Addrs())
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	last, err := lc.LastIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return last
}
