package logserver

import (
	"bytes"
	"testing"

	sm "github.com/lni/dragonboat/v3/statemachine"
)

func startAfterOf(t *testing.T, s *logSM, raftIndex, index uint64, version uint32, vindex uint64) (uint64, uint64) {
	t.Helper()
	out, err := s.Update([]sm.Entry{{Index: raftIndex, Cmd: encodeStartAfter(index, version, vindex)}})
	if err != nil {
		t.Fatal(err)
	}
	first, last, err := decodeStartAfterResult(out[0].Result)
	if err != nil {
		t.Fatal(err)
	}
	return first, last
}

// TestStartAfterCommand checks that a new log continues after a backup's
// index, in its format version, across a restart and a snapshot, and that
// the command changes nothing on a log that holds entries.
func TestStartAfterCommand(t *testing.T) {
	dir := t.TempDir()
	s := openSM(t, dir, 0)
	if first, last := startAfterOf(t, s, 1, 1000, 3, 1); first != 1001 || last != 1000 {
		t.Fatalf("start after 1000: extent %d..%d, want 1001..1000", first, last)
	}
	rs := update(t, s, 2, appendCmd(op(1, 1, "a", "b")))
	if r := rs[0][0]; r.first != 1001 || r.last != 1002 {
		t.Fatalf("the first append after the start got %d..%d, want 1001..1002", r.first, r.last)
	}
	// Again (a restart of the restored log): nothing changes.
	if first, last := startAfterOf(t, s, 3, 1000, 3, 1); first != 1001 || last != 1002 {
		t.Fatalf("repeated start: extent %d..%d, want 1001..1002", first, last)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openSM(t, dir, 0)
	defer s.Close()
	if ext := s.extent(); ext.first != 1001 || ext.last != 1002 {
		t.Fatalf("after a restart: %+v", ext)
	}
	want := logVersion{number: 3, index: 1}
	if v := s.adminState().version; v != want {
		t.Fatalf("version %+v, want %+v", v, want)
	}
	buf := snapshotBytes(t, s)
	dst := openSM(t, t.TempDir(), 0)
	defer dst.Close()
	if err := dst.RecoverFromSnapshot(bytes.NewReader(buf), nil); err != nil {
		t.Fatal(err)
	}
	if ext, v := dst.extent(), dst.adminState().version; ext.first != 1001 || ext.last != 1002 || v != want {
		t.Fatalf("after a snapshot: %+v, %+v", ext, v)
	}
	ents, err := dst.readEntries(1001, 1002, 1<<20)
	if err != nil || len(ents) != 2 || string(ents[0].data) != "a" {
		t.Fatalf("entries after a snapshot: %v %v", ents, err)
	}

	// A log that holds entries does not move.
	old := openSM(t, t.TempDir(), 0)
	defer old.Close()
	update(t, old, 1, appendCmd(op(1, 1, "x")))
	if first, last := startAfterOf(t, old, 2, 1000, 3, 1); first != 1 || last != 1 {
		t.Fatalf("start after on a used log: extent %d..%d, want 1..1", first, last)
	}
}
