package logserver

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	sm "github.com/lni/dragonboat/v3/statemachine"
)

func dirSet(t *testing.T, key string, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return encodeDirectory(directoryOp{key: key, value: b})
}

func applyOne(t *testing.T, s *logSM, raftIndex uint64, cmd []byte) sm.Result {
	t.Helper()
	out, err := s.Update([]sm.Entry{{Index: raftIndex, Cmd: cmd}})
	if err != nil {
		t.Fatal(err)
	}
	return out[0].Result
}

// TestDirectoryCommands checks the directory in the state machine: records
// set, replaced and deleted; refused for a removed replica, too large, or
// malformed; dropped with the replica's removal; kept across a restart and
// a snapshot; and a version change refused while a recorded server
// supports less.
func TestDirectoryCommands(t *testing.T) {
	dir := t.TempDir()
	s := openSM(t, dir, 0)
	view := ServerRecord{Role: "view", GRPCAddr: "10.0.0.1:9091", MaxLogVersion: 1, Since: 5}
	if r := applyOne(t, s, 1, dirSet(t, replicaDirKey(1), ReplicaRecord{GRPCAddr: "10.0.0.1:9090", DC: "dc1"})); r.Value != 1 {
		t.Fatalf("replica record refused: %+v", r)
	}
	applyOne(t, s, 2, dirSet(t, replicaDirKey(2), ReplicaRecord{GRPCAddr: "10.0.0.2:9090"}))
	applyOne(t, s, 3, dirSet(t, serverDirKey(view.Name()), view))
	applyOne(t, s, 4, encodeMarkRemoved(2))
	if r := applyOne(t, s, 5, dirSet(t, replicaDirKey(2), ReplicaRecord{GRPCAddr: "10.0.0.9:9090"})); r.Value != 0 {
		t.Fatalf("a record for removed replica 2 was written: %+v", r)
	}
	big := encodeDirectory(directoryOp{key: "s/x", value: bytes.Repeat([]byte("x"), maxDirectoryValue+1)})
	if r := applyOne(t, s, 6, big); r.Value != 0 {
		t.Fatalf("an oversized record was written: %+v", r)
	}
	applyOne(t, s, 7, []byte{kindDirectory, 5}) // malformed: ignored
	if v := versionOf(t, s, 8, 2); v.current() != 1 {
		t.Fatalf("the log switched to version %d while %s supports only 1", v.current(), view.Name())
	}
	check := func(what string, a adminState) {
		t.Helper()
		reps := a.replicaRecords()
		if len(reps) != 1 || reps[1].GRPCAddr != "10.0.0.1:9090" || reps[1].DC != "dc1" {
			t.Fatalf("%s: replica records %+v, want only replica 1", what, reps)
		}
		if srv := a.serverRecords(); len(srv) != 1 || srv[0] != view {
			t.Fatalf("%s: server records %+v, want %+v", what, srv, view)
		}
	}
	check("applied", s.adminState())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openSM(t, dir, 0)
	defer s.Close()
	check("after restart", s.adminState())
	buf := snapshotBytes(t, s)
	dst := openSM(t, t.TempDir(), 0)
	defer dst.Close()
	applyOne(t, dst, 1, dirSet(t, serverDirKey("api/stale:1"), ServerRecord{Role: "api", GRPCAddr: "stale:1", MaxLogVersion: 1}))
	if err := dst.RecoverFromSnapshot(bytes.NewReader(buf), nil); err != nil {
		t.Fatal(err)
	}
	check("after a snapshot", dst.adminState())
	applyOne(t, dst, 20, encodeDirectory(directoryOp{key: serverDirKey(view.Name()), remove: true}))
	if v := versionOf(t, dst, 21, 2); v.current() != 2 {
		t.Fatalf("with the old view forgotten, the log is in version %d, want 2", v.current())
	}
}

// TestRecordServerWaitsForADirectory checks that a replica that did not
// found its log writes no record nobody asked for until the directory
// exists: a log of an older release must not see a command kind its
// replicas do not know.
func TestRecordServerWaitsForADirectory(t *testing.T) {
	s := &Server{sm: &logSM{}}
	ok, err := s.RecordServer(context.Background(), ServerRecord{Role: "view", GRPCAddr: "a:1", MaxLogVersion: 1})
	if ok || err != nil {
		t.Fatalf("RecordServer without a directory: %v, %v; want nothing recorded, no error", ok, err)
	}
	if err := checkAdvertisable("0.0.0.0:9090"); err == nil || !strings.Contains(err.Error(), "wildcard") {
		t.Fatalf("0.0.0.0 accepted as a replica address: %v", err)
	}
}
