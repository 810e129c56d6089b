package tests

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/tests/harness"
)

// cluster is a multi-process cluster: separate akutan processes per role.
type cluster struct {
	logs  []*harness.Process
	views []*harness.Process
	api   *harness.Process

	logAddrs []string // gRPC
	apiAddr  string
}

// startCluster starts 3 log replicas, 2 partitions x 1 replica of each
// space, and one API server that is told nothing about the views: it finds
// them through gossip.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	dir := t.TempDir()
	addrs := harness.FreeAddrs(t, 3*2+4*2+2)
	raft, grpc := addrs[0:3], addrs[3:6]
	viewGRPC, viewGossip := addrs[6:10], addrs[10:14]
	c := &cluster{logAddrs: grpc, apiAddr: addrs[14]}
	apiGossip := addrs[15]
	members := fmt.Sprintf("1=%s,2=%s,3=%s", raft[0], raft[1], raft[2])
	for i := 0; i < 3; i++ {
		c.logs = append(c.logs, harness.Start(t, bin, fmt.Sprintf("log-%d", i+1), "log",
			"--id", fmt.Sprint(i+1), "--dir", filepath.Join(dir, fmt.Sprintf("log-%d", i+1)),
			"--raft-addr", raft[i], "--grpc-addr", grpc[i], "--initial-members", members))
	}
	logList := strings.Join(grpc, ",")
	i := 0
	for _, space := range []string{"hashsp", "hashpo"} {
		for p := 1; p <= 2; p++ {
			c.views = append(c.views, harness.Start(t, bin, fmt.Sprintf("view-%s-%d", space, p), "view",
				"--space", space, "--partition", fmt.Sprintf("%d/2", p),
				"--dir", filepath.Join(dir, fmt.Sprintf("view-%s-%d", space, p)),
				"--grpc-addr", viewGRPC[i], "--log", logList,
				"--gossip-addr", viewGossip[i], "--gossip-join", apiGossip))
			i++
		}
	}
	c.api = harness.Start(t, bin, "api", "api", "--grpc-addr", c.apiAddr, "--log", logList,
		"--gossip-addr", apiGossip, "--gossip-join", strings.Join(viewGossip, ","))
	harness.WaitTCP(t, c.apiAddr, 60*time.Second)
	waitForQuery(t, c.apiAddr)
	return c
}

func TestMultiProcessCluster(t *testing.T) {
	c := startCluster(t)
	akutan(t, "insert", "--api", c.apiAddr, testdata("example_data.tsv"))
	if got := queryTSV(t, c.apiAddr, "fp_01.bql"); got != fp01Want {
		t.Fatalf("fp_01 = %q, want %q", got, fp01Want)
	}
}
