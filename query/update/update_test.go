package update

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// The transaction protocol, against a fake log and fake views (fake_test.go):
// every test runs the real Inserter, and checks both its Result and what
// the log and the graph hold afterwards.

func insertReq(t *testing.T, tsv string) Request {
	t.Helper()
	ins, err := parser.ParseInsert(tsv)
	if err != nil {
		t.Fatal(err)
	}
	return Request{Insert: ins}
}

func deleteReq(t *testing.T, tsv string) Request {
	t.Helper()
	del, err := parser.ParseDelete(tsv)
	if err != nil {
		t.Fatal(err)
	}
	return Request{Delete: del}
}

func apply(t *testing.T, in *Inserter, req Request) Result {
	t.Helper()
	res, err := in.Apply(context.Background(), req)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res
}

// kid resolves an external name in g as of index; 0 when it does not exist.
func kid(t *testing.T, g *memGraph, index uint64, name string) uint64 {
	t.Helper()
	known, err := engine.ResolveNames(context.Background(), g, index, []string{name})
	if err != nil {
		t.Fatal(err)
	}
	return known[name]
}

// count returns how many facts subject predicate object g holds as of
// index; subject and predicate are external names.
func count(t *testing.T, g *memGraph, index uint64, subject, predicate string, object storage.Object) int {
	t.Helper()
	n := 0
	l := viewclient.SPO{Subject: kid(t, g, index, subject), Predicate: kid(t, g, index, predicate), Object: object}
	if err := g.LookupSPO(context.Background(), index, []viewclient.SPO{l}, func(int, storage.Fact) { n++ }); err != nil {
		t.Fatal(err)
	}
	return n
}

// entities returns how many entities g names name as of index.
func entities(t *testing.T, g *memGraph, index uint64, name string) int {
	t.Helper()
	n := 0
	l := viewclient.PO{Predicate: storage.KIDHasExternalID, Object: storage.AString(name, "")}
	if err := g.LookupPO(context.Background(), index, []viewclient.PO{l}, func(int, storage.Fact) { n++ }); err != nil {
		t.Fatal(err)
	}
	return n
}

// isUpdate reports whether data is a transaction (an UpdateTx entry).
func isUpdate(data []byte) bool {
	e, err := logentry.Decode(data)
	return err == nil && e.GetUpdate() != nil
}

