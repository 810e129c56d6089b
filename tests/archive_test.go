package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/storage/logarchive"
	"github.com/akutan-dev/akutan/tests/harness"
)

// lastIndexOf reads "... at log index N" from a command's output.
func lastIndexOf(t *testing.T, out string) uint64 {
	t.Helper()
	m := regexp.MustCompile(`log index (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no log index in %q", out)
	}
	n, _ := strconv.ParseUint(m[1], 10, 64)
	return n
}

// TestLogArchiveGuardsTruncation archives the log in small segments,
// checks that `ctl log truncate --require-archive` refuses to discard
// entries the archive lacks or holds damaged (naming the file), and
// allows what it holds; truncate --archive-to archives what it discards
// first; a later archive run continues where the last stopped; after
// truncation, `akutan changes` from below the first retained index fails
// naming that index and what the archive holds (the API server's
// --log-archive).
func TestLogArchiveGuardsTruncation(t *testing.T) {
	harness.SkipIfShort(t)
	httpAddr := harness.FreeAddr(t)
	dir := filepath.Join(t.TempDir(), "archive")
	c := startCluster(t, "--http-addr", httpAddr, "--log-archive", dir)
	logs := strings.Join(c.logAddrs, ",")
	var last uint64
	for i := range 12 {
		out := akutan(t, "sparql-update", "--api", c.apiAddr, "-e", fmt.Sprintf(`INSERT DATA { <http://t/s> <http://t/p> %d }`, i))
		last = lastIndexOf(t, out)
	}
	mid := last - 5
	out := akutan(t, "ctl", "log", "archive", "--log", logs, "--to", dir, "--through", fmt.Sprint(mid), "--segment-entries", "4")
	if !strings.Contains(out, fmt.Sprintf("to %d", mid)) {
		t.Fatalf("archive printed %q", out)
	}
	segs, err := logarchive.List(dir)
	if err != nil || len(segs) < 2 || segs[0].First != 1 || segs[len(segs)-1].Last != mid {
		t.Fatalf("archive holds %v, %v; want segments 1 to %d", segs, err, mid)
	}

	// Beyond the archive: refused, nothing discarded.
	_, errOut, err := harness.Run(t, bin, "ctl", "log", "truncate", "--log", logs, "--before", fmt.Sprint(last), "--require-archive", dir)
	if err == nil || !strings.Contains(errOut, "not archived") {
		t.Fatalf("truncating past the archive: %v %q; want a refusal", err, errOut)
	}
	// Within it, but with a damaged segment: refused, naming the file.
	good, err := os.ReadFile(segs[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), good...)
	bad[len(bad)/2] ^= 0xff
	if err := os.WriteFile(segs[0].Path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, err = harness.Run(t, bin, "ctl", "log", "truncate", "--log", logs, "--before", fmt.Sprint(mid), "--require-archive", dir)
	if err == nil || !strings.Contains(errOut, filepath.Base(segs[0].Path)) {
		t.Fatalf("truncating over a damaged segment: %v %q; want a refusal naming %s", err, errOut, segs[0].Path)
	}
	if err := os.WriteFile(segs[0].Path, good, 0o644); err != nil {
		t.Fatal(err)
	}
	out = akutan(t, "ctl", "log", "truncate", "--log", logs, "--before", fmt.Sprint(mid+1), "--require-archive", dir)
	if !strings.Contains(out, fmt.Sprintf("retains entries %d to", mid+1)) {
		t.Fatalf("truncate printed %q", out)
	}
	// Truncation can archive first what it discards.
	for i := range 3 {
		out := akutan(t, "sparql-update", "--api", c.apiAddr, "-e", fmt.Sprintf(`INSERT DATA { <http://t/s> <http://t/q> %d }`, i))
		last = lastIndexOf(t, out)
	}
	out = akutan(t, "ctl", "log", "truncate", "--log", logs, "--before", fmt.Sprint(last-1), "--archive-to", dir)
	if !strings.Contains(out, fmt.Sprintf("archived entries %d to %d", mid+1, last-2)) || !strings.Contains(out, fmt.Sprintf("retains entries %d to", last-1)) {
		t.Fatalf("truncate --archive-to printed %q", out)
	}
	if err := logarchive.Covers(dir, 1, last-2); err != nil {
		t.Fatal(err)
	}
	// The archive continues from its end.
	akutan(t, "ctl", "log", "archive", "--log", logs, "--to", dir)
	if l, err := logarchive.Last(dir); err != nil || l < last {
		t.Fatalf("after a second run the archive ends at %d, %v; want at least %d", l, err, last)
	}
	if err := logarchive.Covers(dir, 1, last); err != nil {
		t.Fatal(err)
	}

	// The change feed names the first retained index.
	_, errOut, err = harness.Run(t, bin, "changes", "--api", c.apiAddr, "--from-index", "1")
	if err == nil || !strings.Contains(errOut, fmt.Sprintf("first retained index is %d", last-1)) ||
		!strings.Contains(errOut, fmt.Sprintf("the log archive %s holds entries 1 to %d", dir, last)) {
		t.Fatalf("changes from 1 after truncation: %v %q; want an error naming %d and the archive", err, errOut, last-1)
	}
	out = akutan(t, "changes", "--api", c.apiAddr, "--from-index", fmt.Sprint(last-2))
	if !strings.Contains(out, fmt.Sprintf("H id <urn:akutan:index:%d> .", last)) {
		t.Fatalf("changes from %d printed %q; want the transaction at %d", last-2, out, last)
	}
}
