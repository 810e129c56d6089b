package logarchive

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const (
	magic      = "AKLOGSEG"
	endMagic   = "AKLOGEND"
	version    = 1
	tmpPrefix  = ".tmp-"
	namePrefix = "log-"
	nameSuffix = ".seg"
	// maxEntry bounds an entry's length, so that a damaged length is not
	// taken for a huge allocation.
	maxEntry = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Segment is one segment file of an archive.
type Segment struct {
	Path        string
	First, Last uint64
}

// Name is the file name of the segment holding first to last.
func Name(first, last uint64) string {
	return fmt.Sprintf("%s%020d-%020d%s", namePrefix, first, last, nameSuffix)
}

// parseName reads a segment's range from its file name.
func parseName(name string) (first, last uint64, ok bool) {
	rest, ok1 := strings.CutPrefix(name, namePrefix)
	rest, ok2 := strings.CutSuffix(rest, nameSuffix)
	a, b, ok3 := strings.Cut(rest, "-")
	if !ok1 || !ok2 || !ok3 || len(a) != 20 || len(b) != 20 {
		return 0, 0, false
	}
	first, err1 := strconv.ParseUint(a, 10, 64)
	last, err2 := strconv.ParseUint(b, 10, 64)
	if err1 != nil || err2 != nil || first == 0 || last < first {
		return 0, 0, false
	}
	return first, last, true
}

// List returns the archive's segments in index order, checking from their
// names that they neither overlap nor leave gaps. A missing directory is
// an empty archive. Temporary files are ignored.
func List(dir string) ([]Segment, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing the log archive %s: %w", dir, err)
	}
	var segs []Segment
	for _, e := range ents {
		if e.IsDir() || strings.HasPrefix(e.Name(), tmpPrefix) {
			continue
		}
		first, last, ok := parseName(e.Name())
		if !ok {
			continue
		}
		segs = append(segs, Segment{Path: filepath.Join(dir, e.Name()), First: first, Last: last})
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].First < segs[j].First })
	for i := 1; i < len(segs); i++ {
		if segs[i].First != segs[i-1].Last+1 {
			return nil, fmt.Errorf("the log archive %s is not contiguous: %s is followed by %s",
				dir, filepath.Base(segs[i-1].Path), filepath.Base(segs[i].Path))
		}
	}
	return segs, nil
}

// Writer writes one segment: Add its entries in index order, then Close
// (or Abort).
type Writer struct {
	dir, tmp    string
	f           *os.File
	w           *bufio.Writer
	crc         uint32 // of every byte written so far
	first, next uint64
	count       uint64
	buf         []byte
}

// Create starts a segment in dir whose first entry is first.
func Create(dir string, first uint64) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the log archive %s: %w", dir, err)
	}
	tmp := filepath.Join(dir, fmt.Sprintf("%s%020d%s", tmpPrefix, first, nameSuffix))
	f, err := os.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("creating a log segment in %s: %w", dir, err)
	}
	w := &Writer{dir: dir, tmp: tmp, f: f, w: bufio.NewWriterSize(f, 1<<20), first: first, next: first}
	hdr := binary.LittleEndian.AppendUint32([]byte(magic), version)
	if err := w.write(hdr); err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

func (w *Writer) write(b []byte) error {
	w.crc = crc32.Update(w.crc, castagnoli, b)
	if _, err := w.w.Write(b); err != nil {
		return fmt.Errorf("writing log segment %s: %w", w.tmp, err)
	}
	return nil
}

// Add appends the entry at index, which must be the one after the last.
func (w *Writer) Add(index uint64, data []byte) error {
	if index != w.next {
		return fmt.Errorf("log segment %s: entry %d given where %d was expected", w.tmp, index, w.next)
	}
	if len(data) > maxEntry {
		return fmt.Errorf("log segment %s: entry %d has %d bytes, over the limit of %d", w.tmp, index, len(data), maxEntry)
	}
	b := binary.LittleEndian.AppendUint64(w.buf[:0], index)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	w.buf = b
	if err := w.write(b); err != nil {
		return err
	}
	w.next++
	w.count++
	return nil
}

// Count is how many entries were added.
func (w *Writer) Count() uint64 { return w.count }

// Close ends the segment, syncs it and gives it its name; it returns the
// segment. A segment with no entry is not kept.
func (w *Writer) Close() (Segment, error) {
	if w.count == 0 {
		w.Abort()
		return Segment{}, fmt.Errorf("log segment %s: no entries", w.tmp)
	}
	last := w.next - 1
	b := append([]byte(endMagic), make([]byte, 0, 28)...)
	b = binary.LittleEndian.AppendUint64(b, w.first)
	b = binary.LittleEndian.AppendUint64(b, last)
	b = binary.LittleEndian.AppendUint64(b, w.count)
	if err := w.write(b); err != nil {
		w.Abort()
		return Segment{}, err
	}
	if err := w.write(binary.LittleEndian.AppendUint32(nil, w.crc)); err != nil {
		w.Abort()
		return Segment{}, err
	}
	seg := Segment{Path: filepath.Join(w.dir, Name(w.first, last)), First: w.first, Last: last}
	err := w.w.Flush()
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.tmp, seg.Path)
	}
	if err != nil {
		_ = os.Remove(w.tmp)
		return Segment{}, fmt.Errorf("finishing log segment %s: %w", seg.Path, err)
	}
	if err := syncDir(w.dir); err != nil {
		return Segment{}, err
	}
	return seg, nil
}