// rawInsert encodes an InsertTx entry of one fact, as another writer that
// checks nothing might append it.
func rawInsert(t *testing.T, s, p uint64, o storage.Object) []byte {
	t.Helper()
	w := wire.FromObject(o)
	lo := &wire.LogObject{}
	switch v := w.Value.(type) {
	case *wire.Object_Int64:
		lo.Value = &wire.LogObject_Int64{Int64: v.Int64}
	default:
		t.Fatalf("rawInsert takes integers, not %T", v)
	}
	data, err := logentry.Encode(&wire.LogEntry{Command: &wire.LogEntry_Insert{Insert: &wire.InsertTx{Facts: []*wire.InsertFact{{
		FactOffset: 1, Subject: logentry.KIDRef(s), Predicate: logentry.KIDRef(p), Object: lo,
	}}}}})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestInsertRightAfterReadNeedsNoDecision: with no other writer, the
// transaction lands right after the index it read at and commits by
// itself; no decision is appended.
func TestInsertRightAfterReadNeedsNoDecision(t *testing.T) {
	log := newMemLog()
	in := NewInserter(log.graph, log)
	apply(t, in, insertReq(t, "<a> <p> 1\n"))

	res := apply(t, in, insertReq(t, "<a> <p> 2\n<a> <q> <b>\n"))
	want := Result{Index: 2, Inserted: 2, Attempts: 1}
	if res != want {
		t.Fatalf("Result = %+v, want %+v", res, want)
	}
	if log.length() != 2 || len(log.decisions()) != 0 {
		t.Fatalf("log holds %d entries and decisions %v; want 2 transactions and no decision", log.length(), log.decisions())
	}
	if count(t, log.graph, 2, "a", "p", storage.AInt64(2, 0)) != 1 || count(t, log.graph, 2, "a", "q", storage.AEntity(kid(t, log.graph, 2, "b"))) != 1 {
		t.Fatal("the inserted facts are not in the graph at the transaction's index")
	}
	if count(t, log.graph, 1, "a", "p", storage.AInt64(2, 0)) != 0 {
		t.Fatal("a fact is visible before the transaction that inserts it")
	}
}

// TestInsertAgainWritesNothing: facts that exist already are counted as
// existing, and a request with nothing new appends nothing.
func TestInsertAgainWritesNothing(t *testing.T) {
	log := newMemLog()
	in := NewInserter(log.graph, log)
	apply(t, in, insertReq(t, "<a> <p> 1\n"))
	res := apply(t, in, insertReq(t, "<a> <p> 1\n<a> <p> 1\n"))
	if want := (Result{Index: 1, Existing: 2, Attempts: 1}); res != want {
		t.Fatalf("Result = %+v, want %+v", res, want)
	}
	if log.length() != 1 {
		t.Fatalf("the log grew to %d entries for a request with nothing new", log.length())
	}
}

// TestInsertLandingLaterCommits: another writer gets in between the read
// and the append, but changes nothing the request read: the request
// validates and commits.
func TestInsertLandingLaterCommits(t *testing.T) {
	log := newMemLog()
	in, other := NewInserter(log.graph, log), NewInserter(log.graph, log)
	apply(t, in, insertReq(t, "<a> <p> 1\n"))
	interfereOnce(t, log, func(ctx context.Context) error {
		_, err := other.Apply(ctx, insertReq(t, "<c> <q> 3\n"))
		return err
	})

	res := apply(t, in, insertReq(t, "<a> <p> 2\n"))
	if want := (Result{Index: 3, Inserted: 1, Attempts: 1}); res != want {
		t.Fatalf("Result = %+v, want %+v", res, want)
	}
	if d := log.decisions(); !slices.Equal(d, []logentry.Decision{{Tx: 3, Commit: true}}) {
		t.Fatalf("decisions %v, want a commit of 3", d)
	}
	if count(t, log.graph, 4, "a", "p", storage.AInt64(2, 0)) != 1 || count(t, log.graph, 4, "c", "q", storage.AInt64(3, 0)) != 1 {
		t.Fatal("the graph lacks the request's or the other writer's fact")
	}
}

// interfereOnce makes the next transaction appended to log land one entry
// later: just before it, write runs (as another API server would).
func interfereOnce(t *testing.T, log *memLog, write func(ctx context.Context) error) {
	t.Helper()
	log.setBeforeAppend(func(ctx context.Context, data []byte) error {
		if !isUpdate(data) {
			return nil
		}
		log.setBeforeAppend(nil)
		return write(ctx)
	})
}

// TestConflictingReadAborts: a delete reads fact F1; before it lands,
// another writer adds a second <a> <p> 1. The validation read differs, so
// the transaction is aborted (nothing of it is applied) and retried, and
// the retry deletes both.
func TestConflictingReadAborts(t *testing.T) {
	log := newMemLog()
	in := NewInserter(log.graph, log)
	apply(t, in, insertReq(t, "<a> <p> 1\n"))
	a, p := kid(t, log.graph, 1, "a"), kid(t, log.graph, 1, "p")
	interfereOnce(t, log, func(context.Context) error {
		log.put(rawInsert(t, a, p, storage.AInt64(1, 0)))
		return nil
	})

	res := apply(t, in, deleteReq(t, "<a> <p> 1\n"))
	if want := (Result{Index: 5, Deleted: 2, Attempts: 2}); res != want {
		t.Fatalf("Result = %+v, want %+v (an abort, then a retry deleting both facts)", res, want)
	}
	if d := log.decisions(); !slices.Equal(d, []logentry.Decision{{Tx: 3}}) {
		t.Fatalf("decisions %v, want an abort of 3", d)
	}
	if n := count(t, log.graph, 4, "a", "p", storage.AInt64(1, 0)); n != 2 {
		t.Fatalf("after the abort, %d facts <a> <p> 1 remain, want both: the aborted delete was applied", n)
	}
	if n := count(t, log.graph, 5, "a", "p", storage.AInt64(1, 0)); n != 0 {
		t.Fatalf("after the retry, %d facts <a> <p> 1 remain", n)
	}
}

// TestConflictingNameAborts: a request creating the entity <new> reads it
// missing; another API server creates <new> before the request lands. The
// request aborts and, retried, uses that entity: no duplicate.
func TestConflictingNameAborts(t *testing.T) {
	log := newMemLog()
	in, other := NewInserter(log.graph, log), NewInserter(log.graph, log)
	apply(t, in, insertReq(t, "<a> <p> 1\n"))
	interfereOnce(t, log, func(ctx context.Context) error {
		_, err := other.Apply(ctx, insertReq(t, "<new> <p> 2\n"))
		return err
	})

	res := apply(t, in, insertReq(t, "<a> <q> <new>\n"))
	if res.Attempts != 2 {
		t.Fatalf("Result = %+v, want 2 attempts", res)
	}
	if n := entities(t, log.graph, res.Index, "new"); n != 1 {
		t.Fatalf("%d entities are named <new>, want 1", n)
	}
	if n := count(t, log.graph, res.Index, "a", "q", storage.AEntity(kid(t, log.graph, res.Index, "new"))); n != 1 {
		t.Fatalf("%d facts <a> <q> <new>, want 1", n)
	}
}

// TestConflictGivesUpWithClearError: a request that conflicts on every
// attempt is aborted every time and fails with ErrConflict, leaving the
// graph as the other writers made it.
func TestConflictGivesUpWithClearError(t *testing.T) {
	log := newMemLog()
	in := NewInserter(log.graph, log)
	apply(t, in, insertReq(t, "<a> <p> 1\n"))
	a, p := kid(t, log.graph, 1, "a"), kid(t, log.graph, 1, "p")
	log.setBeforeAppend(func(_ context.Context, data []byte) error {
		if isUpdate(data) {
			log.put(rawInsert(t, a, p, storage.AInt64(1, 0)))
		}
		return nil
	})

	_, err := in.Apply(context.Background(), deleteReq(t, "<a> <p> 1\n"))
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), fmt.Sprintf("gave up after %d attempts", maxAttempts)) {
		t.Fatalf("Apply = %v, want ErrConflict naming %d attempts", err, maxAttempts)
	}
	d := log.decisions()
	if len(d) != maxAttempts || slices.ContainsFunc(d, func(d logentry.Decision) bool { return d.Commit }) {
		t.Fatalf("decisions %v, want %d aborts", d, maxAttempts)
	}
	if n := count(t, log.graph, log.length(), "a", "p", storage.AInt64(1, 0)); n != 1+maxAttempts {
		t.Fatalf("%d facts <a> <p> 1 remain, want all %d", n, 1+maxAttempts)
	}
}

