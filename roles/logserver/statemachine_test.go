package logserver

import (
	"bytes"
	"fmt"
	"testing"

	sm "github.com/lni/dragonboat/v3/statemachine"
	"github.com/rs/zerolog"
)

func openSM(t *testing.T, dir string, maxClients int) *logSM {
	t.Helper()
	s := newLogSM(dir, zerolog.Nop(), maxClients)
	if _, err := s.Open(nil); err != nil {
		t.Fatal(err)
	}
	return s
}

func appendCmd(ops ...*appendOp) []byte { return encodeAppend(ops) }

func op(client, seq uint64, entries ...string) *appendOp {
	o := &appendOp{clientID: client, seq: seq}
	for _, e := range entries {
		o.entries = append(o.entries, []byte(e))
	}
	return o
}

// update applies cmds at consecutive Raft indexes from raftIndex and returns
// the per-op results of each.
func update(t *testing.T, s *logSM, raftIndex uint64, cmds ...[]byte) [][]opResult {
	t.Helper()
	ents := make([]sm.Entry, len(cmds))
	for i, c := range cmds {
		ents[i] = sm.Entry{Index: raftIndex + uint64(i), Cmd: c}
	}
	out, err := s.Update(ents)
	if err != nil {
		t.Fatal(err)
	}
	var all [][]opResult
	for _, e := range out {
		if e.Cmd[0] != kindAppend {
			all = append(all, nil)
			continue
		}
		rs, err := decodeResults(e.Result.Data, int(e.Result.Value))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rs)
	}
	return all
}

func TestCommandRoundTrip(t *testing.T) {
	ops := []*appendOp{op(1, 2, "a", "", "ccc"), op(0, 0, "d")}
	cmd := encodeAppend(ops)
	got, err := decodeAppend(cmd[1:])
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got[0].entries) != fmt.Sprint(ops[0].entries) || got[1].clientID != 0 || got[0].seq != 2 {
		t.Fatalf("round trip mismatch: %+v", got)
	}
	for i := 1; i < len(cmd); i++ {
		if _, err := decodeAppend(cmd[1:i]); err == nil {
			t.Fatalf("truncated command of %d bytes decoded", i)
		}
	}
}

func TestDenseIndexesAndDedup(t *testing.T) {
	s := openSM(t, t.TempDir(), 0)
	defer s.Close()
	rs := update(t, s, 10,
		appendCmd(op(7, 1, "a", "b"), op(8, 1, "c")),
		appendCmd(op(7, 1, "a", "b")), // retry: same result, not applied again
		appendCmd(op(7, 2, "d")),
		appendCmd(op(7, 1, "x")), // stale
		[]byte{99},               // unknown kind: ignored
	)
	want := []opResult{{statusOK, 1, 2}, {statusOK, 3, 3}, {statusOK, 1, 2}, {statusOK, 4, 4}, {statusStale, 0, 0}}
	got := append(append(append(rs[0], rs[1]...), rs[2]...), rs[3]...)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("results %v, want %v", got, want)
	}
	if ext := s.extent(); ext != (extent{first: 1, last: 4, applied: 14}) {
		t.Fatalf("extent %+v", ext)
	}
	ents, err := s.readEntries(1, 4, 1<<20)
	if err != nil || len(ents) != 4 || string(ents[3].data) != "d" {
		t.Fatalf("entries %v, %v", ents, err)
	}
}

func TestOpenIsTruthful(t *testing.T) {
	dir := t.TempDir()
	s := openSM(t, dir, 0)
	update(t, s, 5, appendCmd(op(1, 1, "a")), appendCmd(op(1, 2, "b")))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = newLogSM(dir, zerolog.Nop(), 0)
	applied, err := s.Open(nil)
	if err != nil || applied != 6 {
		t.Fatalf("Open = %d, %v; want 6", applied, err)
	}
	defer s.Close()
	// The dedup table survives the restart.
	rs := update(t, s, 7, appendCmd(op(1, 2, "b")))
	if rs[0][0] != (opResult{statusOK, 2, 2}) || s.extent().last != 2 {
		t.Fatalf("retry after restart: %v, extent %+v", rs, s.extent())
	}
}

func TestClientEviction(t *testing.T) {
	s := openSM(t, t.TempDir(), 10)
	defer s.Close()
	for c := uint64(1); c <= 11; c++ {
		update(t, s, c, appendCmd(op(c, 1, "x")))
	}
	if len(s.clients) != 9 {
		t.Fatalf("%d clients after eviction, want 9", len(s.clients))
	}
	if _, ok := s.clients[1]; ok {
		t.Fatal("least recently used client 1 not evicted")
	}
	if _, ok := s.clients[11]; !ok {
		t.Fatal("client 11 evicted")
	}
}

func TestTruncateAndGC(t *testing.T) {
	s := openSM(t, t.TempDir(), 0)
	defer s.Close()
	update(t, s, 1, appendCmd(op(0, 0, "a", "b", "c", "d")), encodeTruncate(3))
	if ext := s.extent(); ext.first != 3 || ext.last != 4 {
		t.Fatalf("extent %+v", ext)
	}
	update(t, s, 3, encodeTruncate(100)) // clamped to last+1
	if ext := s.extent(); ext.first != 5 || ext.last != 4 {
		t.Fatalf("extent %+v", ext)
	}
	if low, err := lowestEntry(s.db, 0); err != nil || low != 0 {
		t.Fatalf("entries left after GC: lowest %d, %v", low, err)
	}
	rs := update(t, s, 4, appendCmd(op(0, 0, "e")))
	if rs[0][0] != (opResult{statusOK, 5, 5}) {
		t.Fatalf("append after full truncation: %v", rs)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	src := openSM(t, t.TempDir(), 0)
	defer src.Close()
	update(t, src, 1, appendCmd(op(3, 1, "a", "b")), appendCmd(op(4, 9, "c")), encodeTruncate(2))
	ctx, err := src.PrepareSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	update(t, src, 4, appendCmd(op(5, 1, "not in snapshot")))
	var buf bytes.Buffer
	if err := src.SaveSnapshot(ctx, &buf, nil); err != nil {
		t.Fatal(err)
	}

	dst := openSM(t, t.TempDir(), 0)
	defer dst.Close()
	update(t, dst, 1, appendCmd(op(3, 1, "a", "b")))
	if err := dst.RecoverFromSnapshot(bytes.NewReader(buf.Bytes()), nil); err != nil {
		t.Fatal(err)
	}
	if ext := dst.extent(); ext != (extent{first: 2, last: 3, applied: 3}) {
		t.Fatalf("extent after recovery %+v", ext)
	}
	if _, ok := dst.clients[5]; ok || dst.clients[4].seq != 9 {
		t.Fatalf("clients after recovery %+v", dst.clients)
	}
	ents, err := dst.readEntries(2, 3, 1<<20)
	if err != nil || string(ents[0].data) != "b" || string(ents[1].data) != "c" {
		t.Fatalf("entries %v, %v", ents, err)
	}
	if err := dst.RecoverFromSnapshot(bytes.NewReader(buf.Bytes()[:buf.Len()-3]), nil); err == nil {
		t.Fatal("truncated snapshot accepted")
	}
}
