package backup

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/gzip"

	"github.com/akutan-dev/akutan/storage/viewstore"
)

// maxEntryBytes bounds one key or value read from a data file, so that a
// damaged length cannot make the reader allocate gigabytes.
const maxEntryBytes = 64 << 20

// ReadFile streams the entries of data file f of the backup in dir to fn,
// in batches of up to batchKeys keys (values nil when all are empty in a
// batch is not promised: values always has one entry per key). The slices
// are valid only during the call. It checks the file's size first, then
// while reading its format, and at the end its SHA-256, key count and
// digest against the manifest: any difference fails with ErrDamaged
// naming the file. fn sees entries before the end is checked, so a caller
// must not commit what it loaded until ReadFile returns nil.
func ReadFile(ctx context.Context, dir string, f FileInfo, batchKeys int, fn func(keys, values [][]byte) error) error {
	if err := readFile(ctx, dir, f, batchKeys, fn); err != nil {
		return fmt.Errorf("backup file %s: %w", f.Name, err)
	}
	return nil
}

func readFile(ctx context.Context, dir string, f FileInfo, batchKeys int, fn func(keys, values [][]byte) error) error {
	if batchKeys <= 0 {
		batchKeys = 65536
	}
	file, err := os.Open(filepath.Join(dir, f.Name))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w: missing", ErrDamaged)
		}
		return err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return err
	}
	if st.Size() != f.Bytes {
		return fmt.Errorf("%w: %d bytes, but the manifest says %d (truncated or changed)", ErrDamaged, st.Size(), f.Bytes)
	}
	h := sha256.New()
	tee := io.TeeReader(bufio.NewReaderSize(file, 1<<20), h)
	gz, err := gzip.NewReader(tee)
	if err != nil {
		return fmt.Errorf("%w: not gzip: %v", ErrDamaged, err)
	}
	r := bufio.NewReaderSize(gz, 1<<20)
	magic := make([]byte, len(fileMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != fileMagic {
		return fmt.Errorf("%w: not a backup data file (bad header, %v)", ErrDamaged, err)
	}
	var (
		keys, values [][]byte
		n, sum       uint64
	)
	flush := func() error {
		if len(keys) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		err := fn(keys, values)
		keys, values = keys[:0], values[:0]
		return err
	}
	for {
		k, err := readBytes(r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: after %d keys: %v", ErrDamaged, n, err)
		}
		v, err := readBytes(r)
		if err != nil {
			return fmt.Errorf("%w: after %d keys: %v", ErrDamaged, n, noEOF(err))
		}
		n++
		sum += viewstore.EntryDigest(k, v)
		keys, values = append(keys, k), append(values, v)
		if len(keys) >= batchKeys {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	// Read the rest of the gzip stream's trailer through the hash.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return fmt.Errorf("%w: SHA-256 %s, but the manifest says %s", ErrDamaged, got, f.SHA256)
	}
	if n != f.Keys {
		return fmt.Errorf("%w: %d keys, but the manifest says %d", ErrDamaged, n, f.Keys)
	}
	if got := fmt.Sprintf("%016x", sum); got != f.Digest {
		return fmt.Errorf("%w: digest %s, but the manifest says %s", ErrDamaged, got, f.Digest)
	}
	if f.ViewDigest != "" && f.ViewDigest != f.Digest {
		return fmt.Errorf("%w: digest %s, but its source view reported %s", ErrDamaged, f.Digest, f.ViewDigest)
	}
	return nil
}

// readBytes reads one uvarint-prefixed byte string; io.EOF only at a
// clean end before it.
func readBytes(r *bufio.Reader) ([]byte, error) {
	l, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if l > maxEntryBytes {
		return nil, fmt.Errorf("an entry of %d bytes", l)
	}
	b := make([]byte, l)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, noEOF(err)
	}
	return b, nil
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// VerifyChain verifies a full backup and the incremental ones on top of
// it (OpenChain, then Verify of each), returning their manifests.
func VerifyChain(ctx context.Context, dirs []string, progress func(dir string, f FileInfo, err error)) ([]*Manifest, error) {
	ms, err := OpenChain(dirs)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, dir := range dirs {
		_, err := Verify(ctx, dir, func(f FileInfo, err error) {
			if progress != nil {
				progress(dir, f, err)
			}
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", dir, err))
		}
	}
	return ms, errors.Join(errs...)
}

// Verify checks the backup in dir: its manifest, and every data file's
// presence, size, SHA-256, format, key count and digest (ReadFile).
// progress, if set, is called after each file. It returns the manifest
// and every damaged file's error, joined.
func Verify(ctx context.Context, dir string, progress func(f FileInfo, err error)) (*Manifest, error) {
	m, err := Open(dir)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, f := range m.Files {
		err := ReadFile(ctx, dir, f, 0, func(_, _ [][]byte) error { return nil })
		if ctx.Err() != nil {
			return m, ctx.Err()
		}
		if progress != nil {
			progress(f, err)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return m, errors.Join(errs...)
}
