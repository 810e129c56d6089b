package logserver

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"

	sm "github.com/lni/dragonboat/v3/statemachine"
	"github.com/lni/goutils/vfs"
	"github.com/rs/zerolog"
)

// The tests in this file crash the log state machine's store at every point
// where it changes a file, and check that it always reopens, never reports
// less than it last synced, and reaches the same state as a run without a
// crash once the Raft log is replayed after the index it reports.
//
// Two kinds of crash are simulated on a strict in-memory file system:
//
//   - a process crash (kill -9): every byte handed to the file system is
//     kept, bytes still buffered in the process are lost;
//   - a power cut: only what was synced is kept (vfs.MemFS's
//     ResetToSyncedState).
//
// goleveldb runs compactions in the background, so two runs of the same
// workload do not change files in exactly the same order; the crash point
// "before the k-th change" is counted in each run, and k goes up until a
// run finishes without reaching it.

// errCrashed is what every file operation returns once the simulated
// process has crashed: nothing it does afterwards reaches the disk.
var errCrashed = errors.New("simulated crash")

// crashFS passes operations to a vfs.FS until the crashAt-th change (a
// create, write, sync, rename or remove), which it refuses along with every
// operation after it. crashAt 0 never crashes.
type crashFS struct {
	vfs.FS
	mu      sync.Mutex
	changes int
	crashAt int
	crashed bool
	syncs   int // sync calls passed through, to report coverage
}

// change counts one change and reports whether it may go ahead.
func (c *crashFS) change(isSync bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.crashed {
		return errCrashed
	}
	c.changes++
	if c.crashAt > 0 && c.changes >= c.crashAt {
		c.crashed = true
		return errCrashed
	}
	if isSync {
		c.syncs++
	}
	return nil
}

func (c *crashFS) alive() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.crashed {
		return errCrashed
	}
	return nil
}

func (c *crashFS) hasCrashed() bool { return c.alive() != nil }

func (c *crashFS) wrap(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return &crashFile{File: f, fs: c}, nil
}

func (c *crashFS) Create(name string) (vfs.File, error) {
	if err := c.change(false); err != nil {
		return nil, err
	}
	return c.wrap(c.FS.Create(name))
}

func (c *crashFS) Open(name string, opts ...vfs.OpenOption) (vfs.File, error) {
	if err := c.alive(); err != nil {
		return nil, err
	}
	return c.wrap(c.FS.Open(name, opts...))
}

func (c *crashFS) OpenDir(name string) (vfs.File, error) {
	if err := c.alive(); err != nil {
		return nil, err
	}
	return c.wrap(c.FS.OpenDir(name))
}

func (c *crashFS) Remove(name string) error {
	if err := c.change(false); err != nil {
		return err
	}
	return c.FS.Remove(name)
}

func (c *crashFS) Rename(oldname, newname string) error {
	if err := c.change(false); err != nil {
		return err
	}
	return c.FS.Rename(oldname, newname)
}

func (c *crashFS) MkdirAll(dir string, perm os.FileMode) error {
	if err := c.alive(); err != nil {
		return err
	}
	return c.FS.MkdirAll(dir, perm)
}

func (c *crashFS) Lock(name string) (io.Closer, error) {
	if err := c.alive(); err != nil {
		return nil, err
	}
	return c.FS.Lock(name)
}

func (c *crashFS) List(dir string) ([]string, error) {
	if err := c.alive(); err != nil {
		return nil, err
	}
	return c.FS.List(dir)
}

type crashFile struct {
	vfs.File
	fs *crashFS
}

