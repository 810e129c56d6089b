package backup

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/storage"
	bkstore "github.com/akutan-dev/akutan/storage/backup"
	"github.com/akutan-dev/akutan/storage/viewstore"
)

// sourceBackup fills a full-range hashsp store with one fact per log
// index up to 2000 and backs it up as of index 1500 (its keys at or below
// it), as Take would, returning the backup's directory and the source's
// digest at 1500.
func sourceBackup(t *testing.T) (string, uint64) {
	t.Helper()
	src, err := viewstore.Open(t.TempDir(), viewstore.Config{Space: storage.KeyPrefixSP, RangeEnd: math.MaxUint64})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var changes []viewstore.Change
	for i := uint64(1); i <= 2000; i++ {
		o := storage.AInt64(int64(i), 0)
		if i%7 == 0 {
			o = storage.AString("word", "en") // a value-bearing key
		}
		changes = append(changes, viewstore.Change{Index: i, Inserts: []storage.Fact{
			{Index: i, ID: i, Subject: 1000 + i%300, Predicate: 50 + i%5, Object: o}}})
	}
	if err := src.Apply(changes); err != nil {
		t.Fatal(err)
	}
	const index = 1500
	want, err := src.Digest(context.Background(), index)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "bk")
	w, err := bkstore.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	fw, err := w.File("hashsp", 0, math.MaxUint64)
	if err != nil {
		t.Fatal(err)
	}
	var after []byte
	for end := false; !end; {
		after, end, err = src.ScanKeys(after, 256, func(k, v []byte) error {
			if ki, _ := viewstore.KeyIndex(k); ki <= index {
				_, err := fw.Add([][]byte{append([]byte(nil), k...)}, [][]byte{append([]byte(nil), v...)}, 0, 0)
				return err
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	info, err := fw.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(&bkstore.Manifest{Index: index, LogVersion: 3, LogVersionIndex: 1, Spaces: []string{"hashsp"},
		Files: []bkstore.FileInfo{info}}); err != nil {
		t.Fatal(err)
	}
	return dir, want
}

// TestRestoreRepartitions restores a 1-way backup into 3 partitions and
// checks that together they hold exactly the source's state at the
// backup's index, each only its range.
func TestRestoreRepartitions(t *testing.T) {
	dir, want := sourceBackup(t)
	var sum, keys uint64
	for p := 1; p <= 3; p++ {
		rng, err := space.Partition(p, 3)
		if err != nil {
			t.Fatal(err)
		}
		st, err := viewstore.Open(t.TempDir(), viewstore.Config{Space: storage.KeyPrefixSP, RangeStart: rng.Start, RangeEnd: rng.End})
		if err != nil {
			t.Fatal(err)
		}
		stats, _, err := Restore(context.Background(), []string{dir}, st, space.HashSP, rng)
		if err != nil {
			t.Fatal(err)
		}
		d, err := st.Digest(context.Background(), 1500)
		if err != nil || st.Applied() != 1500 || st.LogVersionInfo().Version != 3 {
			t.Fatalf("partition %d: digest %v, applied %d, version %+v", p, err, st.Applied(), st.LogVersionInfo())
		}
		if _, err := st.Verify(context.Background()); err != nil {
			t.Fatalf("partition %d: %v", p, err)
		}
		sum += d
		keys += stats.Keys
		st.Close()
	}
	if sum != want || keys != 1500 {
		t.Fatalf("the partitions hold %d keys with digest %016x; the source had 1500 with %016x", keys, sum, want)
	}
}

// TestRestoreRefusesDamage checks that a damaged file fails the restore
// and leaves the load unfinished (the store is then discarded).
func TestRestoreRefusesDamage(t *testing.T) {
	dir, _ := sourceBackup(t)
	m, err := bkstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, m.Files[0].Name), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("garbage"), m.Files[0].Bytes/2); err != nil {
		t.Fatal(err)
	}
	f.Close()
	st, err := viewstore.Open(t.TempDir(), viewstore.Config{Space: storage.KeyPrefixSP, RangeEnd: math.MaxUint64})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, _, err = Restore(context.Background(), []string{dir}, st, space.HashSP, space.Full())
	if !errors.Is(err, bkstore.ErrDamaged) || st.Applied() != 0 || !st.Loading() {
		t.Fatalf("Restore from a damaged file: %v (applied %d, loading %v); want ErrDamaged and an unfinished load", err, st.Applied(), st.Loading())
	}
}
