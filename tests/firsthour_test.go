package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/tests/harness"
)

// noisyLine is a log line an operator would take for trouble: a warning,
// an error, or an info line carrying an error field.
var noisyLine = regexp.MustCompile(`\b(WRN|ERR|warn|error)\b`)

// TestLocalFirstHour walks through what a new user does first with
// akutan local, and checks that nothing on the way looks like trouble: no
// warning or error logged by a fresh start, nor by a clean Ctrl-C; flags
// after arguments; a JSON body sent without Content-Type; every
// component's metrics on the one HTTP port; the log replicas' gRPC
// addresses in akutan status.
func TestLocalFirstHour(t *testing.T) {
	harness.SkipIfShort(t)
	if out := akutan(t, "--version"); !strings.HasPrefix(out, "akutan version ") || !strings.Contains(out, "log format versions: ") {
		t.Errorf("akutan --version printed %q; want the version line first and the log format versions", out)
	}
	p, api, httpAddr := startLocal(t, filepath.Join(t.TempDir(), "data"))
	akutan(t, "insert", testdata("example_data.tsv"), "--api", api) // a flag after the argument

	// Flags after the query file.
	if got := akutan(t, "query", "--api", api, testdata("fp_01.bql"), "--format", "tsv"); got != fp01Want {
		t.Errorf("query FILE --format tsv = %q, want %q", got, fp01Want)
	}

	// curl -d '{"query": ...}': JSON without a JSON Content-Type; the
	// answer keeps < and > as they are.
	base := "http://" + httpAddr
	q, _ := os.ReadFile(testdata("fp_01.bql"))
	body, _ := json.Marshal(map[string]string{"query": string(q)})
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/query", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded") // curl -d's default
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(raw), `"<John_Scalzi>"`) {
		t.Errorf("POST /v1/query of JSON without Content-Type: %s\n%s", resp.Status, raw)
	}

	// Every component's metrics on the API's HTTP port.
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`(?m)^akutan_log_append_latency_seconds`, `(?m)^akutan_view_.*lag.*replica=`,
		`(?m)^go_goroutines `, `(?m)^process_cpu_seconds_total `, `(?m)^akutan_api_request_seconds`} {
		if !regexp.MustCompile(want).Match(raw) {
			t.Errorf("GET /metrics has no line matching %s", want)
		}
	}

	// The log replicas with their gRPC addresses.
	status, _, _ := harness.Run(t, bin, "status", "--api", api)
	if n := len(regexp.MustCompile(`(?m)^  replica \d+  raft \S+  grpc \S+`).FindAllString(status, -1)); n != 3 {
		t.Errorf("akutan status lists %d log replicas with a gRPC address, want 3:\n%s", n, status)
	}

	if err := p.Stop(); err != nil {
		t.Fatalf("stopping akutan local with SIGINT: %v", err)
	}
	out := p.Output()
	if !strings.Contains(out, "log replica stopped") {
		t.Errorf("akutan local did not log its stop:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if noisyLine.MatchString(line) {
			t.Errorf("akutan local logged: %s", line)
		}
	}
}
