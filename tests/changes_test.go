package tests

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/tests/harness"
)

// feedPatch is one RDF Patch transaction of `akutan changes`.
type feedPatch struct {
	index      uint64
	adds, dels []string // N-Triples lines
}

var patchID = regexp.MustCompile(`^H id <urn:akutan:index:(\d+)> \.$`)

// parsePatches reads the complete patches (through TC) of a consumer's
// output; a patch cut short by a kill is left out.
func parsePatches(t *testing.T, out string) []feedPatch {
	t.Helper()
	var done []feedPatch
	var cur *feedPatch
	for _, line := range strings.Split(out, "\n") {
		switch {
		case patchID.MatchString(line):
			n, _ := strconv.ParseUint(patchID.FindStringSubmatch(line)[1], 10, 64)
			cur = &feedPatch{index: n}
		case cur == nil:
		case line == "TX .":
		case strings.HasPrefix(line, "A "):
			cur.adds = append(cur.adds, strings.TrimPrefix(line, "A "))
		case strings.HasPrefix(line, "D "):
			cur.dels = append(cur.dels, strings.TrimPrefix(line, "D "))
		case line == "TC .":
			done = append(done, *cur)
			cur = nil
		default:
			cur = nil // a line cut short
		}
	}
	return done
}

// exportAt exports the graph as N-Triples (as of index, 0: the last) and
// returns its triples and the index it was taken at.
func exportAt(t *testing.T, api string, index uint64) (map[string]bool, uint64) {
	t.Helper()
	args := []string{"export", "--api", api, "--format", "ntriples"}
	if index != 0 {
		args = append(args, "--index", fmt.Sprint(index))
	}
	out, errOut, err := harness.Run(t, bin, args...)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, errOut)
	}
	m := regexp.MustCompile(`as of log index (\d+)`).FindStringSubmatch(errOut)
	if m == nil {
		t.Fatalf("export printed %q on standard error; want the log index", errOut)
	}
	at, _ := strconv.ParseUint(m[1], 10, 64)
	set := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		if line != "" {
			set[line] = true
		}
	}
	return set, at
}

// contendedWrites runs writers that all move one shared fact (so that
// their transactions conflict and abort) and each record a marker of
// their own, until stopped; acked holds the markers of acknowledged
// updates. Markers are "w<writer>-<tag><n>": callers that start writers
// more than once against one database give each start its own tag, so
// that no marker is written twice.
type contendedWrites struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	acked  map[string]bool
	failed int
}

func startContendedWrites(endpoint string, writers int, tag string) *contendedWrites {
	ctx, cancel := context.WithCancel(context.Background())
	cw := &contendedWrites{cancel: cancel, acked: map[string]bool{}}
	for w := range writers {
		cw.wg.Add(1)
		go func() {
			defer cw.wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				marker := fmt.Sprintf("w%d-%s%d", w, tag, i)
				text := fmt.Sprintf(`DELETE { <http://t/c> <http://t/holder> ?x } INSERT { <http://t/c> <http://t/holder> %q . <http://t/w%d> <http://t/wrote> %q } WHERE { <http://t/c> <http://t/holder> ?x }`, marker, w, marker)
				ok := postUpdate(ctx, endpoint, text)
				cw.mu.Lock()
				if ok {
					cw.acked[marker] = true
				} else if ctx.Err() == nil {
					cw.failed++
				}
				cw.mu.Unlock()
			}
		}()
	}
	return cw
}

func postUpdate(ctx context.Context, endpoint, text string) bool {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(text))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/sparql-update")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

func (cw *contendedWrites) stop() {
	cw.cancel()
	cw.wg.Wait()
}

func (cw *contendedWrites) count() int {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	return len(cw.acked)
}

// countAborts counts the transactions the log aborted (by their first
// decision) between from and to.
func countAborts(t *testing.T, logAddrs []string, from, to uint64) int {
	t.Helper()
	lc, err := logclient.New(logAddrs)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	decided := map[uint64]bool{}
	aborts := 0
	errEnd := fmt.Errorf("end")
	err = lc.Read(ctx, from, func(index uint64, data []byte) error {
		if d, ok := logentry.DecisionOf(index, data); ok && !decided[d.Tx] {
			decided[d.Tx] = true
			if !d.Commit {
				aborts++
			}
		}
		if index >= to {
			return errEnd
		}
		return nil
	})
	if err != errEnd {
		t.Fatalf("reading the log: %v", err)
	}
	return aborts
}

