package logentry

import (
	"math"
	"math/rand"
	"reflect"
	"testing"

	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// keepSome is a filter that needs the whole fact, like a HashPO view's.
func keepSome(f storage.Fact) bool { return storage.HashPO(f.Predicate, f.Object)%3 != 0 }

// slowInserts is what a view got before the fast path: Decode, then
// InsertedFacts or UpdateFacts, then the store's filter. ok is false when
// the entry inserts nothing because it is not an insert or is malformed.
func slowInserts(index uint64, data []byte, keep func(storage.Fact) bool) (Inserts, bool) {
	e, err := Decode(data)
	if err != nil {
		return Inserts{}, false
	}
	var in Inserts
	var facts []storage.Fact
	switch {
	case e.GetInsert() != nil:
		if facts, err = InsertedFacts(index, e.GetInsert()); err != nil {
			return Inserts{}, false
		}
	case e.GetUpdate() != nil:
		tx, err := UpdateFacts(index, e.GetUpdate())
		if err != nil || len(tx.Deletes) > 0 {
			return Inserts{}, false
		}
		in.Update, in.ReadIndex, facts = true, tx.ReadIndex, tx.Inserts
	default:
		return Inserts{}, false
	}
	for _, f := range facts {
		in.Annotated = in.Annotated || f.Object.Annotated()
		if keep(f) {
			in.Facts = append(in.Facts, f)
		}
	}
	return in, true
}

// randRef is usually valid, sometimes not.
func randRef(r *rand.Rand) *wire.Ref {
	switch r.Intn(12) {
	case 0:
		return nil
	case 1:
		return &wire.Ref{}
	case 2:
		return KIDRef(0)
	case 3:
		return OffsetRef(uint32(r.Intn(3)) * (storage.MaxOffset + 1))
	case 4, 5, 6:
		return KIDRef(r.Uint64())
	}
	return OffsetRef(1 + uint32(r.Intn(50)))
}

func randObject(r *rand.Rand) *wire.LogObject {
	strs := []string{"", "x", "hello\x00world", "é", "a longer string that does not fit in small buffers at all, really"}
	lo := &wire.LogObject{}
	switch r.Intn(9) {
	case 0:
		return nil
	case 1:
	case 2:
		lo.Value = &wire.LogObject_Entity{Entity: randRef(r)}
	case 3:
		lo.Value = &wire.LogObject_Str{Str: strs[r.Intn(len(strs))]}
	case 4:
		lo.Value = &wire.LogObject_Int64{Int64: r.Int63() - r.Int63()}
	case 5:
		fs := []float64{0, math.Copysign(0, -1), 1.5, math.NaN(), math.Inf(-1)}
		lo.Value = &wire.LogObject_Float64{Float64: fs[r.Intn(len(fs))]}
	case 6:
		lo.Value = &wire.LogObject_Bool{Bool: r.Intn(2) == 0}
	case 7:
		lo.Value = &wire.LogObject_Timestamp{Timestamp: &wire.Timestamp{Seconds: r.Int63n(1e10), Precision: 3}}
	default:
		lo.Value = &wire.LogObject_Entity{Entity: OffsetRef(1 + uint32(r.Intn(50)))}
	}
	if r.Intn(4) == 0 {
		lo.Lang = strs[r.Intn(len(strs))]
	}
	if r.Intn(4) == 0 {
		lo.Unit = randRef(r)
	}
	if r.Intn(4) == 0 { // valid or not, depending on the kind
		annotations := []string{"", "01", "http://ex/dt", storage.DefaultDatatype(storage.KindInt64), "é"}
		lo.Datatype, lo.Lex = annotations[r.Intn(len(annotations))], annotations[r.Intn(len(annotations))]
	}
	return lo
}

func randFacts(r *rand.Rand, n int) []*wire.InsertFact {
	facts := make([]*wire.InsertFact, n)
	for i := range facts {
		facts[i] = &wire.InsertFact{FactOffset: uint32(r.Intn(60)), Subject: randRef(r), Predicate: randRef(r), Object: randObject(r)}
		if r.Intn(8) == 0 { // mostly valid, so that whole entries often are
			continue
		}
		facts[i].FactOffset = uint32(100 + i)
		facts[i].Subject = OffsetRef(1 + uint32(r.Intn(50)))
		facts[i].Predicate = KIDRef(1 + uint64(r.Intn(5)))
		if facts[i].Object == nil || facts[i].Object.Value == nil {
			facts[i].Object = &wire.LogObject{Value: &wire.LogObject_Str{Str: "v"}}
		}
	}
	return facts
}

// randEntry builds a random, mostly valid, entry at index.
func randEntry(r *rand.Rand, index uint64, n int) *wire.LogEntry {
	switch r.Intn(6) {
	case 0:
		return &wire.LogEntry{Command: &wire.LogEntry_Decide{Decide: &wire.Decide{TxIndex: index - 1, Commit: true}}}
	case 1, 2:
		return &wire.LogEntry{Command: &wire.LogEntry_Insert{Insert: &wire.InsertTx{Facts: randFacts(r, n)}}}
	}
	u := &wire.UpdateTx{ReadIndex: uint64(r.Int63n(int64(index) + 2)), Inserts: randFacts(r, n)}
	if r.Intn(5) == 0 {
		u.Deletes = []*wire.DeleteFact{{FactId: 1, Subject: 2, Predicate: 3, Object: wire.FromObject(storage.AInt64(4, 0))}}
	}
	return &wire.LogEntry{Command: &wire.LogEntry_Update{Update: u}}
}

// checkAgrees fails when the fast path accepts data and differs from the
// slow path.
func checkAgrees(t *testing.T, index uint64, data []byte) bool {
	t.Helper()
	got, ok := DecodeInserts(index, data, keepSome)
	if !ok {
		return false
	}
	want, wantOK := slowInserts(index, data, keepSome)
	if !wantOK || !reflect.DeepEqual(got, want) {
		t.Fatalf("entry %x at %d: fast path gave %+v, slow path %+v (ok %v)", data, index, got, want, wantOK)
	}
	return true
}

func FuzzDecodeInserts(f *testing.F) {
	f.Add(int64(1), uint8(3), []byte{})
	f.Add(int64(7), uint8(40), []byte{0x0a, 0x02, 0x0a, 0x00})
	f.Fuzz(func(t *testing.T, seed int64, n uint8, raw []byte) {
		r := rand.New(rand.NewSource(seed))
		index := 1 + uint64(r.Int63n(1000))
		data, err := Encode(randEntry(r, index, int(n)))
		if err != nil {
			t.Fatal(err)
		}
		checkAgrees(t, index, data)
		checkAgrees(t, index, raw) // arbitrary bytes: no panic, no disagreement
		if len(data) > 0 {
			data[int(n)%len(data)] ^= byte(seed)
			checkAgrees(t, index, data)
		}
	})
}

// TestDecodeInsertsTakesValidEntries makes sure the fast path is not
// vacuous: valid entries of every fact shape it handles go through it.
func TestDecodeInsertsTakesValidEntries(t *testing.T) {
	facts := []*wire.InsertFact{
		{FactOffset: 1, Subject: OffsetRef(2), Predicate: KIDRef(9), Object: &wire.LogObject{Value: &wire.LogObject_Entity{Entity: KIDRef(5)}}},
		{FactOffset: 3, Subject: KIDRef(7), Predicate: KIDRef(9), Object: &wire.LogObject{Value: &wire.LogObject_Str{Str: "s"}, Lang: "en"}},
		{FactOffset: 4, Subject: KIDRef(7), Predicate: KIDRef(9), Object: &wire.LogObject{Value: &wire.LogObject_Int64{Int64: -3}, Unit: OffsetRef(2)}},
		{FactOffset: 5, Subject: KIDRef(7), Predicate: KIDRef(9), Object: &wire.LogObject{Value: &wire.LogObject_Float64{Float64: 2.5}}},
		{FactOffset: 6, Subject: KIDRef(7), Predicate: KIDRef(9), Object: &wire.LogObject{Value: &wire.LogObject_Bool{}}},
		{FactOffset: 7, Subject: KIDRef(7), Predicate: KIDRef(9), Object: &wire.LogObject{Value: &wire.LogObject_Int64{Int64: 1}, Lex: "01"}},
		{FactOffset: 8, Subject: KIDRef(7), Predicate: KIDRef(9), Object: &wire.LogObject{Value: &wire.LogObject_Str{Str: "x"}, Datatype: "http://ex/dt"}},
	}
	entries := []*wire.LogEntry{
		{Command: &wire.LogEntry_Insert{Insert: &wire.InsertTx{Facts: facts}}},
		{Command: &wire.LogEntry_Update{Update: &wire.UpdateTx{ReadIndex: 0, Inserts: facts}}},
		{Command: &wire.LogEntry_Update{Update: &wire.UpdateTx{ReadIndex: 40, Inserts: facts}}},
	}
	for i, e := range entries {
		data, err := Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		if !checkAgrees(t, 42, data) {
			t.Errorf("entry %d: the fast path declined a valid entry", i)
		}
		all, _ := DecodeInserts(42, data, func(storage.Fact) bool { return true })
		if len(all.Facts) != len(facts) {
			t.Errorf("entry %d: kept %d facts, want %d", i, len(all.Facts), len(facts))
		}
	}
}

func TestDecodeInsertsRandomEntries(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	accepted := 0
	for i := 0; i < 3000; i++ {
		index := 1 + uint64(r.Int63n(1000))
		data, err := Encode(randEntry(r, index, r.Intn(8)))
		if err != nil {
			t.Fatal(err)
		}
		if checkAgrees(t, index, data) {
			accepted++
		}
	}
	if accepted < 300 {
		t.Errorf("the fast path took only %d of 3000 random entries", accepted)
	}
}

func BenchmarkDecodeInserts(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	var facts []*wire.InsertFact
	for i := 0; i < 10000; i++ {
		facts = append(facts, &wire.InsertFact{FactOffset: uint32(i + 1), Subject: OffsetRef(uint32(1 + r.Intn(2000))),
			Predicate: KIDRef(uint64(1 + r.Intn(20))), Object: &wire.LogObject{Value: &wire.LogObject_Entity{Entity: KIDRef(r.Uint64() | 1)}}})
	}
	data, err := Encode(&wire.LogEntry{Command: &wire.LogEntry_Update{Update: &wire.UpdateTx{ReadIndex: 5, Inserts: facts}}})
	if err != nil {
		b.Fatal(err)
	}
	keep := func(f storage.Fact) bool { return storage.HashSP(f.Subject, f.Predicate) < math.MaxUint64/4 }
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, ok := DecodeInserts(9, data, keep); !ok {
				b.Fatal("declined")
			}
		}
	})
	b.Run("slow", func(b *testing.B) {
		for b.Loop() {
			slowInserts(9, data, keep)
		}
	})
}
