package viewstore

import (
	"testing"

	lstorage "github.com/syndtr/goleveldb/leveldb/storage"

	"github.com/akutan-dev/akutan/storage"
)

// SyncApplied reports the applied index it made durable, which a reopen
// then finds.
func TestSyncAppliedReturnsTheAppliedIndex(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir, fullRange(storage.KeyPrefixSP))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.SyncApplied(); err != nil || got != 0 {
		t.Fatalf("SyncApplied on a new store = %d, %v; want 0", got, err)
	}
	if err := st.Apply([]Change{{Index: 1}, {Index: 2}}); err != nil {
		t.Fatal(err)
	}
	if got, err := st.SyncApplied(); err != nil || got != 2 {
		t.Fatalf("SyncApplied = %d, %v; want 2", got, err)
	}
	st.Close()
	st, err = Open(dir, fullRange(storage.KeyPrefixSP))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Applied() != 2 {
		t.Fatalf("after reopening, applied %d, want 2", st.Applied())
	}
}

// countSyncs counts the syncs of the files it creates.
type countSyncs struct {
	lstorage.Storage
	syncs *int
}

func (c countSyncs) Create(fd lstorage.FileDesc) (lstorage.Writer, error) {
	w, err := c.Storage.Create(fd)
	return countingWriter{w, c.syncs}, err
}

type countingWriter struct {
	lstorage.Writer
	syncs *int
}

func (w countingWriter) Sync() error {
	*w.syncs++
	return w.Writer.Sync()
}

// A journal is synced when it is closed, so that a synced write to the
// next journal leaves every earlier write durable; other files are not.
func TestJournalsAreSyncedOnClose(t *testing.T) {
	syncs := 0
	files := syncOnClose{countSyncs{lstorage.NewMemStorage(), &syncs}}
	for _, c := range []struct {
		typ  lstorage.FileType
		want int
	}{{lstorage.TypeJournal, 1}, {lstorage.TypeTable, 0}, {lstorage.TypeManifest, 0}} {
		syncs = 0
		w, err := files.Create(lstorage.FileDesc{Type: c.typ, Num: 7})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if syncs != c.want {
			t.Errorf("closing a %s file synced it %d times, want %d", c.typ, syncs, c.want)
		}
	}
}
