package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/tests/harness"
)

// startLocal runs `akutan local` on free ports with data in dir.
func startLocal(t *testing.T, dir string) (p *harness.Process, api, httpAddr string) {
	t.Helper()
	addrs := harness.FreeAddrs(t, 2)
	api, httpAddr = addrs[0], addrs[1]
	p = harness.Start(t, bin, "local", "local", "--dir", dir, "--api-addr", api, "--http-addr", httpAddr)
	harness.WaitTCP(t, api, 60*time.Second)
	waitForQuery(t, api)
	return p, api, httpAddr
}

func TestLocalInsertQueryAndCrashRecovery(t *testing.T) {
	harness.SkipIfShort(t)
	dir := filepath.Join(t.TempDir(), "data")
	p, api, _ := startLocal(t, dir)

	out := akutan(t, "insert", "--api", api, testdata("example_data.tsv"))
	if !strings.Contains(out, "inserted 27 facts") || !strings.Contains(out, "log index") {
		t.Fatalf("insert printed %q; want 27 facts and the log index", out)
	}
	if got := queryTSV(t, api, "fp_01.bql"); got != fp01Want {
		t.Fatalf("fp_01 = %q, want %q", got, fp01Want)
	}
	// Inserting the same facts again is a no-op.
	if out := akutan(t, "insert", "--api", api, testdata("example_data.tsv")); !strings.Contains(out, "inserted 0 facts (27 already present)") {
		t.Fatalf("second insert printed %q; want 0 new facts", out)
	}

	// kill -9 after the acknowledged insert, then restart on the same dir.
	p.Kill()
	p.Restart(t)
	harness.WaitTCP(t, api, 60*time.Second)
	waitForQuery(t, api)
	if got := queryTSV(t, api, "fp_01.bql"); got != fp01Want {
		t.Fatalf("after kill -9 and restart, fp_01 = %q, want %q", got, fp01Want)
	}
}

func TestMalformedInsertIsRejectedWhole(t *testing.T) {
	harness.SkipIfShort(t)
	_, api, _ := startLocal(t, filepath.Join(t.TempDir(), "data"))
	bad := filepath.Join(t.TempDir(), "bad.tsv")
	data := "<Alice> <knows> <Bob>\n<Bob> <knows>\n<Carol> <knows> <Dave>\n"
	if err := os.WriteFile(bad, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, err := harness.Run(t, bin, "insert", "--api", api, bad)
	if err == nil {
		t.Fatal("inserting a malformed file succeeded")
	}
	if !strings.Contains(errOut, "line 2") {
		t.Fatalf("error %q does not name line 2", errOut)
	}
	// Nothing of the request was applied, and the server still answers.
	got := akutan(t, "query", "--api", api, "--format", "tsv", "-e", "ASK WHERE { <Alice> <knows> ?x }")
	if got != "result\nfalse\n" {
		t.Fatalf("after the rejected insert, ASK = %q; want false", got)
	}
	akutan(t, "insert", "--api", api, testdata("example_data.tsv"))
	if got := queryTSV(t, api, "fp_01.bql"); got != fp01Want {
		t.Fatalf("fp_01 = %q, want %q", got, fp01Want)
	}
}

func TestLocalHTTP(t *testing.T) {
	harness.SkipIfShort(t)
	_, api, httpAddr := startLocal(t, filepath.Join(t.TempDir(), "data"))
	akutan(t, "insert", "--api", api, testdata("example_data.tsv"))
	base := "http://" + httpAddr
	for _, path := range []string{"/healthz", "/metrics"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
	}
	q, _ := os.ReadFile(testdata("fp_01.bql"))
	body, _ := json.Marshal(map[string]any{"query": string(q)})
	resp, err := http.Post(base+"/v1/query", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var res struct {
		Index   uint64
		Columns []string
		Rows    [][]*string
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	if len(res.Rows) != 1 || *res.Rows[0][0] != "<John_Scalzi>" || res.Columns[1] != "place" || res.Index == 0 {
		t.Fatalf("POST /v1/query = %s", raw)
	}
	resp2, err := http.Post(base+"/v1/insert", "text/plain", strings.NewReader("<a> <b>\n"))
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusBadRequest {
		t.Fatalf("POST /v1/insert of a bad line: %s, want 400", resp2.Status)
	}
}

// TestQueryWithoutVariables checks that a SELECT with no variable answers
// an empty column list, not null, over HTTP and in the CLI's JSON, and
// that the header still counts as a line of TSV.
func TestQueryWithoutVariables(t *testing.T) {
	harness.SkipIfShort(t)
	_, api, httpAddr := startLocal(t, filepath.Join(t.TempDir(), "data"))
	akutan(t, "insert", "--api", api, testdata("example_data.tsv"))
	const q = "SELECT * WHERE { <John_Scalzi> <born> <Fairfield> }"
	body, _ := json.Marshal(map[string]any{"query": q})
	resp, err := http.Post("http://"+httpAddr+"/v1/query", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var res struct {
		Index   uint64
		Columns *[]string
		Rows    [][]*string
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	if res.Columns == nil || len(*res.Columns) != 0 || len(res.Rows) != 1 || len(res.Rows[0]) != 0 || res.Index == 0 {
		t.Fatalf("POST /v1/query %q = %s; want \"columns\": [], one empty row and the index", q, raw)
	}
	out := akutan(t, "query", "--api", api, "--format", "json", "-e", q)
	if !strings.Contains(out, `"columns": []`) || !strings.Contains(out, `"rows": [`+"\n    []\n  ]") {
		t.Fatalf("akutan query --format json printed %s; want \"columns\": [] and one empty row", out)
	}
	if out := akutan(t, "query", "--api", api, "--format", "tsv", "-e", q); out != "\n\n" {
		t.Fatalf("akutan query --format tsv printed %q; want an empty header line and an empty row", out)
	}
}