// TestDeleteLeavesTombstones: a delete removes the facts that exist,
// counts the ones that do not, and queries before it still see the facts.
func TestDeleteLeavesTombstones(t *testing.T) {
	log := newMemLog()
	in := NewInserter(log.graph, log)
	apply(t, in, insertReq(t, "<a> <p> 1\n<a> <p> 2\n"))
	res := apply(t, in, deleteReq(t, "<a> <p> 1\n<a> <p> 3\n<zz> <p> 1\n"))
	if want := (Result{Index: 2, Deleted: 1, Missing: 2, Attempts: 1}); res != want {
		t.Fatalf("Result = %+v, want %+v", res, want)
	}
	if count(t, log.graph, 2, "a", "p", storage.AInt64(1, 0)) != 0 || count(t, log.graph, 2, "a", "p", storage.AInt64(2, 0)) != 1 {
		t.Fatal("after the delete, <a> <p> 1 remains or <a> <p> 2 is gone")
	}
	if count(t, log.graph, 1, "a", "p", storage.AInt64(1, 0)) != 1 {
		t.Fatal("a query before the delete no longer sees the deleted fact")
	}
}

// TestDeleteByFactID: a delete line's fact-ID variable deletes the
// metafacts about the fact, and metafacts of a missing fact are missing.
func TestDeleteByFactID(t *testing.T) {
	log := newMemLog()
	in := NewInserter(log.graph, log)
	apply(t, in, insertReq(t, "?f <a> <p> 1\n?f <source> <web>\n"))
	res := apply(t, in, deleteReq(t, "?f <a> <p> 1\n?f <source> <web>\n?g <a> <p> 9\n?g <source> <web>\n"))
	if want := (Result{Index: 2, Deleted: 2, Missing: 2, Attempts: 1}); res != want {
		t.Fatalf("Result = %+v, want %+v", res, want)
	}
}

