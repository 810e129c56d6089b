package update

import (
	"bytes"
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// TestFactKeyMatchesMarshalling checks that factKey tells facts apart
// exactly as comparing their marshalled fields (its former definition) does.
func TestFactKeyMatchesMarshalling(t *testing.T) {
	refs := []*wire.Ref{nil, {}, logentry.KIDRef(1), logentry.KIDRef(300), logentry.OffsetRef(1), logentry.OffsetRef(300)}
	objs := []*wire.LogObject{nil, {},
		{Value: &wire.LogObject_Entity{Entity: logentry.KIDRef(1)}},
		{Value: &wire.LogObject_Entity{Entity: logentry.OffsetRef(1)}},
		{Value: &wire.LogObject_Str{Str: ""}}, {Value: &wire.LogObject_Str{Str: "ab"}},
		{Value: &wire.LogObject_Str{Str: "a"}, Lang: "b"}, {Value: &wire.LogObject_Str{Str: "ab"}, Lang: "en"},
		{Value: &wire.LogObject_Int64{Int64: -1}}, {Value: &wire.LogObject_Int64{Int64: 1}, Unit: logentry.KIDRef(1)},
		{Value: &wire.LogObject_Float64{Float64: 0}}, {Value: &wire.LogObject_Float64{Float64: math.Copysign(0, -1)}},
		{Value: &wire.LogObject_Bool{Bool: true}}, {Value: &wire.LogObject_Bool{}},
		{Value: &wire.LogObject_Timestamp{Timestamp: &wire.Timestamp{Seconds: 5, Precision: 3}}},
		{Value: &wire.LogObject_Timestamp{Timestamp: &wire.Timestamp{Seconds: 5, Nanos: 1, Precision: 3}}},
	}
	var cands []*candidate
	for _, s := range refs {
		for _, p := range refs[2:4] {
			for _, o := range objs {
				cands = append(cands, &candidate{s: s, p: p, o: o})
			}
		}
	}
	marshal := func(c *candidate) []byte {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(&wire.InsertFact{Subject: c.s, Predicate: c.p, Object: c.o})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, a := range cands {
		for _, b := range cands {
			if got, want := factKey(a) == factKey(b), bytes.Equal(marshal(a), marshal(b)); got != want {
				t.Errorf("facts %v and %v: keys equal %v, marshalled equal %v", a, b, got, want)
			}
		}
	}
}