func (f *crashFile) Write(p []byte) (int, error) {
	if err := f.fs.change(false); err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

func (f *crashFile) Sync() error {
	if err := f.fs.change(true); err != nil {
		return err
	}
	return f.File.Sync()
}

func (f *crashFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.fs.alive(); err != nil {
		return 0, err
	}
	return f.File.ReadAt(p, off)
}

// crashWorkload is a fixed sequence of Raft entries applied in batches, with
// a Sync (as Dragonboat does before a snapshot) and a clean reopen (where
// goleveldb writes a new manifest) along the way.
type crashWorkload struct {
	cmds    [][]byte // cmds[i] is at Raft index i+1
	batches []int    // sizes of the Update calls, summing to len(cmds)
	syncs   map[int]bool
	reopens map[int]bool // after batch i
}

func newCrashWorkload() crashWorkload {
	w := crashWorkload{syncs: map[int]bool{}, reopens: map[int]bool{}}
	seq := uint64(0)
	for b := 0; b < 60; b++ {
		size := 1 + b%3
		for i := 0; i < size; i++ {
			if b == 35 && i == 0 {
				w.cmds = append(w.cmds, encodeTruncate(20))
				continue
			}
			seq++
			payload := fmt.Sprintf("entry-%d-%0400d", seq, seq)
			w.cmds = append(w.cmds, encodeAppend([]*appendOp{{clientID: 7, seq: seq, entries: [][]byte{[]byte(payload)}}}))
		}
		w.batches = append(w.batches, size)
		if b%7 == 6 {
			w.syncs[b] = true
		}
		if b == 20 || b == 45 {
			w.reopens[b] = true
		}
	}
	return w
}

// crashState is what a reopened state machine must hold: its extent and a
// digest of its retained entries.
type crashState struct {
	first, last uint64
	digest      [32]byte
}

func stateOf(t *testing.T, s *logSM) crashState {
	t.Helper()
	ext := s.extent()
	h := sha256.New()
	if ext.last >= ext.first {
		ents, err := s.readEntries(ext.first, ext.last, 1<<30)
		if err != nil {
			t.Fatalf("reading entries %d-%d: %v", ext.first, ext.last, err)
		}
		for _, e := range ents {
			fmt.Fprintf(h, "%d:%s;", e.index, e.data)
		}
	}
	st := crashState{first: ext.first, last: ext.last}
	copy(st.digest[:], h.Sum(nil))
	return st
}

// crashRun is one run of the workload on fs from Raft index from+1, until it
// ends or fs crashes.
type crashRun struct {
	durable  uint64 // applied index at the last successful Sync
	attempts uint64 // highest Raft index handed to Update
	states   map[uint64]crashState
}

const crashWriteBuffer = 4 << 10 // rotates memtables and compacts often

func openCrashSM(fs vfs.FS) (*logSM, uint64, error) {
	s := newLogSM("/crash/sm", zerolog.Nop(), smOptions{fs: fs, writeBuffer: crashWriteBuffer})
	applied, err := s.Open(nil)
	return s, applied, err
}

// run applies w's entries after Raft index from, recording the state after
// every batch when record is set. It stops quietly at a crash; any other
// failure fails the test.
func (w crashWorkload) run(t *testing.T, fs *crashFS, from uint64, record bool) crashRun {
	t.Helper()
	r := crashRun{durable: from, states: map[uint64]crashState{}}
	s, applied, err := openCrashSM(fs)
	if err != nil {
		if fs.hasCrashed() {
			return r
		}
		t.Fatalf("opening: %v", err)
	}
	if applied != from {
		t.Fatalf("opened at applied index %d, want %d", applied, from)
	}
	defer func() { _ = s.Close() }()
	next := uint64(1)
	for b, size := range w.batches {
		var ents []sm.Entry
		for i := 0; i < size; i++ {
			if next > from {
				ents = append(ents, sm.Entry{Index: next, Cmd: w.cmds[next-1]})
			}
			next++
		}
		if len(ents) == 0 {
			continue
		}
		r.attempts = ents[len(ents)-1].Index
		if _, err := s.Update(ents); err != nil {
			if fs.hasCrashed() {
				return r
			}
			t.Fatalf("applying batch %d: %v", b, err)
		}
		if record {
			r.states[r.attempts] = stateOf(t, s)
		}
		if w.syncs[b] {
			if err := s.Sync(); err != nil {
				if fs.hasCrashed() {
					return r
				}
				t.Fatalf("syncing after batch %d: %v", b, err)
			}
			r.durable = r.attempts
		}
		if w.reopens[b] {
			if err := s.Close(); err != nil && !fs.hasCrashed() {
				t.Fatalf("closing after batch %d: %v", b, err)
			}
			if s, applied, err = openCrashSM(fs); err != nil {
				if fs.hasCrashed() {
					return r
				}
				t.Fatalf("reopening after batch %d: %v", b, err)
			}
			if applied < r.durable {
				t.Fatalf("clean reopen after batch %d reports applied %d, below synced %d", b, applied, r.durable)
			}
		}
	}
	if err := s.Sync(); err != nil && !fs.hasCrashed() {
		t.Fatalf("final sync: %v", err)
	}
	return r
}

// checkCrashAt crashes a run at its k-th change, restarts on what a crash of
// that kind leaves, and checks the store against the reference states. It
// reports whether the run reached change k.
func checkCrashAt(t *testing.T, w crashWorkload, ref crashRun, final crashState, k int, powerCut bool) bool {
	t.Helper()
	mem := vfs.NewStrictMem()
	fs := &crashFS{FS: mem, crashAt: k}
	before := w.run(t, fs, 0, false)
	if !fs.hasCrashed() {
		return false
	}
	if powerCut {
		mem.ResetToSyncedState()
	}
	s, applied, err := openCrashSM(&crashFS{FS: mem})
	if err != nil {
		t.Fatalf("crash before change %d (power cut %v): the store does not reopen: %v", k, powerCut, err)
	}
	if applied < before.durable || applied > before.attempts {
		s.Close()
		t.Fatalf("crash before change %d (power cut %v): reopened at applied %d, want between synced %d and attempted %d",
			k, powerCut, applied, before.durable, before.attempts)
	}
	if applied > 0 {
		if got, want := stateOf(t, s), ref.states[applied]; got != want {
			s.Close()
			t.Fatalf("crash before change %d (power cut %v): at applied %d the store holds %d-%d, want %d-%d (or different entries)",
				k, powerCut, applied, got.first, got.last, want.first, want.last)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("closing after reopen: %v", err)
	}
	// Dragonboat replays the Raft log after the reported index.
	w.run(t, &crashFS{FS: mem}, applied, false)
	s, _, err = openCrashSM(&crashFS{FS: mem})
	if err != nil {
		t.Fatalf("crash before change %d: reopening after replay: %v", k, err)
	}
	defer s.Close()
	if got := stateOf(t, s); got != final {
		t.Fatalf("crash before change %d (power cut %v): after replay the store holds %d-%d, want %d-%d (or different entries)",
			k, powerCut, got.first, got.last, final.first, final.last)
	}
	return true
}

// TestStoreSurvivesCrashAtEveryChange is the test that would have caught
// the empty-manifest corruption: a kill -9 right after goleveldb's
// open-time manifest rotation left CURRENT naming a manifest whose bytes
// were still in this process's write buffer.
func TestStoreSurvivesCrashAtEveryChange(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a crash at every change of the store (about 40 s)")
	}
	w := newCrashWorkload()
	refFS := &crashFS{FS: vfs.NewStrictMem()}
	ref := w.run(t, refFS, 0, true)
	final := ref.states[uint64(len(w.cmds))]
	t.Logf("the workload makes about %d changes, %d of them syncs", refFS.changes, refFS.syncs)
	for _, powerCut := range []bool{false, true} {
		k := 1
		for ; checkCrashAt(t, w, ref, final, k, powerCut); k++ {
		}
		t.Logf("power cut %v: crashed before each of %d changes; every store reopened and converged", powerCut, k-1)
	}
}
