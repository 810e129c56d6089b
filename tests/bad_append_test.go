package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/tests/harness"
	"github.com/akutan-dev/akutan/wire"
)

// TestLogRefusesUnappliableAppends sends entries no view could apply
// straight to the log over gRPC, as a buggy or hostile client would: a
// switch to log format version 99 (which once stopped every view), random
// bytes and an entry of an unknown kind. Each is refused with
// InvalidArgument before it reaches Raft, the log does not grow, and every
// view keeps serving: a query answers and a new insert shows up on all of
// them.
func TestLogRefusesUnappliableAppends(t *testing.T) {
	harness.SkipIfShort(t)
	c := startCluster(t)
	akutan(t, "insert", "--api", c.apiAddr, testdata("example_data.tsv"))
	log := rawLog(t, c.logAddrs[0])
	before := linearizableLast(t, log)

	versionChange, err := logentry.EncodeVersionChange(99)
	if err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		data []byte
		want string
	}{
		{"version 99", versionChange, "version change"},
		{"random bytes", []byte{0xff, 0x13, 0x37, 0x00, 0x42, 0x99}, "not a well-formed wire.LogEntry"},
		{"unknown kind", []byte{0x4a, 0x00}, "fields this binary does not know"},
	}
	for i, b := range bad {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := log.Append(ctx, &wire.AppendRequest{ClientId: 0xbad, Seq: uint64(i + 1), Entries: [][]byte{b.data}})
		cancel()
		if msg := status.Convert(err).Message(); status.Code(err) != codes.InvalidArgument ||
			!strings.Contains(msg, "entry 1 of 1") || !strings.Contains(msg, b.want) {
			t.Fatalf("appending %s: %v; want InvalidArgument naming entry 1 of 1 and %q", b.name, err, b.want)
		}
	}
	if after := linearizableLast(t, log); after != before {
		t.Fatalf("the log grew from %d to %d entries through refused appends", before, after)
	}

	probe := writeLoadInput(t, "probe.tsv", "<BadAppendProbe> <survives> \"yes\"\n")
	akutan(t, "insert", "--api", c.apiAddr, probe)
	last := linearizableLast(t, log)
	if got := queryTSV(t, c.apiAddr, "fp_01.bql"); got != fp01Want {
		t.Fatalf("fp_01 = %q, want %q", got, fp01Want)
	}
	got := akutan(t, "query", "--api", c.apiAddr, "--format", "tsv", "-e", "SELECT ?o WHERE { <BadAppendProbe> <survives> ?o }")
	if got != "o\n\"yes\"\n" {
		t.Fatalf("the insert after the refused appends reads %q", got)
	}
	waitViewsApplied(t, c, last)
}

// linearizableLast is the log's last index, read through Raft.
func linearizableLast(t *testing.T, log wire.LogClient) uint64 {
	t.Helper()
	var last uint64
	testutil.Eventually(t, 30*time.Second, 100*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		info, err := log.Info(ctx, &wire.InfoRequest{Linearizable: true})
		if err == nil {
			last = info.LastIndex
		}
		return err
	})
	return last
}

// waitViewsApplied waits until every view of the cluster is running,
// serving and has applied index, as status reports them.
func waitViewsApplied(t *testing.T, c *cluster, index uint64) {
	t.Helper()
	testutil.Eventually(t, 60*time.Second, 250*time.Millisecond, func() error {
		for _, v := range c.views {
			if !v.Running() {
				t.Fatalf("a view exited:\n%s", v.Output())
			}
		}
		rep, err := tryStatusJSON(t, c.apiAddr)
		if err != nil {
			return err
		}
		caughtUp := 0
		for _, v := range rep.Views {
			if v.Serving && v.AppliedIndex >= index {
				caughtUp++
			}
		}
		if caughtUp < len(c.views) {
			return fmt.Errorf("%d of %d views serve with index %d applied: %+v", caughtUp, len(c.views), index, rep.Views)
		}
		return nil
	})
}
