package logserver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/lni/goutils/vfs"
	"github.com/rs/zerolog"
	"github.com/syndtr/goleveldb/leveldb/storage"
)

// vfsStorage is a goleveldb storage.Storage on a vfs.FS: the operating
// system's file system in production, a strict in-memory one in power-loss
// tests. The state machine always runs on this storage, so the tests
// exercise exactly the code that production runs.
//
// It keeps goleveldb's file names (so existing directories open unchanged)
// and is stricter about durability than goleveldb's own file storage, as
// the state machine's Sync contract needs:
//   - Create and Rename sync the directory, so a file that was synced is
//     also still there after a power loss;
//   - closing a Writer syncs it first. goleveldb closes the previous
//     journal when it rotates the memtable and never syncs it, so a later
//     synced write to the new journal could otherwise survive a power loss
//     while earlier writes in the old journal do not;
//   - SetMeta syncs the manifest it names before pointing CURRENT at it.
//     goleveldb v1.0.0 writes a new manifest (on every open) and calls
//     SetMeta without syncing it, then deletes the old manifest. With
//     writes buffered in this process, a kill -9 in that window left
//     CURRENT naming an empty manifest and no old one to fall back to: the
//     store could never be opened again. Without the buffer the same window
//     loses the store on a power cut.
type vfsStorage struct {
	fs     vfs.FS
	dir    string
	logger zerolog.Logger

	mu      sync.Mutex
	lock    io.Closer // held from Lock until its Unlock
	closed  bool
	writers map[storage.FileDesc]*vfsWriter // open for writing, so SetMeta can sync a manifest
}

var _ storage.Storage = (*vfsStorage)(nil)

const currentFile = "CURRENT"

// openVFSStorage creates dir (syncing every parent, so that the directory
// itself survives a power loss) and returns a storage in it.
func openVFSStorage(fs vfs.FS, dir string, logger zerolog.Logger) (*vfsStorage, error) {
	if err := mkdirAllSynced(fs, dir); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	return &vfsStorage{fs: fs, dir: dir, logger: logger, writers: make(map[storage.FileDesc]*vfsWriter)}, nil
}

// mkdirAllSynced creates dir and syncs it and each of its parents.
func mkdirAllSynced(fs vfs.FS, dir string) error {
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if err := syncDir(fs, d); err != nil {
			return err
		}
		if parent := filepath.Dir(d); parent == d {
			return nil
		}
	}
}

