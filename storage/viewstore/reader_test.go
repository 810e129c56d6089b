package viewstore

import (
	"errors"
	"testing"

	"github.com/akutan-dev/akutan/storage"
)

// A Reader opened before a transaction is decided must see the committed
// keys afterwards, though its first iterator's snapshot predates them.
func TestReaderSeesTransactionsDecidedAfterItOpened(t *testing.T) {
	st, err := Open(t.TempDir(), fullRange(storage.KeyPrefixSP))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := fact(2, 10, 100, 200, storage.AInt64(5, 0))
	if err := st.Apply([]Change{{Index: 1}, {Index: 2, Inserts: []storage.Fact{f}, Pending: true}}); err != nil {
		t.Fatal(err)
	}
	r := st.NewReader()
	defer r.Release()
	count := func() (int, error) {
		n := 0
		err := r.LookupSP(3, 100, 200, func(storage.Fact) error { n++; return nil })
		return n, err
	}
	// An unrelated lookup opens the iterator before the decision.
	if err := r.LookupSP(3, 999, 200, func(storage.Fact) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var pe *PendingError
	if _, err := count(); !errors.As(err, &pe) || pe.Tx != 2 {
		t.Fatalf("lookup before the decision: %v, want PendingError for 2", err)
	}
	if err := st.Apply([]Change{{Index: 3, Decide: &Decision{Tx: 2, Commit: true}}}); err != nil {
		t.Fatal(err)
	}
	if n, err := count(); err != nil || n != 1 {
		t.Fatalf("after the commit the reader sees %d facts (%v), want 1", n, err)
	}
	if n := len(collect(t, func(fn func(storage.Fact) error) error { return st.LookupSP(1, 100, 200, fn) })); n != 0 {
		t.Fatalf("as of index 1, before the transaction, %d facts are visible, want 0", n)
	}
}
