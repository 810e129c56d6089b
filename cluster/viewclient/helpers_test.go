package viewclient_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/roles/viewserver/viewtest"
	"github.com/akutan-dev/akutan/storage"
)

// The test graph: every subject has every predicate twice, once with an
// entity object shared by several subjects and once with an integer.
const (
	firstSubject   = 1001
	subjects       = 40
	firstPredicate = 2001
	predicates     = 4
	sharedObjects  = 5
)

func testTriples() []viewtest.Triple {
	var out []viewtest.Triple
	for s := uint64(firstSubject); s < firstSubject+subjects; s++ {
		for p := uint64(firstPredicate); p < firstPredicate+predicates; p++ {
			out = append(out,
				viewtest.Triple{Subject: s, Predicate: p, Object: storage.AEntity(3000 + s%sharedObjects)},
				viewtest.Triple{Subject: s, Predicate: p, Object: storage.AInt64(int64(s*10+p), 0)})
		}
	}
	return out
}

func newClient(t *testing.T, c *viewtest.Cluster, opts ...viewclient.Option) *viewclient.Client {
	t.Helper()
	vc, err := viewclient.New(c.Members, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vc.Close)
	return vc
}

func timeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// recorder collects emitted matches as "lookup:factID" strings.
type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) emit(i int, f storage.Fact) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, match(i, f))
}

func (r *recorder) sorted() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.got)
	slices.Sort(out)
	return out
}

func match(i int, f storage.Fact) string { return fmt.Sprintf("%d:%d", i, f.ID) }

// expect returns the sorted matches of lookups over facts, where
// matches(i, f) says whether fact f answers lookup i.
func expect(facts []storage.Fact, n int, matches func(i int, f storage.Fact) bool) []string {
	var out []string
	for i := 0; i < n; i++ {
		for _, f := range facts {
			if matches(i, f) {
				out = append(out, match(i, f))
			}
		}
	}
	slices.Sort(out)
	return out
}

// checkSame fails the test if the matches differ, duplicates included.
func checkSame(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %d matches, want %d (duplicates or losses)\ngot:  %.300v\nwant: %.300v", what, len(got), len(want), got, want)
	}
	if len(want) == 0 {
		t.Fatalf("%s: the test expects some matches", what)
	}
}

// spLookups asks every subject with every predicate.
func spLookups() []viewclient.SP {
	var out []viewclient.SP
	for s := uint64(firstSubject); s < firstSubject+subjects; s++ {
		for p := uint64(firstPredicate); p < firstPredicate+predicates; p++ {
			out = append(out, viewclient.SP{Subject: s, Predicate: p})
		}
	}
	return out
}

func allSubjects() []uint64 {
	out := make([]uint64, subjects)
	for i := range out {
		out[i] = firstSubject + uint64(i)
	}
	return out
}

// lookupSP runs LookupSP for every (subject, predicate) and checks the
// result against facts exactly.
func lookupSP(t *testing.T, ctx context.Context, vc *viewclient.Client, index uint64, facts []storage.Fact) {
	t.Helper()
	lookups := spLookups()
	var rec recorder
	if err := vc.LookupSP(ctx, index, lookups, rec.emit); err != nil {
		t.Fatalf("LookupSP: %v", err)
	}
	want := expect(facts, len(lookups), func(i int, f storage.Fact) bool {
		return f.Subject == lookups[i].Subject && f.Predicate == lookups[i].Predicate
	})
	checkSame(t, "LookupSP", rec.sorted(), want)
}