// TestChangesResumeExactlyOnce runs 8 writers whose updates contend for
// one fact, so that many of their transactions abort and are retried,
// while a consumer of `akutan changes --follow` is killed (kill -9) three
// times and resumed each time from the last patch it printed whole. The
// patches of all its runs, and of a last run without --follow, are in
// strictly increasing log order with no index twice; every acknowledged
// update's marker is added exactly once and no marker twice; and applying
// the patches to the export as of the feed's start gives exactly the
// export as of its end, so no change of an aborted transaction, and no
// change twice, was delivered.
func TestChangesResumeExactlyOnce(t *testing.T) {
	harness.SkipIfShort(t)
	httpAddr := harness.FreeAddr(t)
	c := startCluster(t, "--http-addr", httpAddr)
	api := c.apiAddr
	akutan(t, "sparql-update", "--api", api, "-e", `INSERT DATA { <http://t/c> <http://t/holder> "start" }`)
	state, start := exportAt(t, api, 0)
	if !state[`<http://t/c> <http://t/holder> "start" .`] {
		t.Fatalf("the seed is not in the export: %v", state)
	}

	writes := startContendedWrites("http://"+httpAddr+"/sparql", 8, "")
	defer writes.stop()
	var patches []feedPatch
	resume := start
	for round := 1; round <= 3; round++ {
		p := harness.Start(t, bin, fmt.Sprintf("changes-%d", round), "changes", "--api", api, "--from-index", fmt.Sprint(resume), "--follow")
		testutil.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
			if n := len(parsePatches(t, p.Output())); n < 20*round {
				return fmt.Errorf("consumer %d printed %d patches", round, n)
			}
			return nil
		})
		p.Kill()
		got := parsePatches(t, p.Output())
		patches = append(patches, got...)
		resume = got[len(got)-1].index
		t.Logf("consumer %d: %d patches, killed after index %d", round, len(got), resume)
	}
	time.Sleep(2 * time.Second)
	writes.stop()
	out, errOut, err := harness.Run(t, bin, "changes", "--api", api, "--from-index", fmt.Sprint(resume))
	if err != nil {
		t.Fatalf("the last consumer: %v\n%s", err, errOut)
	}
	m := regexp.MustCompile(`changes through log index (\d+)`).FindStringSubmatch(errOut)
	if m == nil {
		t.Fatalf("the last consumer printed %q on standard error; want the last index", errOut)
	}
	end, _ := strconv.ParseUint(m[1], 10, 64)
	patches = append(patches, parsePatches(t, out)...)

	// In order, each once.
	prev := start
	for _, p := range patches {
		if p.index <= prev {
			t.Fatalf("patch %d came after patch %d", p.index, prev)
		}
		prev = p.index
	}
	// Every acknowledged marker once, none twice.
	added := map[string]int{}
	for _, p := range patches {
		for _, a := range p.adds {
			if strings.Contains(a, "<http://t/wrote>") {
				added[a[strings.LastIndex(a, "> \"")+3:len(a)-3]]++ // the marker of `<w> <wrote> "marker" .`
			}
		}
	}
	for marker, n := range added {
		if n != 1 {
			t.Errorf("marker %s was added %d times", marker, n)
		}
	}
	writes.mu.Lock()
	for marker := range writes.acked {
		if added[marker] != 1 {
			t.Errorf("acknowledged marker %s was added %d times", marker, added[marker])
		}
	}
	acked, failed := len(writes.acked), writes.failed
	writes.mu.Unlock()
	// The patches take the graph from the start to the end.
	for _, p := range patches {
		for _, d := range p.dels {
			if !state[d] {
				t.Fatalf("patch %d deletes %s, which is not there", p.index, d)
			}
			delete(state, d)
		}
		for _, a := range p.adds {
			state[a] = true
		}
	}
	final, at := exportAt(t, api, end)
	if at != end {
		t.Fatalf("export at %d answered as of %d", end, at)
	}
	for l := range final {
		if !state[l] {
			t.Errorf("the export at %d has %s, which the patches did not add", end, l)
		}
	}
	for l := range state {
		if !final[l] {
			t.Errorf("the patches leave %s, which the export at %d lacks", l, end)
		}
	}
	aborts := countAborts(t, c.logAddrs, start+1, end)
	t.Logf("%d patches from %d to %d: %d acknowledged updates (%d failed), %d aborted transactions in the log",
		len(patches), start, end, acked, failed, aborts)
	if aborts == 0 {
		t.Fatal("no transaction aborted: the test did not exercise aborts")
	}
	if acked < 60 {
		t.Fatalf("only %d updates were acknowledged", acked)
	}
}
