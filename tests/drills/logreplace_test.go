package drills

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/tests/harness"
)

// TestDrillReplaceLogReplicas drills "replace a failed server" for the
// log, by the procedure of docs/operations.md, on every replica in turn
// under load: each dc's replica is replaced by one with a new ID in the
// same dc (`ctl log add --grpc-addr --dc`, start it with --join, wait
// until every cluster's status shows it up), then the old one is removed
// (`ctl log remove`) and killed. The views and API servers are never
// restarted: they were started with only the three original addresses,
// and follow the membership the log records. At the end no original
// replica is left, and every acknowledged write must be readable through
// every cluster. Time to healthy is the longest wait, over the steps,
// until every cluster saw the new replica up.
func TestDrillReplaceLogReplicas(t *testing.T) {
	harness.SkipIfShort(t)
	dp, l := startLoaded(t)
	current := slices.Clone(dp.logGRPC)
	var slowest longest
	for i := range datacenters {
		oldID, newID := i+1, datacenters+i+1
		addrs := harness.FreeAddrs(t, 2)
		run(t, "ctl", "log", "add", "--log", strings.Join(current, ","), "--id", fmt.Sprint(newID),
			"--raft-addr", addrs[0], "--grpc-addr", addrs[1], "--dc", dcName(i))
		harness.Start(t, bin, fmt.Sprintf("log-%d", newID), "log", "--id", fmt.Sprint(newID), "--dc", dcName(i),
			"--dir", filepath.Join(dp.dir, fmt.Sprintf("log-%d", newID)), "--raft-addr", addrs[0], "--grpc-addr", addrs[1], "--join")
		started := time.Now()
		waitEveryCluster(t, dp, 60*time.Second, fmt.Sprintf("showing new log replica %d up", newID), func(rep health.Report) error {
			if !slices.ContainsFunc(rep.Log.Replicas, func(r health.LogReplica) bool { return r.ID == uint64(newID) && r.Up }) {
				return fmt.Errorf("log replica %d not up: %+v", newID, rep.Log.Replicas)
			}
			return nil
		})
		slowest.add(time.Since(started))
		current = append(current, addrs[1])
		run(t, "ctl", "log", "remove", "--log", strings.Join(current, ","), "--id", fmt.Sprint(oldID))
		dp.logs[i].Kill()
		current = slices.DeleteFunc(current, func(a string) bool { return a == dp.logGRPC[i] })
		t.Logf("log replica %d replaced by %d (%s)", oldID, newID, addrs[1])
		l.waitMore(t, 30)
	}
	dp.logList = strings.Join(current, ",")
	members := run(t, "ctl", "log", "members", "--log", dp.logList)
	for _, old := range dp.logGRPC {
		if strings.Contains(members, old) {
			t.Fatalf("an original replica is still a member:\n%s", members)
		}
	}
	waitAllUp(t, dp, 60*time.Second)
	l.waitMore(t, 50)
	finish(t, dp, l, "replace-log-replicas", time.Duration(slowest))
}
