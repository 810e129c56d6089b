package update

import (
	"context"
	"testing"

	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
)

// lexInt is the integer 1 written with the lexical form lex ("" for the
// canonical "1").
func lexInt(lex string) storage.Object {
	o := storage.AInt64(1, 0)
	o.Lex = lex
	return o
}

// literalReq inserts or deletes <a> <p> o.
func literalReq(o storage.Object, del bool) Request {
	q := &parser.Quad{Subject: &parser.Entity{Name: "a"}, Predicate: &parser.Entity{Name: "p"}, Object: &parser.Literal{Value: o}}
	q.Pos.Line = 1
	if del {
		return Request{Delete: &parser.Insert{Facts: []*parser.Quad{q}}}
	}
	return Request{Insert: &parser.Insert{Facts: []*parser.Quad{q}}}
}

// terms lists the objects of <a> <p> as of index.
func terms(t *testing.T, g *memGraph, index uint64) []storage.Object {
	t.Helper()
	l := viewclient.SP{Subject: kid(t, g, index, "a"), Predicate: kid(t, g, index, "p")}
	var out []storage.Object
	if err := g.LookupSP(context.Background(), index, []viewclient.SP{l}, func(_ int, f storage.Fact) { out = append(out, f.Object) }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExactTermsAreDistinctFacts: "01"^^xsd:integer and "1"^^xsd:integer
// are equal values but different facts, to insert and to delete.
func TestExactTermsAreDistinctFacts(t *testing.T) {
	log := newMemLog()
	in := NewInserter(log.graph, log)
	apply(t, in, literalReq(lexInt(""), false))
	if res := apply(t, in, literalReq(lexInt("01"), false)); res.Inserted != 1 || res.Existing != 0 {
		t.Fatalf("inserting \"01\" next to \"1\": %+v, want it inserted", res)
	}
	if res := apply(t, in, literalReq(lexInt("01"), false)); res.Inserted != 0 || res.Existing != 1 {
		t.Fatalf("inserting \"01\" again: %+v, want it found", res)
	}
	idx := log.length()
	if got := terms(t, log.graph, idx); len(got) != 2 {
		t.Fatalf("<a> <p> holds %+v, want 1 and \"01\"", got)
	}
	res := apply(t, in, literalReq(lexInt("01"), true))
	if res.Deleted != 1 {
		t.Fatalf("deleting \"01\": %+v, want one fact deleted", res)
	}
	got := terms(t, log.graph, res.Index)
	if len(got) != 1 || !storage.SameTerm(got[0], lexInt("")) {
		t.Fatalf("after deleting \"01\", <a> <p> holds %+v, want just 1", got)
	}
}
