package logarchive

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeSegment(t *testing.T, dir string, first, last uint64) Segment {
	t.Helper()
	w, err := Create(dir, first)
	if err != nil {
		t.Fatal(err)
	}
	for i := first; i <= last; i++ {
		if err := w.Add(i, []byte(fmt.Sprintf("entry %d %s", i, strings.Repeat("x", int(i%50))))); err != nil {
			t.Fatal(err)
		}
	}
	seg, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return seg
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	a := writeSegment(t, dir, 5, 104)
	b := writeSegment(t, dir, 105, 105)
	if filepath.Base(a.Path) != "log-00000000000000000005-00000000000000000104.seg" {
		t.Fatalf("segment named %s", a.Path)
	}
	segs, err := List(dir)
	if err != nil || len(segs) != 2 || segs[0] != a || segs[1] != b {
		t.Fatalf("List = %v, %v; want %v %v", segs, err, a, b)
	}
	next := uint64(5)
	for _, s := range segs {
		err := ReadSegment(s, func(index uint64, data []byte) error {
			if index != next || string(data) != fmt.Sprintf("entry %d %s", index, strings.Repeat("x", int(index%50))) {
				return fmt.Errorf("entry %d: %q", index, data)
			}
			next++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if next != 106 {
		t.Fatalf("read up to %d", next)
	}
	if last, err := Last(dir); err != nil || last != 105 {
		t.Fatalf("Last = %d, %v", last, err)
	}
	if err := Covers(dir, 5, 105); err != nil {
		t.Fatal(err)
	}
	if err := Covers(dir, 1, 50); err == nil || !strings.Contains(err.Error(), "starts at entry 5") {
		t.Fatalf("Covers(1, 50) = %v", err)
	}
	if err := Covers(dir, 50, 200); err == nil || !strings.Contains(err.Error(), "entries 106 to 200 are not archived") {
		t.Fatalf("Covers(50, 200) = %v", err)
	}
}

// TestDamageIsRefused: a changed byte anywhere, or a cut, is an error
// naming the file.
func TestDamageIsRefused(t *testing.T) {
	dir := t.TempDir()
	seg := writeSegment(t, dir, 1, 40)
	good, err := os.ReadFile(seg.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, pos := range []int{0, 9, 12, 20, len(good) / 2, len(good) - 30, len(good) - 1} {
		bad := append([]byte(nil), good...)
		bad[pos] ^= 0x40
		if err := os.WriteFile(seg.Path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := ReadSegment(seg, nil); err == nil || !strings.Contains(err.Error(), seg.Path) {
			t.Errorf("byte %d changed: %v", pos, err)
		}
		if err := Covers(dir, 1, 40); err == nil {
			t.Errorf("byte %d changed: Covers accepted it", pos)
		}
	}
	for _, n := range []int{0, 5, 100, len(good) - 4, len(good) - 1} {
		if err := os.WriteFile(seg.Path, good[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		if err := ReadSegment(seg, nil); err == nil || !strings.Contains(err.Error(), seg.Path) {
			t.Errorf("cut to %d bytes: %v", n, err)
		}
	}
	if err := os.WriteFile(seg.Path, good, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ReadSegment(seg, nil); err != nil {
		t.Fatal(err)
	}
}

func TestListRefusesGapsAndIgnoresTemporary(t *testing.T) {
	dir := t.TempDir()
	writeSegment(t, dir, 1, 10)
	w, err := Create(dir, 11)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(11, []byte("x")); err != nil {
		t.Fatal(err)
	}
	// Not closed: a run that stopped.
	if segs, err := List(dir); err != nil || len(segs) != 1 {
		t.Fatalf("List with a temporary file = %v, %v", segs, err)
	}
	w.Abort()
	writeSegment(t, dir, 12, 20)
	if _, err := List(dir); err == nil || !strings.Contains(err.Error(), "not contiguous") {
		t.Fatalf("List with a gap = %v", err)
	}
}
