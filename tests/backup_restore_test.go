package tests

import (
	"fmt"
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
	addrs := harness.FreeAddrs(t, 3*2+6*2+2)
	raft, grpc := addrs[0:3], addrs[3:6]
	viewGRPC, viewGossip := addrs[6:12], addrs[12:18]
	apiAddr, apiGossip := addrs[18], addrs[19]
	members := fmt.Sprintf("1=%s,2=%s,3=%s", raft[0], raft[1], raft[2])
	for i := range 3 {
		harness.Start(t, bin, fmt.Sprintf("log-%d", i+1), "log",
			"--id", fmt.Sprint(i+1), "--dir", filepath.Join(dir, fmt.Sprintf("log-%d", i+1)),
			"--raft-addr", raft[i], "--grpc-addr", grpc[i], "--initial-members", members, "--restore-from", bk)
	}
	logList := strings.Join(grpc, ",")
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
