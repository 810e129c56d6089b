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

	dir        string
	apiGossip  string
	viewGossip []string
}

// startCluster starts 3 log replicas, 2 partitions x 1 replica of each
// space, and one API server that is told nothing about the views: it finds
// them through gossip.
func startCluster(t *testing.T, apiArgs ...string) *cluster {
	t.Helper()
	dir := t.TempDir()
	addrs := harness.FreeAddrs(t, 3*2+4*2+2)
	raft, grpc := addrs[0:3], addrs[3:6]
	viewGRPC, viewGossip := addrs[6:10], addrs[10:14]
	apiGossip := addrs[15]
	c := &cluster{logAddrs: grpc, apiAddr: addrs[14], dir: dir, apiGossip: apiGossip, viewGossip: viewGossip}
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
	c.api = c.startAPI(t, "api", c.apiAddr, apiGossip, apiArgs...)
	waitForQuery(t, c.apiAddr)
	return c
}

// startAPI starts an API server that joins the cluster's gossip.
func (c *cluster) startAPI(t *testing.T, name, grpcAddr, gossipAddr string, args ...string) *harness.Process {
	t.Helper()
	join := append(append([]string(nil), c.viewGossip...), c.apiGossip)
	p := harness.Start(t, bin, name, append([]string{"api", "--grpc-addr", grpcAddr, "--log", strings.Join(c.logAddrs, ","),
		"--gossip-addr", gossipAddr, "--gossip-join", strings.Join(join, ",")}, args...)...)
	harness.WaitTCP(t, grpcAddr, 60*time.Second)
	return p
}

func TestMultiProcessCluster(t *testing.T) {
	harness.SkipIfShort(t)
	c := startCluster(t)
	akutan(t, "insert", "--api", c.apiAddr, testdata("example_data.tsv"))
	if got := queryTSV(t, c.apiAddr, "fp_01.bql"); got != fp01Want {
		t.Fatalf("fp_01 = %q, want %q", got, fp01Want)
	}
}
