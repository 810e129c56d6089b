package viewserver

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/backup"
	"github.com/akutan-dev/akutan/cluster/members"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/roles/logserver/logtest"
	"github.com/akutan-dev/akutan/wire"
)

// backupOf starts a full-range view of each space on lc, waits until they
// have applied last, and backs them up as of last.
func backupOf(t *testing.T, lc *logtest.Cluster, last uint64) string {
	t.Helper()
	var ms []members.Member
	for _, s := range []space.Space{space.HashSP, space.HashPO} {
		v := startView(t, Config{Space: s, Range: space.Full(), Dir: t.TempDir(), LogAddrs: lc.Addrs()})
		waitUntil(t, "the source view serves", func() bool { return v.Serving() && v.Applied() >= last })
		ms = append(ms, members.Member{Name: string(s), Meta: gossip.Meta{Role: "view", Space: string(s),
			RangeEnd: space.Full().End, GRPCAddr: v.GRPCAddr(), AppliedIndex: v.Applied(), Serving: true}})
	}
	dir := filepath.Join(t.TempDir(), "bk")
	_, err := backup.Take(context.Background(), backup.Config{API: startSeed(t, &fakeSeed{members: ms}), Dir: dir,
		LastIndex: func(context.Context) (uint64, error) { return last, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRestoreFromBackup: an empty view given RestoreFrom loads its range
// (the second half of a full-range backup) as of the backup's index, then
// follows the log from the next index.
func TestRestoreFromBackup(t *testing.T) {
	lc := logtest.Start(t, 3)
	last := appendFacts(t, lc, 1, 2, 3, 4, 5, 6, 7, 8)
	dir := backupOf(t, lc, last)
	more := appendFacts(t, lc, 9, 10, 11)
	half, err := space.Partition(2, 2)
	if err != nil {
		t.Fatal(err)
	}
	s := startView(t, Config{Space: space.HashSP, Range: half, Dir: t.TempDir(), LogAddrs: lc.Addrs(), RestoreFrom: []string{dir}})
	waitUntil(t, "the restored view serves", func() bool { return s.Serving() && s.Applied() == more })
	ref := startView(t, Config{Space: space.HashSP, Range: half, Dir: t.TempDir(), LogAddrs: lc.Addrs()})
	waitUntil(t, "the reference view serves", func() bool { return ref.Serving() && ref.Applied() == more })
	for _, index := range []uint64{last, more} {
		if got, want := digestAt(t, s, index), digestAt(t, ref, index); got != want {
			t.Fatalf("digest at %d: %x restored, %x replayed from the log", index, got, want)
		}
	}
}

// TestRestoreRefusesTruncatedLog: a view restoring from a backup older
// than the log's first index stops for good, saying which entries are
// gone.
func TestRestoreRefusesTruncatedLog(t *testing.T) {
	lc := logtest.Start(t, 3)
	last := appendFacts(t, lc, 1, 2, 3)
	dir := backupOf(t, lc, last)
	more := appendFacts(t, lc, 4, 5)
	if _, err := lc.Servers[0].Truncate(context.Background(), wire.TruncateMode_TRUNCATE_FORCE, more); err != nil {
		t.Fatal(err)
	}
	s := startView(t, Config{Space: space.HashSP, Range: space.Full(), Dir: t.TempDir(), LogAddrs: lc.Addrs(), RestoreFrom: []string{dir}})
	select {
	case err := <-s.Failed():
		if !strings.Contains(err.Error(), "are gone") {
			t.Fatalf("the view failed with %v; want the missing entries named", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the view restoring past a truncated log did not fail")
	}
}
