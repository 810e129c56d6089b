package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/storage/backup"
	"github.com/akutan-dev/akutan/tests/harness"
	"github.com/akutan-dev/akutan/wire"
)

// indexedLoad runs writers that each insert one fact per request, and
// records every acknowledged insert's log index.
type indexedLoad struct {
	mu     sync.Mutex
	acked  map[string]uint64 // object IRI -> log index
	failed []error
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startIndexedLoad(t *testing.T, api wire.APIClient, writers int) *indexedLoad {
	ctx, cancel := context.WithCancel(context.Background())
	l := &indexedLoad{acked: make(map[string]uint64), cancel: cancel}
	for w := range writers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				obj := fmt.Sprintf("<bkv-%d-%d>", w, i)
				ictx, icancel := context.WithTimeout(ctx, 30*time.Second)
				reply, err := api.Insert(ictx, &wire.InsertRequest{Format: "tsv", Data: fmt.Sprintf("<bk-writer-%d> <bkWrote> %s\n", w, obj)})
				icancel()
				l.mu.Lock()
				switch {
				case err == nil:
					l.acked[obj] = reply.Index
				case ctx.Err() == nil:
					l.failed = append(l.failed, err)
				}
				l.mu.Unlock()
			}
		}()
	}
	t.Cleanup(l.stop)
	return l
}

func (l *indexedLoad) stop() {
	l.cancel()
	l.wg.Wait()
}

func (l *indexedLoad) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// TestBackupDuringWritesRestoresExactlyItsIndex takes a backup of a local
// cluster while 8 writers insert continuously, restores it into a new
// local cluster, and checks that it holds every write acknowledged at or
// before the backup's index and none after; then that the restored
// cluster's log continues after that index.
func TestBackupDuringWritesRestoresExactlyItsIndex(t *testing.T) {
	harness.SkipIfShort(t)
	_, api, _ := startLocal(t, filepath.Join(t.TempDir(), "data"))
	akutan(t, "insert", "--api", api, testdata("example_data.tsv"))
	// The writers' subjects and predicate exist before they start: the
	// first concurrent uses of one new name are not what this tests.
	var names strings.Builder
	for w := range 8 {
		fmt.Fprintf(&names, "<bk-writer-%d> <bkWrote> <bkv-first-%d>\n", w, w)
	}
	if _, err := apiClient(t, api).Insert(context.Background(), &wire.InsertRequest{Format: "tsv", Data: names.String()}); err != nil {
		t.Fatal(err)
	}
	load := startIndexedLoad(t, apiClient(t, api), 8)
	testutil.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		if n := load.count(); n < 500 {
			return fmt.Errorf("%d inserts acknowledged", n)
		}
		return nil
	})
	bk := filepath.Join(t.TempDir(), "bk")
	start := time.Now()
	out := akutan(t, "ctl", "backup", "--api", api, "--to", bk)
	t.Logf("%s(took %s, %d inserts acknowledged so far)", out, time.Since(start).Round(time.Millisecond), load.count())
	// Go on writing for a while after the backup, then stop.
	before := load.count()
	testutil.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		if n := load.count(); n < before+300 {
			return fmt.Errorf("%d inserts acknowledged", n)
		}
		return nil
	})
	load.stop()
	if len(load.failed) > 0 {
		t.Fatalf("%d inserts failed, the first: %v", len(load.failed), load.failed[0])
	}
	if out := akutan(t, "ctl", "verify-backup", bk); !strings.Contains(out, "is whole") {
		t.Fatalf("verify-backup printed %q", out)
	}
	m, err := backup.Open(bk)
	if err != nil {
		t.Fatal(err)
	}
	var atOrBefore, after int
	for _, index := range load.acked {
		if index <= m.Index {
			atOrBefore++
		} else {
			after++
		}
	}
	if atOrBefore == 0 || after == 0 {
		t.Fatalf("the backup's index %d does not fall among the writes (%d at or before, %d after)", m.Index, atOrBefore, after)
	}

	dir := filepath.Join(t.TempDir(), "restored")
	addrs := harness.FreeAddrs(t, 2)
	harness.Start(t, bin, "restored", "local", "--dir", dir, "--restore-from", bk, "--api-addr", addrs[0], "--http-addr", addrs[1])
	harness.WaitTCP(t, addrs[0], 60*time.Second)
	waitForQuery(t, addrs[0])
	restored := apiClient(t, addrs[0])
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rs, err := harness.QueryRows(ctx, restored, "SELECT ?v WHERE { ?w <bkWrote> ?v }")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, r := range rs[1:] { // the first row is the header
		got[r[0]] = true
	}
	srs, err := harness.QueryRows(ctx, apiClient(t, api), "SELECT ?v WHERE { ?w <bkWrote> ?v }")
	if err != nil {
		t.Fatal(err)
	}
	src := map[string]bool{}
	for _, r := range srs[1:] {
		src[r[0]] = true
	}
	for obj, index := range load.acked {
		if !src[obj] {
			t.Errorf("the source lacks %s, acknowledged at %d", obj, index)
		}
	}
	var missing, extra []string
	for obj, index := range load.acked {
		switch {
		case index <= m.Index && !got[obj]:
			missing = append(missing, fmt.Sprintf("%s@%d", obj, index))
		case index > m.Index && got[obj]:
			extra = append(extra, fmt.Sprintf("%s@%d", obj, index))
		}
	}
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("backup as of %d: %d writes at or before it missing (%v), %d after it present (%v)",
			m.Index, len(missing), first(missing), len(extra), first(extra))
	}
	for obj := range got {
		if index, ok := load.acked[obj]; !(ok && index <= m.Index) && !strings.HasPrefix(obj, "<bkv-first-") {
			t.Errorf("the restored cluster holds %s, never acknowledged at or before %d (acknowledged: %v at %d)", obj, m.Index, ok, index)
		}
	}
	if got := queryTSV(t, addrs[0], "fp_01.bql"); got != fp01Want {
		t.Fatalf("restored fp_01 = %q, want %q", got, fp01Want)
	}
	reply, err := restored.Insert(ctx, &wire.InsertRequest{Format: "tsv", Data: "<after-restore> <bkWrote> <x>\n"})
	if err != nil || reply.Index != m.Index+1 {
		t.Fatalf("the first insert into the restored cluster got index %v (%v), want %d", reply.GetIndex(), err, m.Index+1)
	}
	t.Logf("backup as of %d: %d writes at or before, %d after; restored exactly", m.Index, atOrBefore, after)
}

