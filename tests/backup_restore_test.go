package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/tests/harness"
)

// TestRestoreNewLogAndRepartitionedViews backs up a local cluster (2
// partitions of each space), then restores it into a separate-process
// deployment: a new 3-replica log started after the backup's index (`akutan
// log --restore-from`), and 3 partitions of each space seeded from the
// 2-way backup (`akutan view --restore-from`). The restored deployment
// answers as the original did, and the next write gets the index after
// the backup's.
func TestRestoreNewLogAndRepartitionedViews(t *testing.T) {
	harness.SkipIfShort(t)
	_, api, _ := startLocal(t, filepath.Join(t.TempDir(), "data"))
	akutan(t, "insert", "--api", api, testdata("example_data.tsv"))
	want := queryTSV(t, api, "fp_01.bql")
	bk := filepath.Join(t.TempDir(), "bk")
	akutan(t, "ctl", "backup", "--api", api, "--to", bk)

	dir := t.TempDir()
	addrs := harness.FreeAddrs(t, 6*2+2)
	viewGRPC, viewGossip := addrs[0:6], addrs[6:12]
	apiAddr, apiGossip := addrs[12], addrs[13]
	logList := startRestoredLog(t, dir, bk)
	i := 0
	for _, space := range []string{"hashsp", "hashpo"} {
		for p := 1; p <= 3; p++ {
			harness.Start(t, bin, fmt.Sprintf("view-%s-%d", space, p), "view",
				"--space", space, "--partition", fmt.Sprintf("%d/3", p),
				"--dir", filepath.Join(dir, fmt.Sprintf("view-%s-%d", space, p)),
				"--grpc-addr", viewGRPC[i], "--log", logList, "--restore-from", bk,
				"--gossip-addr", viewGossip[i], "--gossip-join", apiGossip)
			i++
		}
	}
	harness.Start(t, bin, "api", "api", "--grpc-addr", apiAddr, "--log", logList,
		"--gossip-addr", apiGossip, "--gossip-join", strings.Join(viewGossip, ","))
	harness.WaitTCP(t, apiAddr, 60*time.Second)
	waitForQuery(t, apiAddr)
	if got := queryTSV(t, apiAddr, "fp_01.bql"); got != want {
		t.Fatalf("restored fp_01 = %q, want %q", got, want)
	}
	out := akutan(t, "insert", "--api", apiAddr, testdata("example_data.tsv"))
	if !strings.Contains(out, "inserted 0 facts (27 already present)") {
		t.Fatalf("inserting the same data into the restored deployment printed %q; want all present", out)
	}
	verify := akutan(t, "ctl", "verify", "--api", apiAddr)
	if !strings.Contains(verify, "all 6 ranges agree") {
		t.Fatalf("ctl verify of the restored deployment:\n%s", verify)
	}
}

// TestIncrementalBackupRestore takes a full backup, then inserts and
// deletes, then an incremental backup on top of it, and restores both:
// the full one alone gives the first state, full plus incremental the
// second (the deletion included).
func TestIncrementalBackupRestore(t *testing.T) {
	harness.SkipIfShort(t)
	_, api, _ := startLocal(t, filepath.Join(t.TempDir(), "data"))
	akutan(t, "insert", "--api", api, testdata("example_data.tsv"))
	full := filepath.Join(t.TempDir(), "full")
	akutan(t, "ctl", "backup", "--api", api, "--to", full)
	ask := "SELECT ?o WHERE { <incr-s> <incr-p> ?o }"
	before := queryTSV(t, api, "fp_01.bql")

	more := filepath.Join(t.TempDir(), "more.tsv")
	if err := os.WriteFile(more, []byte("<incr-s> <incr-p> <incr-o1>\n<incr-s> <incr-p> <incr-o2>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(t.TempDir(), "gone.tsv")
	if err := os.WriteFile(gone, []byte("<incr-s> <incr-p> <incr-o1>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	akutan(t, "insert", "--api", api, more)
	akutan(t, "delete", "--api", api, gone)
	wantAsk := akutan(t, "query", "--api", api, "--format", "tsv", "-e", ask)
	wantCount := queryTSV(t, api, "fp_01.bql")
	if wantAsk != "o\n<incr-o2>\n" {
		t.Fatalf("the source answers %q", wantAsk)
	}
	incr := filepath.Join(t.TempDir(), "incr")
	akutan(t, "ctl", "backup", "--api", api, "--to", incr, "--since", full)
	if out := akutan(t, "ctl", "verify-backup", full, incr); !strings.Contains(out, "incremental after index") {
		t.Fatalf("verify-backup of the chain printed %q", out)
	}
	if _, _, err := harness.Run(t, bin, "ctl", "verify-backup", incr, full); err == nil {
		t.Fatal("verify-backup accepted an incremental backup before its base")
	}

	for _, tc := range []struct {
		from             string
		wantAsk, wantCnt string
	}{
		{full, "o\n", before},
		{full + "," + incr, wantAsk, wantCount},
	} {
		addrs := harness.FreeAddrs(t, 2)
		harness.Start(t, bin, "restored", "local", "--dir", filepath.Join(t.TempDir(), "d"), "--restore-from", tc.from,
			"--api-addr", addrs[0], "--http-addr", addrs[1])
		harness.WaitTCP(t, addrs[0], 60*time.Second)
		waitForQuery(t, addrs[0])
		if got := akutan(t, "query", "--api", addrs[0], "--format", "tsv", "-e", ask); got != tc.wantAsk {
			t.Fatalf("restored from %s: %q, want %q", tc.from, got, tc.wantAsk)
		}
		if got := queryTSV(t, addrs[0], "fp_01.bql"); got != tc.wantCnt {
			t.Fatalf("restored from %s: fp_01 %q, want %q", tc.from, got, tc.wantCnt)
		}
	}
}

// startRestoredLog starts the 3 replicas of a new log restored from the
// backup in bk (`akutan log --restore-from`), with their directories in
// dir, and returns their gRPC addresses as a --log list.
func startRestoredLog(t *testing.T, dir, bk string) string {
	t.Helper()
	addrs := harness.FreeAddrs(t, 6)
	raft, grpc := addrs[0:3], addrs[3:6]
	members := fmt.Sprintf("1=%s,2=%s,3=%s", raft[0], raft[1], raft[2])
	for i := range 3 {
		harness.Start(t, bin, fmt.Sprintf("log-%d", i+1), "log",
			"--id", fmt.Sprint(i+1), "--dir", filepath.Join(dir, fmt.Sprintf("log-%d", i+1)),
			"--raft-addr", raft[i], "--grpc-addr", grpc[i], "--initial-members", members, "--restore-from", bk)
	}
	return strings.Join(grpc, ",")
}
