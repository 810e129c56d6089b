package viewstore

import (
	"context"
	"fmt"
	"os"
	"time"
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
		if err := s.checkKey(it.Key(), applied); err != nil {
			return n, fmt.Errorf("verifying the store: %w", err)
		}
		sum += KeyDigest(it.Key())
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

// checkKey checks one stored key against the store's config.
func (s *Store) checkKey(k []byte, applied uint64) error {
	f, _, err := s.cfg.decode(k)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
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
// it, keeping it for inspection, and returns the new name.
func MoveAside(dir string) (string, error) {
	to := fmt.Sprintf("%s.corrupt-%s", dir, time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.Rename(dir, to); err != nil {
		return "", fmt.Errorf("moving the damaged store %s aside: %w", dir, err)
	}
	return to, nil
}