// TestUpdateReplacesAFact: delete and insert in one transaction.
func TestUpdateReplacesAFact(t *testing.T) {
	log := newMemLog()
	in := NewInserter(log.graph, log)
	apply(t, in, insertReq(t, "<a> <age> 1\n"))
	up, err := parser.ParseUpdate("DELETE DATA { <a> <age> 1 } ;\nINSERT DATA { <a> <age> 2 }")
	if err != nil {
		t.Fatal(err)
	}
	res := apply(t, in, Request{Delete: up.Delete, Insert: up.Insert})
	if want := (Result{Index: 2, Inserted: 1, Deleted: 1, Attempts: 1}); res != want {
		t.Fatalf("Result = %+v, want %+v", res, want)
	}
	if count(t, log.graph, 2, "a", "age", storage.AInt64(1, 0)) != 0 || count(t, log.graph, 2, "a", "age", storage.AInt64(2, 0)) != 1 {
		t.Fatal("the update did not replace <a> <age> 1 by <a> <age> 2")
	}
}

// TestNameClaimsPreventDuplicateEntities: while one request is creating
// <new>, a second request through the same Inserter needing <new> waits
// for it (here its context has ended, so it gives up waiting) instead of
// creating <new> again; once the first lands, the second uses its entity.
func TestNameClaimsPreventDuplicateEntities(t *testing.T) {
	log := newMemLog()
	in := NewInserter(log.graph, log)
	appending, release := make(chan struct{}), make(chan struct{})
	log.setBeforeAppend(func(context.Context, []byte) error {
		log.setBeforeAppend(nil)
		close(appending)
		<-release
		return nil
	})
	first := make(chan error, 1)
	go func() {
		_, err := in.Apply(context.Background(), insertReq(t, "<new> <p> 1\n"))
		first <- err
	}()
	<-appending // the first request has claimed <new> and is appending

	ended, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := in.Apply(ended, insertReq(t, "<new> <p> 2\n"))
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "concurrent request creating the same names") {
		t.Fatalf("the second request = %v, want it waiting for the request creating <new>", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}

	res := apply(t, in, insertReq(t, "<new> <p> 2\n"))
	if n := entities(t, log.graph, res.Index, "new"); n != 1 {
		t.Fatalf("%d entities are named <new>, want 1", n)
	}
}

