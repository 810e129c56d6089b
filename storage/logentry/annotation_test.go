package logentry

import (
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// annotatedEntries are an insert and an update whose object is the
// annotated literal "01"^^xsd:integer.
func annotatedEntries(t *testing.T) map[string][]byte {
	t.Helper()
	ins := &wire.LogEntry{Command: &wire.LogEntry_Insert{Insert: &wire.InsertTx{Facts: []*wire.InsertFact{{
		FactOffset: 1, Subject: KIDRef(1), Predicate: KIDRef(2),
		Object: &wire.LogObject{Value: &wire.LogObject_Int64{Int64: 1}, Lex: "01"},
	}}}}}
	del := &wire.LogEntry{Command: &wire.LogEntry_Update{Update: &wire.UpdateTx{ReadIndex: 7,
		Deletes: []*wire.DeleteFact{{FactId: 5, Subject: 1, Predicate: 2,
			Object: &wire.Object{Value: &wire.Object_Str{Str: "x"}, Datatype: "http://ex/dt"}}}}}}
	out := map[string][]byte{}
	for name, e := range map[string]*wire.LogEntry{"insert": ins, "update delete": del} {
		data, err := Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = data
	}
	return out
}

func TestValidateAnnotationNeedsVersion3(t *testing.T) {
	for name, data := range annotatedEntries(t) {
		for v := FirstVersion; v < AnnotationVersion; v++ {
			err := Validate(data, v)
			if err == nil || !strings.Contains(err.Error(), "akutan ctl log upgrade --to 3") {
				t.Errorf("%s in version %d: got %v, want an error naming the upgrade", name, v, err)
			}
		}
		for v := AnnotationVersion; v <= MaxSupportedVersion; v++ {
			if err := Validate(data, v); err != nil {
				t.Errorf("%s in version %d: %v", name, v, err)
			}
		}
	}
}

func TestReplayKeepsAnnotation(t *testing.T) {
	fx, err := Replay(9, annotatedEntries(t)["insert"], MaxSupportedVersion, func(storage.Fact) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	want := storage.AInt64(1, 0)
	want.Lex = "01"
	if len(fx.Inserts) != 1 || !storage.SameTerm(fx.Inserts[0].Object, want) {
		t.Fatalf("replayed %+v, want one fact with object %+v", fx.Inserts, want)
	}
}