// Abort drops the segment.
func (w *Writer) Abort() {
	_ = w.f.Close()
	_ = os.Remove(w.tmp)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing the log archive %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing the log archive %s: %w", dir, err)
	}
	return nil
}

// RemoveTemporary removes what an interrupted run left in dir.
func RemoveTemporary(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("listing the log archive %s: %w", dir, err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("removing %s: %w", e.Name(), err)
			}
		}
	}
	return nil
}

// ReadSegment reads a segment whole, checking it (see the package
// documentation), and calls fn for each entry in order; fn may be nil to
// only check. Errors name the file.
func ReadSegment(seg Segment, fn func(index uint64, data []byte) error) error {
	f, err := os.Open(seg.Path)
	if err != nil {
		return fmt.Errorf("reading log segment %s: %w", seg.Path, err)
	}
	defer f.Close()
	r := &crcReader{r: bufio.NewReaderSize(f, 1<<20)}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("log segment %s is damaged: %s", seg.Path, fmt.Sprintf(format, args...))
	}
	hdr := make([]byte, len(magic)+4)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return bad("no header: %v", err)
	}
	if string(hdr[:len(magic)]) != magic {
		return bad("not a log segment (magic %q)", hdr[:len(magic)])
	}
	if v := binary.LittleEndian.Uint32(hdr[len(magic):]); v != version {
		return bad("format version %d, this binary reads %d", v, version)
	}
	next := seg.First
	var count uint64
	var data []byte
	for {
		tag := make([]byte, 8)
		if _, err := io.ReadFull(r, tag); err != nil {
			return bad("cut short after entry %d: %v", next-1, err)
		}
		if string(tag) == endMagic {
			break
		}
		index := binary.LittleEndian.Uint64(tag)
		var lb [4]byte
		if _, err := io.ReadFull(r, lb[:]); err != nil {
			return bad("cut short in entry %d: %v", index, err)
		}
		n := binary.LittleEndian.Uint32(lb[:])
		if n > maxEntry {
			return bad("entry %d claims %d bytes", index, n)
		}
		if cap(data) < int(n) {
			data = make([]byte, n)
		}
		data = data[:n]
		if _, err := io.ReadFull(r, data); err != nil {
			return bad("cut short in entry %d: %v", index, err)
		}
		var cb [4]byte
		if _, err := io.ReadFull(r, cb[:]); err != nil {
			return bad("cut short in entry %d: %v", index, err)
		}
		sum := crc32.Update(crc32.Update(crc32.Checksum(tag, castagnoli), castagnoli, lb[:]), castagnoli, data)
		if sum != binary.LittleEndian.Uint32(cb[:]) {
			return bad("entry %d fails its checksum", index)
		}
		if index != next {
			return bad("entry %d where %d was expected", index, next)
		}
		if index > seg.Last {
			return bad("entry %d is beyond the last index %d its name gives", index, seg.Last)
		}
		if fn != nil {
			if err := fn(index, data); err != nil {
				return err
			}
		}
		next++
		count++
	}
	tr := make([]byte, 24)
	if _, err := io.ReadFull(r, tr); err != nil {
		return bad("cut short in the trailer: %v", err)
	}
	first, last, n := binary.LittleEndian.Uint64(tr), binary.LittleEndian.Uint64(tr[8:]), binary.LittleEndian.Uint64(tr[16:])
	if first != seg.First || last != seg.Last || n != count || next != seg.Last+1 {
		return bad("the trailer says entries %d to %d (%d), the name %d to %d, and %d were read",
			first, last, n, seg.First, seg.Last, count)
	}
	want := r.crc
	var cb [4]byte
	if _, err := io.ReadFull(r, cb[:]); err != nil {
		return bad("cut short in the trailer: %v", err)
	}
	if binary.LittleEndian.Uint32(cb[:]) != want {
		return bad("the file fails its checksum")
	}
	if _, err := r.r.ReadByte(); err != io.EOF {
		return bad("bytes after the trailer")
	}
	return nil
}

// crcReader checksums what it reads.
type crcReader struct {
	r   *bufio.Reader
	crc uint32
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.crc = crc32.Update(c.crc, castagnoli, p[:n])
	return n, err
}

// Last returns the last index the archive holds (0 when empty).
func Last(dir string) (uint64, error) {
	segs, err := List(dir)
	if err != nil || len(segs) == 0 {
		return 0, err
	}
	return segs[len(segs)-1].Last, nil
}

// Covers checks that the archive in dir holds every index from from to
// to (nothing when to < from), in segments that read back whole; the
// error says what is missing or names the damaged file.
func Covers(dir string, from, to uint64) error {
	if to < from {
		return nil
	}
	segs, err := List(dir)
	if err != nil {
		return err
	}
	if len(segs) == 0 {
		return fmt.Errorf("the log archive %s holds no segment: entries %d to %d are not archived", dir, from, to)
	}
	if segs[0].First > from {
		return fmt.Errorf("the log archive %s starts at entry %d: entries %d to %d are not archived", dir, segs[0].First, from, min(to, segs[0].First-1))
	}
	if last := segs[len(segs)-1].Last; last < to {
		return fmt.Errorf("the log archive %s ends at entry %d: entries %d to %d are not archived (run `akutan ctl log archive` first)", dir, last, max(from, last+1), to)
	}
	for _, s := range segs {
		if s.Last < from || s.First > to {
			continue
		}
		if err := ReadSegment(s, nil); err != nil {
			return err
		}
	}
	return nil
}