func syncDir(fs vfs.FS, dir string) error {
	f, err := fs.OpenDir(dir)
	if err != nil {
		return fmt.Errorf("opening directory %s: %w", dir, err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

func (s *vfsStorage) path(name string) string { return filepath.Join(s.dir, name) }

type storageLock struct{ s *vfsStorage }

func (l storageLock) Unlock() {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if l.s.lock != nil {
		_ = l.s.lock.Close()
		l.s.lock = nil
	}
}

// Lock implements storage.Storage: it locks the LOCK file against other
// processes.
func (s *vfsStorage) Lock() (storage.Locker, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, storage.ErrClosed
	}
	if s.lock != nil {
		return nil, storage.ErrLocked
	}
	l, err := s.fs.Lock(s.path("LOCK"))
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", s.dir, err)
	}
	s.lock = l
	return storageLock{s}, nil
}

// Log implements storage.Storage: goleveldb's own messages go to debug.
func (s *vfsStorage) Log(str string) {
	s.logger.Debug().Str("leveldb", str).Msg("state machine store")
}

// SetMeta points CURRENT at the manifest fd, atomically and durably, once
// the manifest itself is durable (see vfsStorage).
func (s *vfsStorage) SetMeta(fd storage.FileDesc) error {
	if !storage.FileDescOk(fd) || fd.Type != storage.TypeManifest {
		return storage.ErrInvalidFile
	}
	s.mu.Lock()
	w := s.writers[fd]
	s.mu.Unlock()
	if w != nil {
		if err := w.Sync(); err != nil {
			return fmt.Errorf("syncing %s before naming it in %s: %w", fd, currentFile, err)
		}
	}
	tmp := currentFile + ".tmp"
	if err := s.writeSynced(tmp, fd.String()+"\n"); err != nil {
		return err
	}
	if err := s.fs.Rename(s.path(tmp), s.path(currentFile)); err != nil {
		return fmt.Errorf("renaming %s: %w", tmp, err)
	}
	return syncDir(s.fs, s.dir)
}

func (s *vfsStorage) writeSynced(name, content string) error {
	f, err := s.fs.Create(s.path(name))
	if err != nil {
		return fmt.Errorf("creating %s: %w", name, err)
	}
	_, err = io.WriteString(f, content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// GetMeta reads the manifest that CURRENT names; os.ErrNotExist tells
// goleveldb to create a new database.
func (s *vfsStorage) GetMeta() (storage.FileDesc, error) {
	f, err := s.fs.Open(s.path(currentFile))
	if errors.Is(err, os.ErrNotExist) {
		return storage.FileDesc{}, s.clearInterruptedCreate()
	}
	if err != nil {
		return storage.FileDesc{}, fmt.Errorf("opening %s: %w", currentFile, err)
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return storage.FileDesc{}, &storage.ErrCorrupted{Err: fmt.Errorf("reading %s: %w", currentFile, err)}
	}
	fd, ok := parseFileName(strings.TrimSuffix(line, "\n"))
	if !ok || fd.Type != storage.TypeManifest {
		return storage.FileDesc{}, &storage.ErrCorrupted{Err: fmt.Errorf("%s names %q", currentFile, line)}
	}
	return fd, nil
}

// clearInterruptedCreate is called when CURRENT does not exist. goleveldb
// creates a database by writing its first manifest and then CURRENT, and
// only then a journal; so a directory with no CURRENT, no journal and no
// table was never opened, holds nothing, and its leftover manifests are
// removed so that the creation starts again (goleveldb refuses to create a
// database over them). Anything else without CURRENT is damage, and is left
// for goleveldb to report.
func (s *vfsStorage) clearInterruptedCreate() error {
	fds, err := s.List(storage.TypeAll)
	if err != nil {
		return err
	}
	for _, fd := range fds {
		if fd.Type == storage.TypeJournal || fd.Type == storage.TypeTable {
			return os.ErrNotExist
		}
	}
	for _, fd := range fds {
		s.logger.Info().Str("file", fd.String()).Msg("removing what an interrupted creation of the state machine store left")
		if err := s.Remove(fd); err != nil {
			return fmt.Errorf("removing %s left by an interrupted creation: %w", fd, err)
		}
	}
	if len(fds) > 0 {
		if err := syncDir(s.fs, s.dir); err != nil {
			return err
		}
	}
	return os.ErrNotExist
}

// parseFileName is goleveldb's naming: NNNNNN.log, .ldb (or .sst), .tmp and
// MANIFEST-NNNNNN.
func parseFileName(name string) (storage.FileDesc, bool) {
	var fd storage.FileDesc
	var tail string
	if _, err := fmt.Sscanf(name, "%d.%s", &fd.Num, &tail); err == nil {
		switch tail {
		case "log":
			fd.Type = storage.TypeJournal
		case "ldb", "sst":
			fd.Type = storage.TypeTable
		case "tmp":
			fd.Type = storage.TypeTemp
		default:
			return fd, false
		}
		return fd, true
	}
	if n, _ := fmt.Sscanf(name, "MANIFEST-%d%s", &fd.Num, &tail); n == 1 {
		fd.Type = storage.TypeManifest
		return fd, true
	}
	return fd, false
}

// List implements storage.Storage.
func (s *vfsStorage) List(ft storage.FileType) ([]storage.FileDesc, error) {
	names, err := s.fs.List(s.dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", s.dir, err)
	}
	var fds []storage.FileDesc
	for _, name := range names {
		if fd, ok := parseFileName(name); ok && fd.Type&ft != 0 {
			fds = append(fds, fd)
		}
	}
	return fds, nil
}

// Open implements storage.Storage.
func (s *vfsStorage) Open(fd storage.FileDesc) (storage.Reader, error) {
	if !storage.FileDescOk(fd) {
		return nil, storage.ErrInvalidFile
	}
	f, err := s.fs.Open(s.path(fd.String()))
	if errors.Is(err, os.ErrNotExist) && fd.Type == storage.TypeTable {
		f, err = s.fs.Open(s.path(fmt.Sprintf("%06d.sst", fd.Num)))
	}
	if err != nil {
		return nil, err
	}
	return &vfsReader{f: f}, nil
}

// Create implements storage.Storage; the new file's name is durable on
// return.
func (s *vfsStorage) Create(fd storage.FileDesc) (storage.Writer, error) {
	if !storage.FileDescOk(fd) {
		return nil, storage.ErrInvalidFile
	}
	f, err := s.fs.Create(s.path(fd.String()))
	if err != nil {
		return nil, err
	}
	if err := syncDir(s.fs, s.dir); err != nil {
		_ = f.Close()
		return nil, err
	}
	w := newVFSWriter(f, func() { s.forgetWriter(fd) })
	s.mu.Lock()
	s.writers[fd] = w
	s.mu.Unlock()
	return w, nil
}

func (s *vfsStorage) forgetWriter(fd storage.FileDesc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.writers, fd)
}

// Remove implements storage.Storage. A removal that a power loss undoes
// only leaves a file goleveldb no longer references.
func (s *vfsStorage) Remove(fd storage.FileDesc) error {
	if !storage.FileDescOk(fd) {
		return storage.ErrInvalidFile
	}
	err := s.fs.Remove(s.path(fd.String()))
	if errors.Is(err, os.ErrNotExist) && fd.Type == storage.TypeTable {
		err = s.fs.Remove(s.path(fmt.Sprintf("%06d.sst", fd.Num)))
	}
	return err
}

// Rename implements storage.Storage.
func (s *vfsStorage) Rename(oldfd, newfd storage.FileDesc) error {
	if !storage.FileDescOk(oldfd) || !storage.FileDescOk(newfd) {
		return storage.ErrInvalidFile
	}
	if err := s.fs.Rename(s.path(oldfd.String()), s.path(newfd.String())); err != nil {
		return err
	}
	return syncDir(s.fs, s.dir)
}

// Close implements storage.Storage.
func (s *vfsStorage) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.lock != nil {
		err := s.lock.Close()
		s.lock = nil
		return err
	}
	return nil
}

// vfsReader adds Seek to a vfs.File and reports short reads as io.EOF, as
// io.ReaderAt requires (the in-memory file system does not).
type vfsReader struct {
	f   vfs.File
	pos int64
}

func (r *vfsReader) Read(p []byte) (int, error) {
	n, err := r.f.ReadAt(p, r.pos)
	r.pos += int64(n)
	if n > 0 && errors.Is(err, io.EOF) {
		err = nil
	}
	return n, err
}

func (r *vfsReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.f.ReadAt(p, off)
	if n < len(p) && err == nil {
		err = io.EOF
	}
	return n, err
}

func (r *vfsReader) Seek(offset int64, whence int) (int64, error) {
	var base int64
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = r.pos
	case io.SeekEnd:
		st, err := r.f.Stat()
		if err != nil {
			return 0, err
		}
		base = st.Size()
	default:
		return 0, fmt.Errorf("seek: bad whence %d", whence)
	}
	if base+offset < 0 {
		return 0, fmt.Errorf("seek to negative offset %d", base+offset)
	}
	r.pos = base + offset
	return r.pos, nil
}

func (r *vfsReader) Close() error { return r.f.Close() }

// writeBufferSize is the buffer of each file goleveldb writes. goleveldb
// writes its journal in 32 KB blocks and its tables block by block, one
// system call each (expensive on virtual machines); buffering turns a
// batch of entries into one call. Buffered bytes reach the file no later
// than Sync or Close, so what goleveldb syncs is unchanged; unsynced writes
// were never durable, and the state machine's applied index only promises
// what a Sync made durable (Dragonboat replays the rest from the Raft log).
const writeBufferSize = 1 << 20

// vfsWriter buffers writes and syncs before closing (see vfsStorage).
type vfsWriter struct {
	f       vfs.File
	buf     *bufio.Writer
	onClose func()
}

func newVFSWriter(f vfs.File, onClose func()) *vfsWriter {
	return &vfsWriter{f: f, buf: bufio.NewWriterSize(f, writeBufferSize), onClose: onClose}
}

func (w *vfsWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }

func (w *vfsWriter) Sync() error {
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("flushing buffered writes: %w", err)
	}
	return w.f.Sync()
}

func (w *vfsWriter) Close() error {
	w.onClose()
	err := w.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}