func first(s []string) []string {
	sort.Strings(s)
	return s[:min(len(s), 5)]
}

// TestRestoreRefusesDamagedBackup checks that restoring from a backup with
// a truncated or corrupted data file is refused, naming the file, by
// verify-backup and by `akutan local --restore-from`, and that a backup
// missing its manifest is refused as incomplete.
func TestRestoreRefusesDamagedBackup(t *testing.T) {
	harness.SkipIfShort(t)
	_, api, _ := startLocal(t, filepath.Join(t.TempDir(), "data"))
	akutan(t, "insert", "--api", api, testdata("example_data.tsv"))
	bk := filepath.Join(t.TempDir(), "bk")
	akutan(t, "ctl", "backup", "--api", api, "--to", bk)
	m, err := backup.Open(bk)
	if err != nil {
		t.Fatal(err)
	}
	for _, damage := range []string{"truncated", "corrupted", "no manifest"} {
		t.Run(damage, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "bk")
			if err := os.CopyFS(dir, os.DirFS(bk)); err != nil {
				t.Fatal(err)
			}
			victim := m.Files[len(m.Files)-1].Name
			path := filepath.Join(dir, victim)
			switch damage {
			case "truncated":
				err = os.Truncate(path, m.Files[len(m.Files)-1].Bytes-10)
			case "corrupted":
				var f *os.File
				if f, err = os.OpenFile(path, os.O_RDWR, 0); err == nil {
					_, err = f.WriteAt([]byte("garbage"), 30)
					f.Close()
				}
			default:
				err, victim = os.Remove(filepath.Join(dir, backup.ManifestName)), "incomplete backup"
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"ctl", "verify-backup", dir},
				{"local", "--dir", filepath.Join(t.TempDir(), "d"), "--restore-from", dir, "--api-addr", harness.FreeAddrs(t, 1)[0], "--http-addr", "127.0.0.1:0"},
			} {
				out, errOut, err := harness.Run(t, bin, args...)
				if err == nil || !strings.Contains(out+errOut, victim) {
					t.Fatalf("akutan %s with a %s file: %v, output %q; want a failure naming %s", args[0], damage, err, out+errOut, victim)
				}
			}
		})
	}
}
