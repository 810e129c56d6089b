package logentry

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/akutan-dev/akutan/wire"
)

func TestVersionChangeRoundTrip(t *testing.T) {
	if MaxSupportedVersion < 2 {
		t.Fatalf("MaxSupportedVersion = %d: version 2 exists to exercise upgrades", MaxSupportedVersion)
	}
	data, err := EncodeVersionChange(2)
	if err != nil {
		t.Fatal(err)
	}
	e, err := Decode(data)
	if err != nil || e.GetVersion().GetVersion() != 2 || e.GetInsert() != nil {
		t.Fatalf("decoded %v, %v; want a change to version 2", e, err)
	}
}

// validInsert is an entry inserting one fact: <1> <2> "x".
func validInsert(t *testing.T) []byte {
	t.Helper()
	data, err := Encode(&wire.LogEntry{Command: &wire.LogEntry_Insert{Insert: &wire.InsertTx{Facts: []*wire.InsertFact{{
		FactOffset: 1, Subject: KIDRef(1), Predicate: KIDRef(2),
		Object: &wire.LogObject{Value: &wire.LogObject_Str{Str: "x"}},
	}}}}})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestValidateAccepts(t *testing.T) {
	entries := map[string]*wire.LogEntry{
		"update": {Command: &wire.LogEntry_Update{Update: &wire.UpdateTx{ReadIndex: 7,
			Deletes: []*wire.DeleteFact{{FactId: 5, Subject: 1, Predicate: 2, Object: &wire.Object{Value: &wire.Object_Bool{Bool: true}}}}}}},
		"decide":       {Command: &wire.LogEntry_Decide{Decide: &wire.Decide{TxIndex: 3, Commit: true}}},
		"empty insert": {Command: &wire.LogEntry_Insert{Insert: &wire.InsertTx{}}},
	}
	for name, e := range entries {
		data, err := Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		if err := Validate(data, FirstVersion); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for v := FirstVersion; v <= MaxSupportedVersion; v++ {
		if err := Validate(validInsert(t), v); err != nil {
			t.Errorf("insert in version %d: %v", v, err)
		}
	}
}

func TestValidateRefuses(t *testing.T) {
	versionChange, err := EncodeVersionChange(99)
	if err != nil {
		t.Fatal(err)
	}
	badFact, err := Encode(&wire.LogEntry{Command: &wire.LogEntry_Insert{Insert: &wire.InsertTx{Facts: []*wire.InsertFact{{
		FactOffset: 1, Subject: KIDRef(0), Predicate: KIDRef(2), Object: &wire.LogObject{Value: &wire.LogObject_Bool{Bool: true}},
	}}}}})
	if err != nil {
		t.Fatal(err)
	}
	noTx, err := Encode(&wire.LogEntry{Command: &wire.LogEntry_Decide{Decide: &wire.Decide{Commit: true}}})
	if err != nil {
		t.Fatal(err)
	}
	// Field 9, a kind this binary does not know, next to a valid insert.
	unknownKind := append(validInsert(t), 0x4a, 0x00)
	// The insert's object "x" made invalid UTF-8 (proto.Marshal would not
	// write it).
	invalidUTF8 := bytes.Replace(validInsert(t), []byte("x"), []byte{0xff}, 1)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"version change", versionChange, "only `akutan ctl log upgrade` may append"},
		{"random bytes", []byte{0xff, 0x13, 0x37, 0x00, 0x42}, "not a well-formed wire.LogEntry protobuf"},
		{"unknown kind", []byte{0x4a, 0x00}, "fields this binary does not know"},
		{"unknown kind beside an insert", unknownKind, "fields this binary does not know"},
		{"empty", nil, "has no command"},
		{"bad fact", badFact, "fact 0: subject: KID 0 is not an entity"},
		{"decision without a transaction", noTx, "names no transaction"},
		{"invalid UTF-8", invalidUTF8, "invalid UTF-8"},
	}
	for _, c := range cases {
		err := Validate(c.data, FirstVersion)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate = %v; want an error containing %q", c.name, err, c.want)
		}
	}
	if err := Validate(validInsert(t), MaxSupportedVersion+1); err == nil {
		t.Errorf("Validate accepted an entry in version %d, which this binary does not know", MaxSupportedVersion+1)
	}
}

func TestVersionChangeOf(t *testing.T) {
	change, err := EncodeVersionChange(2)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := VersionChangeOf(change); !ok || v != 2 {
		t.Errorf("VersionChangeOf(change to 2) = %d, %v", v, ok)
	}
	for _, data := range [][]byte{validInsert(t), nil, {0xff}} {
		if v, ok := VersionChangeOf(data); ok {
			t.Errorf("VersionChangeOf(%x) = %d, true; want false", data, v)
		}
	}
}

// TestEncodeGivesProtoMarshalBytes: Encode (vtprotobuf) writes exactly the
// bytes proto.Marshal does, for random entries of every kind, so entries
// in logs written before it and after it are alike.
func TestEncodeGivesProtoMarshalBytes(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	entries := []*wire.LogEntry{
		{},
		{Command: &wire.LogEntry_Version{Version: &wire.VersionChange{Version: 3}}},
		{Command: &wire.LogEntry_Update{Update: &wire.UpdateTx{}}},
	}
	for range 3000 {
		index := 1 + uint64(r.Int63n(1000))
		entries = append(entries, randEntry(r, index, r.Intn(8)))
	}
	for _, e := range entries {
		got, err := Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		want, err := proto.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Encode(%v) = %x, proto.Marshal gives %x", e, got, want)
		}
	}
}