// TestTooLargeIsRefused: a request whose entry would exceed MaxEntryBytes
// fails with ErrTooLarge and appends nothing.
func TestTooLargeIsRefused(t *testing.T) {
	log := newMemLog()
	in := NewInserter(log.graph, log)
	var tsv strings.Builder
	big := strings.Repeat("x", storage.MaxLiteralBytes)
	for i := range MaxEntryBytes/storage.MaxLiteralBytes + 1 {
		fmt.Fprintf(&tsv, "<a> <p%d> \"%s\"\n", i, big)
	}
	_, err := in.Apply(context.Background(), insertReq(t, tsv.String()))
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "split the request") {
		t.Fatalf("Apply = %v, want ErrTooLarge", err)
	}
	if log.length() != 0 {
		t.Fatalf("a refused request appended %d entries", log.length())
	}
}

// TestLogFailuresSayWhatFailed: a failing log read or append fails the
// request with an error saying which step failed.
func TestLogFailuresSayWhatFailed(t *testing.T) {
	broken := errors.New("log unreachable")
	log := newMemLog()
	in := NewInserter(log.graph, log)
	log.lastIndexErr = broken
	if _, err := in.Apply(context.Background(), insertReq(t, "<a> <p> 1\n")); !errors.Is(err, broken) || !strings.Contains(err.Error(), "reading the log's last index") {
		t.Errorf("with LastIndex failing, Apply = %v", err)
	}
	log.lastIndexErr = nil
	log.setBeforeAppend(func(context.Context, []byte) error { return broken })
	if _, err := in.Apply(context.Background(), insertReq(t, "<a> <p> 1\n")); !errors.Is(err, broken) || !strings.Contains(err.Error(), "appending the transaction") {
		t.Errorf("with Append failing, Apply = %v", err)
	}
}

// TestInsertEveryKindOfTerm: blank nodes, KIDs, fact-ID variables and
// every kind of literal go into the entry and come out of the views as
// written; #0 and sets are refused, naming the line and the field.
func TestInsertEveryKindOfTerm(t *testing.T) {
	log := newMemLog()
	in := NewInserter(log.graph, log)
	apply(t, in, insertReq(t, "<a> <p> 1\n"))
	a := kid(t, log.graph, 1, "a")
	res := apply(t, in, insertReq(t, fmt.Sprintf("_:x <p> _:y\n_:x <q> \"hi\"@en\n?f #%d <r> 1.5\n?f <s> true\n<a> <size> 65^^<inch>\n<a> <when> '2019-03-22'\n", a)))
	if want := (Result{Index: 2, Inserted: 6, Attempts: 1}); res != want {
		t.Fatalf("Result = %+v, want %+v", res, want)
	}
	if count(t, log.graph, 2, "a", "size", storage.AInt64(65, kid(t, log.graph, 2, "inch"))) != 1 {
		t.Fatal("<a> <size> 65^^<inch> is not in the graph")
	}
	// The parser refuses these already; other front ends (rdf) build
	// quads too, so the builder checks again.
	p, one := &parser.Entity{Name: "p"}, &parser.Literal{Value: storage.AInt64(1, 0)}
	for want, q := range map[string]*parser.Quad{
		"line 4: subject: #0 is not an entity":           {Subject: &parser.KID{}, Predicate: p, Object: one},
		"line 4: object: a set cannot stand here":        {Subject: p, Predicate: p, Object: &parser.Set{}},
		"line 4: predicate: a literal cannot stand here": {Subject: p, Predicate: one, Object: one},
		"line 4: object: unsupported literal":            {Subject: p, Predicate: p, Object: &parser.Literal{}},
	} {
		q.Pos.Line = 4
		if _, err := in.Apply(context.Background(), Request{Insert: &parser.Insert{Facts: []*parser.Quad{q}}}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("inserting %+v: %v, want an error containing %q", q, err, want)
		}
	}
}

