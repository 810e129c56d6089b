package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTestBackup writes a backup of one space in two files with n keys
// each and returns its directory and the entries written.
func writeTestBackup(t *testing.T, n int) (string, map[string]string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bk")
	w, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	m := &Manifest{Index: 42, LogVersion: 3, LogVersionIndex: 1, Spaces: []string{"hashsp"}}
	for i, r := range [][2]uint64{{0, 1 << 63}, {1<<63 + 1, ^uint64(0)}} {
		fw, err := w.File("hashsp", r[0], r[1])
		if err != nil {
			t.Fatal(err)
		}
		var keys, values [][]byte
		for j := 0; j < n; j++ {
			k := []byte(fmt.Sprintf("file%d-key%06d-%s", i, j, strings.Repeat("x", j%50)))
			var v []byte
			if j%3 == 0 {
				v = []byte(fmt.Sprintf("value%d", j))
			}
			keys, values = append(keys, k), append(values, v)
			want[string(k)] = string(v)
		}
		if _, err := fw.Add(keys[:n/2], values[:n/2], 0, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Add(keys[n/2:], values[n/2:], 0, 0); err != nil {
			t.Fatal(err)
		}
		info, err := fw.Close()
		if err != nil {
			t.Fatal(err)
		}
		if info.Keys != uint64(n) {
			t.Fatalf("file has %d keys, want %d", info.Keys, n)
		}
		m.Files = append(m.Files, info)
	}
	if err := w.Commit(m); err != nil {
		t.Fatal(err)
	}
	return dir, want
}

func TestRoundTrip(t *testing.T) {
	dir, want := writeTestBackup(t, 5000)
	m, err := Verify(context.Background(), dir, nil)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if m.Index != 42 || m.LogVersion != 3 || m.Keys() != 10000 {
		t.Fatalf("manifest: %+v", m)
	}
	got := map[string]string{}
	for _, f := range m.FilesOf("hashsp", 0, ^uint64(0)) {
		err := ReadFile(context.Background(), dir, f, 1000, func(keys, values [][]byte) error {
			if len(keys) > 1000 || len(keys) != len(values) {
				t.Errorf("batch of %d keys, %d values", len(keys), len(values))
			}
			for i, k := range keys {
				got[string(k)] = string(values[i])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("read %d entries, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("key %s: value %q, want %q", k, got[k], v)
		}
	}
	if fs := m.FilesOf("hashsp", 1<<63+5, 1<<63+6); len(fs) != 1 || fs[0].RangeStart != 1<<63+1 {
		t.Fatalf("FilesOf: %+v", fs)
	}
}

// TestDamageRefused checks that a truncated, a corrupted or a missing
// data file is refused, naming it.
func TestDamageRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(path string) error
		want   string
	}{
		{"truncated", func(p string) error {
			st, err := os.Stat(p)
			if err != nil {
				return err
			}
			return os.Truncate(p, st.Size()/2)
		}, "bytes"},
		{"corrupted", func(p string) error {
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteAt([]byte("garbage"), 100)
			return err
		}, "damaged"},
		{"missing", os.Remove, "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := writeTestBackup(t, 3000)
			m, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			victim := m.Files[1].Name
			if err := tc.damage(filepath.Join(dir, victim)); err != nil {
				t.Fatal(err)
			}
			_, err = Verify(context.Background(), dir, nil)
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), victim) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Verify of a %s file: %v; want ErrDamaged naming %s and %q", tc.name, err, victim, tc.want)
			}
			if strings.Contains(err.Error(), m.Files[0].Name) {
				t.Fatalf("Verify blamed the intact file too: %v", err)
			}
			// A reader must not be handed the damaged file's entries as good.
			err = ReadFile(context.Background(), dir, m.Files[1], 0, func(_, _ [][]byte) error { return nil })
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("ReadFile: %v, want ErrDamaged", err)
			}
		})
	}
}

func TestManifestMissingIsIncomplete(t *testing.T) {
	dir, _ := writeTestBackup(t, 10)
	if err := os.Remove(filepath.Join(dir, ManifestName)); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(context.Background(), dir, nil); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("Verify without a manifest: %v, want ErrIncomplete", err)
	}
	if _, err := Create(dir); err == nil {
		t.Fatal("Create in a non-empty directory succeeded")
	}
}

func TestManifestMustCover(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(filepath.Join(dir, "bk"))
	if err != nil {
		t.Fatal(err)
	}
	fw, err := w.File("hashsp", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	info, err := fw.Close()
	if err != nil {
		t.Fatal(err)
	}
	err = w.Commit(&Manifest{Index: 1, Spaces: []string{"hashsp"}, Files: []FileInfo{info}})
	if err == nil || !strings.Contains(err.Error(), "cover") {
		t.Fatalf("Commit of a partial space: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bk", ManifestName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused manifest was written: %v", err)
	}
}

func TestFileAbort(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	fw, err := w.File("hashpo", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Add([][]byte{[]byte("k")}, nil, 0, 0); err != nil {
		t.Fatal(err)
	}
	fw.Abort()
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Fatalf("an aborted file left %v", ents[0].Name())
	}
}

// TestChain checks that incremental backups restore only on top of the
// backup they name.
func TestChain(t *testing.T) {
	base, _ := writeTestBackup(t, 10)
	bm, err := Open(base)
	if err != nil {
		t.Fatal(err)
	}
	incr := func(b BaseRef, index uint64) string {
		dir := filepath.Join(t.TempDir(), "incr")
		w, err := Create(dir)
		if err != nil {
			t.Fatal(err)
		}
		fw, err := w.File("hashsp", 0, ^uint64(0))
		if err != nil {
			t.Fatal(err)
		}
		info, err := fw.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(&Manifest{Index: index, Spaces: []string{"hashsp"}, Files: []FileInfo{info}, Base: &b}); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	good := incr(BaseRef{Index: 42, ManifestSHA256: bm.ManifestSHA256()}, 50)
	ms, err := OpenChain([]string{base, good})
	if err != nil || len(ms) != 2 || ms[1].Index != 50 {
		t.Fatalf("OpenChain: %v", err)
	}
	if _, err := VerifyChain(context.Background(), []string{base, good}, nil); err != nil {
		t.Fatalf("VerifyChain: %v", err)
	}
	for name, dirs := range map[string][]string{
		"incremental first":     {good},
		"two full":              {base, base},
		"other base":            {base, incr(BaseRef{Index: 42, ManifestSHA256: "00"}, 50)},
		"base of another index": {base, incr(BaseRef{Index: 41, ManifestSHA256: bm.ManifestSHA256()}, 50)},
	} {
		if _, err := OpenChain(dirs); err == nil {
			t.Errorf("OpenChain of %s succeeded", name)
		}
	}
	w, err := Create(filepath.Join(t.TempDir(), "bad"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(&Manifest{Index: 42, Base: &BaseRef{Index: 42}}); err == nil {
		t.Error("an incremental backup not above its base was written")
	}
}
