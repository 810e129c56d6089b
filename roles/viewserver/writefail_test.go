package viewserver

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	lstorage "github.com/syndtr/goleveldb/leveldb/storage"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/roles/logserver/logtest"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/storage/viewstore"
	"github.com/akutan-dev/akutan/wire"
)

// faultyFiles fails every file write and sync with ENOSPC while full is
// set, as a full disk does.
type faultyFiles struct {
	lstorage.Storage
	full *atomic.Bool
}

func (f faultyFiles) Create(fd lstorage.FileDesc) (lstorage.Writer, error) {
	if f.full.Load() {
		return nil, fmt.Errorf("create: %w", syscall.ENOSPC)
	}
	w, err := f.Storage.Create(fd)
	if err != nil {
		return nil, err
	}
	return faultyWriter{Writer: w, full: f.full}, nil
}

type faultyWriter struct {
	lstorage.Writer
	full *atomic.Bool
}

func (w faultyWriter) Write(p []byte) (int, error) {
	if w.full.Load() {
		return 0, fmt.Errorf("write: %w", syscall.ENOSPC)
	}
	return w.Writer.Write(p)
}

func (w faultyWriter) Sync() error {
	if w.full.Load() {
		return fmt.Errorf("sync: %w", syscall.ENOSPC)
	}
	return w.Writer.Sync()
}

// appendFacts appends one insert entry per fact, subject s and predicate
// 77, and returns the last index.
func appendFacts(t *testing.T, lc *logtest.Cluster, subjects ...uint64) uint64 {
	t.Helper()
	c, err := logclient.New(lc.Addrs())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var entries [][]byte
	for _, s := range subjects {
		tx := &wire.InsertTx{Facts: []*wire.InsertFact{{
			FactOffset: 1, Subject: logentry.KIDRef(s), Predicate: logentry.KIDRef(77),
			Object: &wire.LogObject{Value: &wire.LogObject_Str{Str: fmt.Sprint("value of ", s)}},
		}}}
		data, err := logentry.Encode(&wire.LogEntry{Command: &wire.LogEntry_Insert{Insert: tx}})
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, last, err := c.Append(ctx, entries)
	if err != nil {
		t.Fatal(err)
	}
	return last
}

func digestAt(t *testing.T, s *Server, index uint64) uint64 {
	t.Helper()
	var d uint64
	err := s.store.use(func(st *viewstore.Store, _ uint64) error {
		var err error
		d, err = st.Digest(context.Background(), index)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestWriteFailureRecovers: a view whose store writes fail (a full disk)
// stops applying but keeps serving what it holds; once writes succeed
// again it catches up with the log on its own, to the same state as a
// view that never failed.
func TestWriteFailureRecovers(t *testing.T) {
	lc := logtest.Start(t, 3)
	var full atomic.Bool
	reg := prometheus.NewRegistry()
	faulty := startView(t, Config{Space: space.HashSP, Range: space.Full(), Dir: t.TempDir(), LogAddrs: lc.Addrs(), Registry: reg,
		WrapStore: func(st lstorage.Storage) lstorage.Storage { return faultyFiles{Storage: st, full: &full} }})
	healthy := startView(t, Config{Space: space.HashSP, Range: space.Full(), Dir: t.TempDir(), LogAddrs: lc.Addrs()})

	before := appendFacts(t, lc, 1001, 1002, 1003)
	waitUntil(t, fmt.Sprintf("both views serve at %d", before), func() bool {
		return faulty.Serving() && faulty.Applied() == before && healthy.Serving() && healthy.Applied() == before
	})

	full.Store(true)
	last := appendFacts(t, lc, 1004, 1005)
	waitUntil(t, "a failed write", func() bool { return metric(t, reg, "akutan_view_store_write_failures_total") > 0 })
	waitUntil(t, fmt.Sprintf("the healthy view applies %d", last), func() bool { return healthy.Applied() == last })
	if got := faulty.Applied(); got != before {
		t.Fatalf("the view with a full disk applied %d, want %d", got, before)
	}
	if !faulty.Serving() {
		t.Fatalf("the view with a full disk stopped serving what it holds: %v", faulty.State())
	}

	full.Store(false)
	waitUntil(t, fmt.Sprintf("the recovered view applies %d", last), func() bool {
		return faulty.Serving() && faulty.Applied() == last
	})
	if a, b := digestAt(t, faulty, last), digestAt(t, healthy, last); a != b {
		t.Fatalf("digest at %d: %016x after recovering, %016x on the healthy view", last, a, b)
	}
}
