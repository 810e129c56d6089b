package logentry

import (
	"errors"
	"reflect"
	"testing"

	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// replayIndex is the index every entry of TestReplay lands at.
const replayIndex = 10

func keepAll(storage.Fact) bool { return true }

// strFact is an InsertFact <subject> <2> "str" under fact offset 1.
func strFact(subject *wire.Ref, str string) *wire.InsertFact {
	return &wire.InsertFact{FactOffset: 1, Subject: subject, Predicate: KIDRef(2),
		Object: &wire.LogObject{Value: &wire.LogObject_Str{Str: str}}}
}

// stored is strFact as every view stores it at replayIndex.
func stored(subject uint64, str string) storage.Fact {
	return storage.Fact{Index: replayIndex, ID: storage.KIDOf(replayIndex, 1), Subject: subject, Predicate: 2, Object: storage.AString(str, "")}
}

func insertEntry(facts ...*wire.InsertFact) *wire.LogEntry {
	return &wire.LogEntry{Command: &wire.LogEntry_Insert{Insert: &wire.InsertTx{Facts: facts}}}
}

func updateEntry(readIndex uint64, deletes []*wire.DeleteFact, inserts ...*wire.InsertFact) *wire.LogEntry {
	return &wire.LogEntry{Command: &wire.LogEntry_Update{Update: &wire.UpdateTx{ReadIndex: readIndex, Deletes: deletes, Inserts: inserts}}}
}

func decideEntry(tx uint64, commit bool) *wire.LogEntry {
	return &wire.LogEntry{Command: &wire.LogEntry_Decide{Decide: &wire.Decide{TxIndex: tx, Commit: commit}}}
}

func versionEntry(v uint32) *wire.LogEntry {
	return &wire.LogEntry{Command: &wire.LogEntry_Version{Version: &wire.VersionChange{Version: v}}}
}

// deleteFact7 deletes fact 7: <3> <2> 5.
var deleteFact7 = []*wire.DeleteFact{{FactId: 7, Subject: 3, Predicate: 2, Object: wire.FromObject(storage.AInt64(5, 0))}}

var fact7Tombstone = storage.Fact{Index: replayIndex, ID: 7, Subject: 3, Predicate: 2, Object: storage.AInt64(5, 0)}

// replayCases are the replay rule, entry kind by entry kind: what a view
// that reads versions up to maxVersion does with each entry at
// replayIndex. Every view must apply exactly this.
var replayCases = []struct {
	name       string
	entry      *wire.LogEntry // encoded with Encode; raw when nil
	raw        []byte
	maxVersion uint32 // 0 for MaxSupportedVersion
	want       Effect
	wantErr    bool
}{
	{name: "insert creates its facts",
		entry: insertEntry(strFact(KIDRef(1), "x")),
		want:  Effect{Inserts: []storage.Fact{stored(1, "x")}}},
	{name: "insert names new entities by offset from its index",
		entry: insertEntry(&wire.InsertFact{FactOffset: 1, Subject: OffsetRef(2), Predicate: KIDRef(2), Object: &wire.LogObject{Value: &wire.LogObject_Str{Str: "y"}}}),
		want:  Effect{Inserts: []storage.Fact{stored(storage.KIDOf(replayIndex, 2), "y")}}},
	{name: "insert with a malformed fact changes nothing",
		entry: insertEntry(strFact(KIDRef(1), "x"), strFact(KIDRef(0), "bad"))},
	{name: "empty insert changes nothing",
		entry: insertEntry()},
	{name: "update right after its read commits by itself",
		entry: updateEntry(replayIndex-1, nil, strFact(KIDRef(1), "x")),
		want:  Effect{Inserts: []storage.Fact{stored(1, "x")}}},
	{name: "update landing later is undecided",
		entry: updateEntry(replayIndex-3, nil, strFact(KIDRef(1), "x")),
		want:  Effect{Inserts: []storage.Fact{stored(1, "x")}, Pending: true}},
	{name: "update with deletes right after its read commits by itself",
		entry: updateEntry(replayIndex-1, deleteFact7, strFact(KIDRef(1), "x")),
		want:  Effect{Inserts: []storage.Fact{stored(1, "x")}, Deletes: []storage.Fact{fact7Tombstone}}},
	{name: "update with deletes landing later is undecided",
		entry: updateEntry(0, deleteFact7),
		want:  Effect{Deletes: []storage.Fact{fact7Tombstone}, Pending: true}},
	{name: "update read at its own index changes nothing",
		entry: updateEntry(replayIndex, nil, strFact(KIDRef(1), "x"))},
	{name: "update deleting a fact without a subject changes nothing",
		entry: updateEntry(replayIndex-1, []*wire.DeleteFact{{FactId: 7, Predicate: 2, Object: wire.FromObject(storage.AInt64(5, 0))}})},
	{name: "decision commits an earlier transaction",
		entry: decideEntry(replayIndex-2, true),
		want:  Effect{Decide: &Decision{Tx: replayIndex - 2, Commit: true}}},
	{name: "decision aborts an earlier transaction",
		entry: decideEntry(replayIndex-2, false),
		want:  Effect{Decide: &Decision{Tx: replayIndex - 2}}},
	{name: "decision naming its own index decides nothing",
		entry: decideEntry(replayIndex, true)},
	{name: "decision naming a later index decides nothing",
		entry: decideEntry(replayIndex+1, false)},
	{name: "version change within reach switches the format",
		entry: versionEntry(2), maxVersion: 2,
		want: Effect{Version: 2}},
	{name: "version change beyond this binary stops the view",
		entry: versionEntry(MaxSupportedVersion + 1), maxVersion: MaxSupportedVersion,
		wantErr: true},
	{name: "version change beyond --max-log-version stops the view",
		entry: versionEntry(2), maxVersion: 1,
		wantErr: true},
	{name: "entry without a command changes nothing",
		entry: &wire.LogEntry{}},
	{name: "bytes that are no entry change nothing",
		raw: []byte{0xff, 0xff, 0xff}},
}

func TestReplay(t *testing.T) {
	for _, c := range replayCases {
		t.Run(c.name, func(t *testing.T) {
			data := encodeCase(t, c.entry, c.raw)
			maxVersion := c.maxVersion
			if maxVersion == 0 {
				maxVersion = MaxSupportedVersion
			}
			got, err := Replay(replayIndex, data, maxVersion, keepAll)
			if c.wantErr {
				var unsupported *UnsupportedVersionError
				if !errors.As(err, &unsupported) || unsupported.Index != replayIndex {
					t.Fatalf("Replay = %+v, %v; want an *UnsupportedVersionError at %d", got, err, replayIndex)
				}
				return
			}
			want := c.want
			want.Index = replayIndex
			if err != nil || !reflect.DeepEqual(withNilEmpties(got), want) {
				t.Fatalf("Replay =\n %+v, %v\nwant\n %+v", got, err, want)
			}
		})
	}
}

// TestDecisionOfAgreesWithReplay checks that a writer looking for its
// transaction's decision sees exactly what views apply.
func TestDecisionOfAgreesWithReplay(t *testing.T) {
	for _, c := range replayCases {
		if c.wantErr {
			continue
		}
		data := encodeCase(t, c.entry, c.raw)
		d, ok := DecisionOf(replayIndex, data)
		if want := c.want.Decide; ok != (want != nil) || (ok && d != *want) {
			t.Errorf("%s: DecisionOf = %+v, %v; Replay decides %+v", c.name, d, ok, want)
		}
	}
	data, err := EncodeDecision(4, true)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := DecisionOf(5, data); !ok || d != (Decision{Tx: 4, Commit: true}) {
		t.Errorf("DecisionOf(EncodeDecision(4, true)) = %+v, %v", d, ok)
	}
}

// TestReplayKeep checks that keep drops facts on the fast path (an insert
// or an update without deletes), so that a view builds only its own.
func TestReplayKeep(t *testing.T) {
	data := encodeCase(t, insertEntry(strFact(KIDRef(1), "x"), &wire.InsertFact{FactOffset: 2, Subject: KIDRef(4), Predicate: KIDRef(2),
		Object: &wire.LogObject{Value: &wire.LogObject_Str{Str: "y"}}}), nil)
	got, err := Replay(replayIndex, data, MaxSupportedVersion, func(f storage.Fact) bool { return f.Subject == 1 })
	if err != nil || !reflect.DeepEqual(got.Inserts, []storage.Fact{stored(1, "x")}) {
		t.Fatalf("Replay kept %+v, %v; want only the fact about <1>", got.Inserts, err)
	}
}

// TestFieldNumbers pins the field numbers the fast paths read: they are
// the durable log format, so a change to wire/akutan.proto that moves one
// must fail here rather than make views misread old logs.
func TestFieldNumbers(t *testing.T) {
	for name, c := range map[string]struct{ got, want int32 }{
		"LogEntry.insert": {int32(logEntryInsert), 1}, "LogEntry.version": {int32(logEntryVersion), 2},
		"LogEntry.update": {int32(logEntryUpdate), 3}, "LogEntry.decide": {int32(logEntryDecide), 4},
		"InsertTx.facts":      {int32(insertTxFacts), 1},
		"UpdateTx.read_index": {int32(updateTxReadIndex), 1}, "UpdateTx.inserts": {int32(updateTxInserts), 3},
		"InsertFact.fact_offset": {int32(insertFactOffset), 1}, "InsertFact.subject": {int32(insertFactSubject), 2},
		"InsertFact.predicate": {int32(insertFactPredicate), 3}, "InsertFact.object": {int32(insertFactObject), 4},
		"Ref.kid": {int32(refKID), 1}, "Ref.offset": {int32(refOffset), 2},
		"LogObject.entity": {int32(logObjectEntity), 1}, "LogObject.str": {int32(logObjectStr), 2},
		"LogObject.int64": {int32(logObjectInt64), 3}, "LogObject.float64": {int32(logObjectFloat64), 4},
		"LogObject.bool": {int32(logObjectBool), 5}, "LogObject.lang": {int32(logObjectLang), 7},
		"LogObject.unit": {int32(logObjectUnit), 8},
	} {
		if c.got != c.want {
			t.Errorf("%s is field %d, want %d", name, c.got, c.want)
		}
	}
	if fieldNumber(&wire.LogEntry{}, "no_such_field") != 0 {
		t.Error("fieldNumber of a missing field is not 0")
	}
}

func encodeCase(t *testing.T, e *wire.LogEntry, raw []byte) []byte {
	t.Helper()
	if e == nil {
		return raw
	}
	data, err := Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// withNilEmpties makes an empty list of facts nil: views store both alike.
func withNilEmpties(fx Effect) Effect {
	if len(fx.Inserts) == 0 {
		fx.Inserts = nil
	}
	if len(fx.Deletes) == 0 {
		fx.Deletes = nil
	}
	return fx
}
