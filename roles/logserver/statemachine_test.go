package logserver

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	sm "github.com/lni/dragonboat/v3/statemachine"
	"github.com/rs/zerolog"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/storage/logentry"
)

func openSM(t *testing.T, dir string, maxClients int) *logSM {
	t.Helper()
	s := newLogSM(dir, zerolog.Nop(), smOptions{maxClients: maxClients})
	if _, err := s.Open(nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// snapshotBytes saves a snapshot of s and returns it.
func snapshotBytes(t *testing.T, s *logSM) []byte {
	t.Helper()
	snap, err := s.PrepareSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.SaveSnapshot(snap, &buf, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
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
		[]byte{kindAppend, 0x80}, // malformed: skipped
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

// TestUnknownCommandKindStops checks that a proposal of a kind this binary
// does not know (made by a newer one) is an error naming its Raft index and
// kind, and that nothing of its batch is kept: the applied index stays
// where it was, so a newer binary applies the batch whole.
func TestUnknownCommandKindStops(t *testing.T) {
	dir := t.TempDir()
	s := openSM(t, dir, 0)
	update(t, s, 5, appendCmd(op(1, 1, "a")))
	_, err := s.Update([]sm.Entry{
		{Index: 6, Cmd: appendCmd(op(1, 2, "b"))},
		{Index: 7, Cmd: []byte{99}},
	})
	if err == nil || !strings.Contains(err.Error(), "Raft index 7") || !strings.Contains(err.Error(), "kind 99") {
		t.Fatalf("unknown kind: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = newLogSM(dir, zerolog.Nop(), smOptions{})
	defer s.Close()
	if applied, err := s.Open(nil); err != nil || applied != 5 {
		t.Fatalf("reopened at applied index %d (%v), want 5", applied, err)
	}
	if ext := s.extent(); ext.last != 1 {
		t.Fatalf("extent %+v after the refused batch, want last index 1", ext)
	}
}

func TestOpenIsTruthful(t *testing.T) {
	dir := t.TempDir()
	s := openSM(t, dir, 0)
	update(t, s, 5, appendCmd(op(1, 1, "a")), appendCmd(op(1, 2, "b")))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = newLogSM(dir, zerolog.Nop(), smOptions{})
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
	waitGC(t, s, 0)
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

// waitGC waits until the collector has deleted every entry below the first
// retained one: lowest is the lowest stored entry then (0 for none).
func waitGC(t *testing.T, s *logSM, lowest uint64) {
	t.Helper()
	testutil.Eventually(t, 5*time.Second, 10*time.Millisecond, func() error {
		low, err := lowestEntry(s.db, 0)
		if err != nil || low != lowest {
			return fmt.Errorf("entries left after GC: lowest %d (want %d), %v", low, lowest, err)
		}
		return nil
	})
}

func truncResultOf(t *testing.T, s *logSM, raftIndex uint64, cmd []byte) truncResult {
	t.Helper()
	out, err := s.Update([]sm.Entry{{Index: raftIndex, Cmd: cmd}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := decodeTruncResult(out[0].Result.Data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFloorsBoundTruncation(t *testing.T) {
	s := openSM(t, t.TempDir(), 0)
	defer s.Close()
	update(t, s, 1, appendCmd(op(0, 0, "1", "2", "3", "4", "5", "6", "7", "8", "9", "10")))
	if r := truncResultOf(t, s, 2, encodeTruncateMode(truncAuto, 0)); r.status != truncNoFloors || r.first != 1 {
		t.Fatalf("auto truncation without floors: %+v", r)
	}
	update(t, s, 3, encodeSetFloor(setFloorOp{cluster: "east", index: 6}), encodeSetFloor(setFloorOp{cluster: "west", index: 4}))
	if r := truncResultOf(t, s, 5, encodeTruncateMode(truncBefore, 6)); r.status != truncPastFloor || r.cluster != "west" || r.floor != 4 {
		t.Fatalf("truncation past west's floor: %+v", r)
	}
	if r := truncResultOf(t, s, 6, encodeTruncateMode(truncAuto, 0)); r.status != truncOK || r.first != 5 {
		t.Fatalf("auto truncation: %+v, want first 5 (west tolerates losing up to 4)", r)
	}
	update(t, s, 7, encodeSetFloor(setFloorOp{cluster: "west", remove: true}))
	if r := truncResultOf(t, s, 8, encodeTruncateMode(truncAuto, 0)); r.first != 7 {
		t.Fatalf("auto truncation after west left: %+v, want first 7", r)
	}
	if r := truncResultOf(t, s, 9, encodeTruncateMode(truncForce, 9)); r.status != truncOK || r.first != 9 {
		t.Fatalf("forced truncation: %+v", r)
	}
	if r := truncResultOf(t, s, 10, encodeTruncateMode(truncAuto, 0)); r.first != 9 {
		t.Fatalf("auto truncation below the first index moved it: %+v", r)
	}
	waitGC(t, s, 9)
}

func TestAdminStateSurvivesRestartAndSnapshot(t *testing.T) {
	dir := t.TempDir()
	s := openSM(t, dir, 0)
	update(t, s, 1, appendCmd(op(1, 1, "a", "b")), encodeSetFloor(setFloorOp{cluster: "c1", index: 2}),
		encodeMarkRemoved(7), []byte{kindMarkRemoved}) // the last is malformed: ignored
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openSM(t, dir, 0)
	defer s.Close()
	want := fmt.Sprint(adminState{floors: map[string]uint64{"c1": 2}, removed: map[uint64]bool{7: true}})
	if got := fmt.Sprint(s.adminState()); got != want {
		t.Fatalf("admin state after restart %s, want %s", got, want)
	}
	buf := snapshotBytes(t, s)
	dst := openSM(t, t.TempDir(), 0)
	defer dst.Close()
	update(t, dst, 1, encodeSetFloor(setFloorOp{cluster: "stale", index: 1}), encodeMarkRemoved(9))
	if err := dst.RecoverFromSnapshot(bytes.NewReader(buf), nil); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(dst.adminState()); got != want {
		t.Fatalf("admin state after recovery %s, want %s", got, want)
	}
	v, err := dst.Lookup(lookupAdmin{})
	if err != nil || fmt.Sprint(v.(adminView).admin) != want {
		t.Fatalf("lookup after recovery %v, %v", v, err)
	}
}

func TestCommandsRejectMalformed(t *testing.T) {
	for _, cmd := range [][]byte{
		encodeSetFloor(setFloorOp{cluster: "", index: 1}),
		append(encodeSetFloor(setFloorOp{cluster: "x", index: 1}), 0),
		encodeMarkRemoved(0),
		{kindTruncateMode, 0x80},
	} {
		if _, err := decodeSetFloor(cmd[1:]); cmd[0] == kindSetFloor && err == nil {
			t.Errorf("set floor %x decoded", cmd)
		}
		if _, err := decodeMarkRemoved(cmd[1:]); cmd[0] == kindMarkRemoved && err == nil {
			t.Errorf("mark removed %x decoded", cmd)
		}
		if _, _, err := decodeTruncateMode(cmd[1:]); cmd[0] == kindTruncateMode && err == nil {
			t.Errorf("truncate %x decoded", cmd)
		}
	}
}

// TestOpensGoLevelDBFileStore checks that a store written by goleveldb's
// own file storage (before vfsStorage) opens and reads the same.
func TestOpensGoLevelDBFileStore(t *testing.T) {
	dir := t.TempDir()
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := new(leveldb.Batch)
	b.Put(entryKey(1), []byte("old"))
	b.Put(keyLast, u64(1))
	b.Put(keyApplied, u64(3))
	if err := db.Write(b, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.CompactRange(util.Range{}); err != nil { // into a table, not just the journal
		t.Fatal(err)
	}
	db.Close()
	s := newLogSM(dir, zerolog.Nop(), smOptions{})
	applied, err := s.Open(nil)
	if err != nil || applied != 3 {
		t.Fatalf("Open = %d, %v", applied, err)
	}
	defer s.Close()
	ents, err := s.readEntries(1, 1, 1<<20)
	if err != nil || string(ents[0].data) != "old" {
		t.Fatalf("entries %v, %v", ents, err)
	}
}

// versionOf applies a version change command at raftIndex and returns its
// decoded result.
func versionOf(t *testing.T, s *logSM, raftIndex uint64, to uint32) logVersion {
	t.Helper()
	out, err := s.Update([]sm.Entry{{Index: raftIndex, Cmd: encodeVersionChange(to)}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := decodeVersionResult(out[0].Result)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestVersionChangeCommand checks that the state machine appends a version
// change only upward, answers a repeated or older one with the version it
// is in, keeps the version across a restart and a snapshot, and follows
// version changes appended as plain entries before appends refused them.
func TestVersionChangeCommand(t *testing.T) {
	dir := t.TempDir()
	s := openSM(t, dir, 0)
	update(t, s, 1, appendCmd(op(1, 1, "a")))
	if v := s.adminState().version; v.current() != logentry.FirstVersion || v.index != 0 {
		t.Fatalf("a new log is in version %d since %d, want %d since 0", v.current(), v.index, logentry.FirstVersion)
	}
	if v := versionOf(t, s, 2, 2); v.current() != 2 || v.index != 2 {
		t.Fatalf("switching to 2 answered version %d at index %d, want 2 at 2", v.current(), v.index)
	}
	for _, to := range []uint32{2, 1} {
		if v := versionOf(t, s, 3, to); v.current() != 2 || v.index != 2 {
			t.Fatalf("switching to %d again answered %d at %d, want 2 at 2", to, v.current(), v.index)
		}
	}
	ents, err := s.readEntries(2, 2, 1<<20)
	if v, ok := logentry.VersionChangeOf(ents[0].data); err != nil || !ok || v != 2 || s.extent().last != 2 {
		t.Fatalf("entry 2 is %x (%v), last index %d; want the one change to version 2", ents[0].data, err, s.extent().last)
	}
	legacy, err := logentry.EncodeVersionChange(3)
	if err != nil {
		t.Fatal(err)
	}
	update(t, s, 4, appendCmd(&appendOp{clientID: 1, seq: 2, entries: [][]byte{[]byte("b"), legacy}}))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openSM(t, dir, 0)
	defer s.Close()
	want := logVersion{number: 3, index: 4}
	if v := s.adminState().version; v != want {
		t.Fatalf("after a plain-append change and a restart: %+v, want %+v", v, want)
	}
	buf := snapshotBytes(t, s)
	dst := openSM(t, t.TempDir(), 0)
	defer dst.Close()
	if err := dst.RecoverFromSnapshot(bytes.NewReader(buf), nil); err != nil {
		t.Fatal(err)
	}
	if v := dst.adminState().version; v != want {
		t.Fatalf("after recovering from a snapshot: %+v, want %+v", v, want)
	}
}
