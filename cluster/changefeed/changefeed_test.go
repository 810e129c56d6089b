package changefeed

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/engine/enginetest"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

func encode(t *testing.T, e *wire.LogEntry) []byte {
	t.Helper()
	b, err := logentry.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fact inserts <s> <p> "str" (KIDs).
func fact(s, p uint64, str string) *wire.InsertFact {
	return &wire.InsertFact{FactOffset: 1, Subject: logentry.KIDRef(s), Predicate: logentry.KIDRef(p),
		Object: &wire.LogObject{Value: &wire.LogObject_Str{Str: str}}}
}

func insert(facts ...*wire.InsertFact) *wire.LogEntry {
	return &wire.LogEntry{Command: &wire.LogEntry_Insert{Insert: &wire.InsertTx{Facts: facts}}}
}

func update(readIndex uint64, deletes []*wire.DeleteFact, inserts ...*wire.InsertFact) *wire.LogEntry {
	return &wire.LogEntry{Command: &wire.LogEntry_Update{Update: &wire.UpdateTx{ReadIndex: readIndex, Deletes: deletes, Inserts: inserts}}}
}

func decide(tx uint64, commit bool) *wire.LogEntry {
	return &wire.LogEntry{Command: &wire.LogEntry_Decide{Decide: &wire.Decide{TxIndex: tx, Commit: commit}}}
}

func indexes(txs []Tx) []uint64 {
	var out []uint64
	for _, tx := range txs {
		out = append(out, tx.Index)
	}
	return out
}

// TestSequencerOrder: transactions come out in the order of their
// entries, each once its decision is read, held back behind undecided
// earlier ones; aborted ones and later decisions never come out.
func TestSequencerOrder(t *testing.T) {
	steps := []struct {
		index uint64
		entry *wire.LogEntry
		want  []uint64
	}{
		{10, insert(fact(1<<20, 2<<20, "a")), []uint64{10}},
		{11, update(10, nil, fact(1<<20, 2<<20, "b")), []uint64{11}}, // commits by itself
		{12, update(5, nil, fact(1<<20, 2<<20, "c")), nil},           // pending
		{13, insert(fact(1<<20, 2<<20, "d")), nil},                   // held behind 12
		{14, update(6, nil, fact(1<<20, 2<<20, "e")), nil},           // pending
		{15, decide(14, false), nil},                                 // aborts 14, still behind 12
		{16, decide(12, true), []uint64{12, 13}},
		{17, decide(14, true), nil}, // too late: 14 was aborted
		{18, decide(12, false), nil},
		{19, decide(99, true), nil},
		{20, update(3, nil, fact(1<<20, 2<<20, "f")), nil},
		{21, decide(20, true), []uint64{20}},
	}
	s := NewSequencer(0)
	for _, st := range steps {
		got, err := s.Add(st.index, encode(t, st.entry))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(indexes(got)) != fmt.Sprint(st.want) {
			t.Fatalf("after entry %d released %v, want %v", st.index, indexes(got), st.want)
		}
		if st.index == 14 {
			if oldest, ok := s.Oldest(); !ok || oldest != 12 {
				t.Fatalf("oldest = %d, %v; want 12", oldest, ok)
			}
		}
		for _, tx := range got {
			if tx.Index == 12 && tx.Decided != 16 {
				t.Fatalf("tx 12 decided at %d, want 16", tx.Decided)
			}
		}
	}
	if _, ok := s.Oldest(); ok {
		t.Fatal("something is left unreleased")
	}
}

// fakeLog serves entries from first on.
type fakeLog struct {
	first   uint64
	entries [][]byte // entries[i] is at index first+i
	last    uint64   // the last index Info reports; 0: the last entry's
}

func (l *fakeLog) Info(context.Context, bool) (*wire.InfoReply, error) {
	last := l.first + uint64(len(l.entries)) - 1
	if l.last != 0 {
		last = l.last
	}
	return &wire.InfoReply{FirstIndex: l.first, LastIndex: last}, nil
}

func (l *fakeLog) Read(ctx context.Context, start uint64, fn func(uint64, []byte) error) error {
	for i := start; i < l.first+uint64(len(l.entries)); i++ {
		if err := fn(i, l.entries[i-l.first]); err != nil {
			return err
		}
	}
	<-ctx.Done()
	return ctx.Err()
}

// TestRun names the facts of committed transactions as RDF Patch, leaves
// out bookkeeping and aborted transactions, stops at the last index
// without Follow, and refuses a start before the first index.
func TestRun(t *testing.T) {
	views := enginetest.New()
	alice, knows, name := views.Entity("http://ex/alice"), views.Entity("http://ex/knows"), views.Entity("http://ex/name")
	const first = 10
	newBob := &wire.InsertFact{FactOffset: 2, Subject: logentry.OffsetRef(1), Predicate: logentry.KIDRef(storage.KIDHasExternalID),
		Object: &wire.LogObject{Value: &wire.LogObject_Str{Str: "http://ex/bob"}}}
	knowsBob := &wire.InsertFact{FactOffset: 3, Subject: logentry.KIDRef(alice), Predicate: logentry.KIDRef(knows),
		Object: &wire.LogObject{Value: &wire.LogObject_Entity{Entity: logentry.OffsetRef(1)}}}
	lang := &wire.InsertFact{FactOffset: 4, Subject: logentry.KIDRef(alice), Predicate: logentry.KIDRef(name),
		Object: &wire.LogObject{Value: &wire.LogObject_Str{Str: "Alice"}, Lang: "en"}}
	del := []*wire.DeleteFact{{FactId: 77, Subject: alice, Predicate: name, Object: wire.FromObject(storage.AString("Al", ""))}}
	log := &fakeLog{first: first, entries: [][]byte{
		encode(t, insert(newBob, knowsBob)),                    // 10
		encode(t, update(3, del, fact(alice, name, "Alicia"))), // 11: pending
		encode(t, update(4, nil, lang)),                        // 12: pending
		encode(t, decide(12, false)),                           // 13
		encode(t, decide(11, true)),                            // 14
	}}
	run := func(from uint64) (string, uint64, error) {
		var b []byte
		last, err := Run(context.Background(), log, views, Request{From: from}, func(p Patch) error {
			b = p.AppendText(b)
			return nil
		})
		return string(b), last, err
	}
	got, last, err := run(first - 1)
	if err != nil {
		t.Fatal(err)
	}
	want := `H id <urn:akutan:index:10> .
TX .
A <http://ex/alice> <http://ex/knows> <http://ex/bob> .
TC .
H id <urn:akutan:index:11> .
TX .
D <http://ex/alice> <http://ex/name> "Al" .
A <http://ex/alice> <http://ex/name> "Alicia" .
TC .
`
	if got != want || last != 14 {
		t.Fatalf("feed from %d (ended at %d):\n%s\nwant (ending at 14):\n%s", first-1, last, got, want)
	}
	// A feed that stops at the last index at its start reads on for the
	// decisions of the transactions up to it, and no further.
	log.last = 12
	if got, last, err := run(first - 1); err != nil || got != want || last != 12 {
		t.Fatalf("feed to 12 = %q, %d, %v; want both transactions (11 decided at 14), ending at 12", got, last, err)
	}
	log.last = 10
	if got, last, err := run(first - 1); err != nil || strings.Contains(got, "index:11") || last != 10 {
		t.Fatalf("feed to 10 = %q, %d, %v; want only 10", got, last, err)
	}
	log.last = 0
	if got, _, err := run(10); err != nil || !strings.HasPrefix(got, "H id <urn:akutan:index:11>") {
		t.Fatalf("feed from 10 = %q, %v; want it to start at 11", got, err)
	}
	if got, last, err := run(14); err != nil || got != "" || last != 14 {
		t.Fatalf("feed from the last index = %q, %d, %v; want nothing", got, last, err)
	}
	_, _, err = run(first - 2)
	var before *ErrBeforeFirst
	if !errors.As(err, &before) || before.First != first || !strings.Contains(err.Error(), "first retained index is 10") {
		t.Fatalf("feed from before the first index: %v; want an ErrBeforeFirst naming 10", err)
	}
}
