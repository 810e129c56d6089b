package logreplay

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/storage/logarchive"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// fakeLog assigns indexes as the log does, after a start index.
type fakeLog struct {
	first   uint64
	entries [][]byte // entries[i] is at first+i
	version uint32
	// intruder, when set, is appended before the next append (another
	// writer).
	intruder []byte
}

func (f *fakeLog) last() uint64 { return f.first + uint64(len(f.entries)) - 1 }

func (f *fakeLog) Info(context.Context, bool) (*wire.InfoReply, error) {
	return &wire.InfoReply{FirstIndex: f.first, LastIndex: f.last()}, nil
}

func (f *fakeLog) Append(_ context.Context, entries [][]byte) (uint64, uint64, error) {
	if f.intruder != nil {
		f.entries = append(f.entries, f.intruder)
		f.intruder = nil
	}
	for _, e := range entries {
		if _, ok := logentry.VersionChangeOf(e); ok {
			return 0, 0, errors.New("version change refused")
		}
	}
	first := f.last() + 1
	f.entries = append(f.entries, entries...)
	return first, f.last(), nil
}

func (f *fakeLog) ChangeVersion(_ context.Context, v uint32) (*wire.ChangeVersionReply, error) {
	e, _ := logentry.EncodeVersionChange(v)
	f.entries = append(f.entries, e)
	f.version = v
	return &wire.ChangeVersionReply{Version: v, Index: f.last()}, nil
}

func (f *fakeLog) Read(_ context.Context, start uint64, fn func(uint64, []byte) error) error {
	for i := start; i <= f.last(); i++ {
		if err := fn(i, f.entries[i-f.first]); err != nil {
			return err
		}
	}
	return errors.New("tailing is not faked")
}

func entry(i uint64) []byte { return []byte(fmt.Sprintf("entry %d", i)) }

// writeArchive writes entries first..last in segments of per, with a
// version change to 3 at versionAt (0: none).
func writeArchive(t *testing.T, dir string, first, last, per, versionAt uint64) map[uint64][]byte {
	t.Helper()
	want := map[uint64][]byte{}
	for s := first; s <= last; s += per {
		w, err := logarchive.Create(dir, s)
		if err != nil {
			t.Fatal(err)
		}
		for i := s; i <= min(s+per-1, last); i++ {
			data := entry(i)
			if i == versionAt {
				data, _ = logentry.EncodeVersionChange(3)
			}
			want[i] = data
			if err := w.Add(i, data); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return want
}

func TestReplayPreservesIndexes(t *testing.T) {
	dir := t.TempDir()
	want := writeArchive(t, dir, 1, 3000, 700, 1500)
	for _, to := range []uint64{0, 2000} {
		log := &fakeLog{first: 101} // started after a backup as of 100
		p, err := Check(dir, 100, to)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Replay(context.Background(), log, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		end := to
		if to == 0 {
			end = 3000
		}
		if log.last() != end || res.Appended != end-100 || res.VersionChanges != 1 {
			t.Fatalf("to %d: the log ends at %d, %+v", to, log.last(), res)
		}
		for i := uint64(101); i <= end; i++ {
			if string(log.entries[i-101]) != string(want[i]) {
				t.Fatalf("index %d holds %q, want %q", i, log.entries[i-101], want[i])
			}
		}
	}
}

func TestReplayResumes(t *testing.T) {
	dir := t.TempDir()
	want := writeArchive(t, dir, 1, 500, 100, 0)
	log := &fakeLog{first: 11}
	for i := uint64(11); i <= 250; i++ {
		log.entries = append(log.entries, want[i])
	}
	p, err := Check(dir, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Replay(context.Background(), log, p, nil)
	if err != nil || res.Resumed != 240 || res.Appended != 250 || log.last() != 500 {
		t.Fatalf("resumed: %+v, %v, log ends at %d", res, err, log.last())
	}
	// A log holding something else is refused.
	other := &fakeLog{first: 11, entries: [][]byte{[]byte("other")}}
	if _, err := Replay(context.Background(), other, p, nil); err == nil || !strings.Contains(err.Error(), "entry 11 differs") {
		t.Fatalf("replay over another entry: %v", err)
	}
	// As is another writer appending meanwhile.
	intruded := &fakeLog{first: 11, intruder: []byte("x")}
	if _, err := Replay(context.Background(), intruded, p, nil); err == nil || !strings.Contains(err.Error(), "something else appended") {
		t.Fatalf("replay with another writer: %v", err)
	}
}

func TestCheckRefuses(t *testing.T) {
	dir := t.TempDir()
	writeArchive(t, dir, 1, 400, 100, 0)
	segs, err := logarchive.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		after, to uint64
		want      string
	}{
		{100, 500, "ends at entry 400"},
		{500, 0, "nothing to replay"},
		{100, 50, "before the backup's index"},
	} {
		if _, err := Check(dir, tc.after, tc.to); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Check(%d, %d) = %v, want %q", tc.after, tc.to, err, tc.want)
		}
	}
	// Damage: named.
	b, err := os.ReadFile(segs[2].Path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(segs[2].Path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(dir, 100, 0); err == nil || !strings.Contains(err.Error(), filepath.Base(segs[2].Path)) {
		t.Fatalf("Check over a damaged segment: %v", err)
	}
	// A gap: named.
	if err := os.Remove(segs[2].Path); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(dir, 100, 0); err == nil || !strings.Contains(err.Error(), filepath.Base(segs[1].Path)) {
		t.Fatalf("Check over a gap: %v", err)
	}
}