// TestFailedValidationAborts: when the validation read fails, the
// transaction is aborted (views must not keep it pending) and the error
// says what failed.
func TestFailedValidationAborts(t *testing.T) {
	log := newMemLog()
	in := NewInserter(log.graph, log)
	apply(t, in, insertReq(t, "<a> <p> 1\n"))
	a, p := kid(t, log.graph, 1, "a"), kid(t, log.graph, 1, "p")
	interfereOnce(t, log, func(context.Context) error {
		log.put(rawInsert(t, a, p, storage.AInt64(7, 0)))
		log.graph.views.Fail(space.HashPO, space.Full())
		return nil
	})
	_, err := in.Apply(context.Background(), insertReq(t, "<a> <p> 2\n"))
	if !errors.Is(err, fanout.ErrUncovered) || !strings.Contains(err.Error(), "validating transaction 3") {
		t.Fatalf("Apply = %v, want the validation's failure", err)
	}
	if d := log.decisions(); !slices.Equal(d, []logentry.Decision{{Tx: 3}}) {
		t.Fatalf("decisions %v, want an abort of 3", d)
	}
}

// TestValidIsAskedBeforeAndAtTheTransaction: a request whose Valid read
// changes between its read and its transaction is aborted, and Apply
// ends with ErrStale having applied nothing; one whose Valid holds
// commits.
func TestValidIsAskedBeforeAndAtTheTransaction(t *testing.T) {
	log := newMemLog()
	in, other := NewInserter(log.graph, log), NewInserter(log.graph, log)
	apply(t, in, insertReq(t, "<a> <p> 1\n"))
	interfereOnce(t, log, func(ctx context.Context) error {
		_, err := other.Apply(ctx, insertReq(t, "<c> <q> 3\n"))
		return err
	})
	var asked []uint64
	req := insertReq(t, "<a> <p> 2\n")
	req.Valid = func(_ context.Context, index uint64) (bool, error) {
		asked = append(asked, index)
		return index < 2, nil // the other writer's entry changed it
	}
	_, err := in.Apply(context.Background(), req)
	if !errors.Is(err, ErrStale) {
		t.Fatalf("Apply: %v, want ErrStale", err)
	}
	if !slices.Equal(asked, []uint64{1, 2, 4}) {
		t.Fatalf("Valid asked at %v, want 1 (the read), 2 (before the transaction at 3), 4 (the retry's read)", asked)
	}
	if d := log.decisions(); !slices.Equal(d, []logentry.Decision{{Tx: 3}}) {
		t.Fatalf("decisions %v, want an abort of 3", d)
	}
	if n := count(t, log.graph, log.length(), "a", "p", storage.AInt64(2, 0)); n != 0 {
		t.Fatalf("the stale request was applied (%d facts)", n)
	}

	req.Valid = func(context.Context, uint64) (bool, error) { return true, nil }
	if res := apply(t, in, req); res.Inserted != 1 {
		t.Fatalf("a valid request: %+v, want 1 fact inserted", res)
	}
}

// TestConcurrentRequestsShareANewPredicate: requests through one Inserter
// that all name the same new predicate, at once, create it once; every
// fact is found through it.
func TestConcurrentRequestsShareANewPredicate(t *testing.T) {
	for round := 0; round < 20; round++ {
		log := newMemLog()
		in := NewInserter(log.graph, log)
		const writers = 8
		errs := make(chan error, writers)
		for w := 0; w < writers; w++ {
			go func() {
				_, err := in.Apply(context.Background(), insertReq(t, fmt.Sprintf("<s%d> <newPred> <o%d>\n", w, w)))
				errs <- err
			}()
		}
		for w := 0; w < writers; w++ {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		last := log.length()
		if n := entities(t, log.graph, last, "newPred"); n != 1 {
			t.Fatalf("round %d: %d entities are named <newPred>, want 1", round, n)
		}
		for w := 0; w < writers; w++ {
			if n := count(t, log.graph, last, fmt.Sprintf("s%d", w), "newPred", storage.AEntity(kid(t, log.graph, last, fmt.Sprintf("o%d", w)))); n != 1 {
				t.Fatalf("round %d: fact %d found %d times", round, w, n)
			}
		}
	}
}
