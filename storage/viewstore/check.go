package viewstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/akutan-dev/akutan/storage"
)

// Verify reads the whole store from one snapshot and checks it: every
// block's checksum (LevelDB's strict mode), every fact key decodes, lies in
// the store's range and is not newer than the applied index, and the keys
// add up to the stored digest. Any failure wraps ErrCorrupt, except ctx
// ending. It returns the number of fact keys. It is safe to call
// concurrently with Apply.
func (s *Store) Verify(ctx context.Context) (uint64, error) {
	snap, err := s.db.GetSnapshot()
	if err != nil {
		return 0, fmt.Errorf("verifying the store: %w", classify(err))
	}
	defer snap.Release()
	applied, err := getU64(snap, keyApplied)
	if err != nil {
		return 0, fmt.Errorf("verifying the store: %w", err)
	}
	want, err := getU64(snap, keyDigest)
	if err != nil {
		return 0, fmt.Errorf("verifying the store: %w", err)
	}
	it := snap.NewIterator(s.factRange(), nil)
	defer it.Release()
	var sum, n uint64
	for ; it.Next(); n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return n, fmt.Errorf("verifying the store: %w", ctx.Err())
		}
		if err := s.checkEntry(it.Key(), it.Value(), applied); err != nil {
			return n, fmt.Errorf("verifying the store: %w", err)
		}
		sum += EntryDigest(it.Key(), it.Value())
	}
	if err := it.Error(); err != nil {
		return n, fmt.Errorf("verifying the store: %w", classify(err))
	}
	if sum != want {
		return n, fmt.Errorf("verifying the store: %w: its %d keys add up to digest %016x, but %016x is recorded for index %d",
			ErrCorrupt, n, sum, want, applied)
	}
	return n, nil
}

// checkEntry checks one stored key and its value against the store's
// config.
func (s *Store) checkEntry(k, v []byte, applied uint64) error {
	f, _, err := s.cfg.decode(k)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if err := storage.DecodeAnnotation(v, &f.Object); err != nil {
		return fmt.Errorf("%w: key %x: %v", ErrCorrupt, k, err)
	}
	if !s.cfg.holds(f) {
		return fmt.Errorf("%w: key %x is outside %s", ErrCorrupt, k, s.cfg)
	}
	if f.Index > applied {
		return fmt.Errorf("%w: key %x has log index %d, after the applied index %d", ErrCorrupt, k, f.Index, applied)
	}
	return nil
}

// MoveAside renames a damaged store directory to DIR.corrupt-TIME, next to
// it, keeping it for inspection, and returns the new name. When dir cannot
// be renamed because it is a mount point (the usual layout on bare metal:
// one disk per view), its contents move into DIR/corrupt-TIME instead,
// which the store ignores; a rename on one file system needs no space, so
// this works on a full disk too.
func MoveAside(dir string) (string, error) {
	stamp := time.Now().UTC().Format("20060102T150405.000000000Z")
	to := fmt.Sprintf("%s.corrupt-%s", dir, stamp)
	err := os.Rename(dir, to)
	if err == nil {
		return to, nil
	}
	if !errors.Is(err, syscall.EBUSY) && !errors.Is(err, syscall.EXDEV) {
		return "", fmt.Errorf("moving the damaged store %s aside: %w", dir, err)
	}
	to = filepath.Join(dir, asidePrefix+stamp)
	if err := moveContents(dir, to); err != nil {
		return "", fmt.Errorf("moving the damaged store in mount point %s aside: %w", dir, err)
	}
	return to, nil
}

// asidePrefix names the subdirectories MoveAside makes inside a mount
// point; RemoveContents and later MoveAside calls leave them alone.
const asidePrefix = "corrupt-"

// moveContents renames every entry of dir, except earlier moved-aside
// copies, into the new directory to.
func moveContents(dir, to string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if err := os.Mkdir(to, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), asidePrefix) {
			continue
		}
		if err := os.Rename(filepath.Join(dir, e.Name()), filepath.Join(to, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// RemoveContents removes the store in dir: the directory itself, or, when
// dir is a mount point that cannot be removed, everything in it except
// copies MoveAside kept.
func RemoveContents(dir string) error {
	err := os.RemoveAll(dir)
	if err == nil || !errors.Is(err, syscall.EBUSY) {
		return err
	}
	entries, rerr := os.ReadDir(dir)
	if rerr != nil {
		return rerr
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), asidePrefix) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
