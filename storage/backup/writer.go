package backup

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/klauspost/compress/gzip"

	"github.com/akutan-dev/akutan/storage/viewstore"
)

// fileMagic starts every data file, uncompressed.
const fileMagic = "akutan-backup-keys 1\n"

// Writer writes a backup into a directory.
type Writer struct {
	dir string
}

// Create starts a backup in dir, which is created if needed and must not
// already hold a backup (a manifest) or data files of one.
func Create(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the backup directory %s: %w", dir, err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the backup directory %s: %w", dir, err)
	}
	if len(ents) > 0 {
		return nil, fmt.Errorf("the backup directory %s is not empty: give a new one", dir)
	}
	return &Writer{dir: dir}, nil
}

// FileWriter writes one data file. Add may be called from several
// goroutines; the file's entries are in the order of the calls.
type FileWriter struct {
	mu   sync.Mutex
	path string
	f    *os.File
	cnt  *countWriter
	gz   *gzip.Writer
	buf  *bufio.Writer
	info FileInfo
	sum  uint64
	tmp  []byte
}

// File starts the data file of space sp and range [start, end]. It is
// written under a temporary name until Close.
func (w *Writer) File(sp string, start, end uint64) (*FileWriter, error) {
	name := FileName(sp, start, end)
	path := filepath.Join(w.dir, name)
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return nil, fmt.Errorf("creating backup file %s: %w", name, err)
	}
	cnt := &countWriter{w: f, h: sha256.New()}
	gz, _ := gzip.NewWriterLevel(cnt, gzip.BestSpeed)
	fw := &FileWriter{path: path, f: f, cnt: cnt, gz: gz, buf: bufio.NewWriterSize(gz, 1<<20),
		info: FileInfo{Name: name, Space: sp, RangeStart: start, RangeEnd: end}}
	if _, err := fw.buf.WriteString(fileMagic); err != nil {
		fw.Abort()
		return nil, fmt.Errorf("writing backup file %s: %w", name, err)
	}
	return fw, nil
}

// Add appends keys with their values (nil: all empty). Its signature is
// boot.Sink's: start and end are ignored (the keys were checked by the
// stream's receiver). It returns the sum of the entries' digests.
func (fw *FileWriter) Add(keys, values [][]byte, _, _ uint64) (uint64, error) {
	if values != nil && len(values) != len(keys) {
		return 0, fmt.Errorf("%d values for %d keys", len(values), len(keys))
	}
	fw.mu.Lock()
	defer fw.mu.Unlock()
	var sum uint64
	for i, k := range keys {
		var v []byte
		if values != nil {
			v = values[i]
		}
		fw.tmp = binary.AppendUvarint(fw.tmp[:0], uint64(len(k)))
		fw.tmp = append(fw.tmp, k...)
		fw.tmp = binary.AppendUvarint(fw.tmp, uint64(len(v)))
		fw.tmp = append(fw.tmp, v...)
		if _, err := fw.buf.Write(fw.tmp); err != nil {
			return 0, fmt.Errorf("writing backup file %s: %w", fw.info.Name, err)
		}
		sum += viewstore.EntryDigest(k, v)
		fw.info.RawBytes += uint64(len(k) + len(v))
	}
	fw.info.Keys += uint64(len(keys))
	fw.sum += sum
	return sum, nil
}

// Keys returns how many keys have been added.
func (fw *FileWriter) Keys() uint64 {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	return fw.info.Keys
}

// Close finishes the file: flushes, syncs and renames it to its final
// name, and returns its description for the manifest.
func (fw *FileWriter) Close() (FileInfo, error) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	err := fw.buf.Flush()
	if err == nil {
		err = fw.gz.Close()
	}
	if err == nil {
		err = fw.f.Sync()
	}
	if cerr := fw.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(fw.path+".tmp", fw.path)
	}
	if err != nil {
		_ = os.Remove(fw.path + ".tmp")
		return FileInfo{}, fmt.Errorf("finishing backup file %s: %w", fw.info.Name, err)
	}
	fw.info.Bytes = fw.cnt.n
	fw.info.SHA256 = hex.EncodeToString(fw.cnt.h.Sum(nil))
	fw.info.Digest = fmt.Sprintf("%016x", fw.sum)
	return fw.info, nil
}

// Abort discards the file (a failed stream, to be retried or given up).
func (fw *FileWriter) Abort() {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	_ = fw.f.Close()
	_ = os.Remove(fw.path + ".tmp")
}

// Commit writes the manifest, the backup's last step: the files are
// sorted, the manifest written to a temporary file, synced, renamed into
// place and the directory synced.
func (w *Writer) Commit(m *Manifest) error {
	m.Format = FormatVersion
	sort.Slice(m.Files, func(i, j int) bool {
		a, b := m.Files[i], m.Files[j]
		return a.Space < b.Space || a.Space == b.Space && a.RangeStart < b.RangeStart
	})
	sort.Strings(m.Spaces)
	if err := m.check(); err != nil {
		return fmt.Errorf("writing the manifest: %w", err)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the manifest: %w", err)
	}
	path := filepath.Join(w.dir, ManifestName)
	if err := writeSynced(path+".tmp", append(b, '\n')); err != nil {
		return err
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("writing the manifest: %w", err)
	}
	return syncDir(w.dir)
}

func writeSynced(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// countWriter counts and hashes what passes through it.
type countWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.h.Write(p[:n])
	return n, err
}
