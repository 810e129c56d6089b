package backup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/akutan-dev/akutan/cluster/space"
	bkstore "github.com/akutan-dev/akutan/storage/backup"
	"github.com/akutan-dev/akutan/storage/viewstore"
)

// RestoreStats totals a restore.
type RestoreStats struct {
	Index uint64 // the backup's index: the store has applied up to it
	Keys  uint64 // keys loaded (those in the view's range)
	Files int    // data files read
}

// Restore fills the empty store st, of space sp and range rng, from the
// backups in dirs (a full backup, then any incremental ones on top of it:
// see bkstore.OpenChain): the keys of the files that overlap rng,
// filtered to it, loaded through a viewstore.Loader as of the last
// backup's index. Every file read is checked whole (ReadFile) before the
// load is finished; on any error the store holds an unfinished load and
// must be discarded.
func Restore(ctx context.Context, dirs []string, st *viewstore.Store, sp space.Space, rng space.Range) (RestoreStats, *bkstore.Manifest, error) {
	chain, err := bkstore.OpenChain(dirs)
	if err != nil {
		return RestoreStats{}, nil, err
	}
	m := chain[len(chain)-1]
	type dirFile struct {
		dir string
		f   bkstore.FileInfo
	}
	var files []dirFile
	for i, cm := range chain {
		fs := cm.FilesOf(string(sp), rng.Start, rng.End)
		if len(fs) == 0 {
			return RestoreStats{}, m, fmt.Errorf("the backup in %s holds no %s files", dirs[i], sp)
		}
		for _, f := range fs {
			files = append(files, dirFile{dirs[i], f})
		}
	}
	loader, err := st.BeginLoad(m.Index)
	if err != nil {
		return RestoreStats{}, m, err
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, 4)
	for _, df := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			if err := loadFile(ctx, df.dir, df.f, loader, rng); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return RestoreStats{}, m, fmt.Errorf("restoring %s %s from %s: %w", sp, rng, strings.Join(dirs, ","), err)
	}
	if err := ctx.Err(); err != nil {
		return RestoreStats{}, m, err
	}
	if err := loader.Finish(viewstore.LogVersion{Version: m.LogVersion, Index: m.LogVersionIndex}); err != nil {
		return RestoreStats{}, m, err
	}
	return RestoreStats{Index: m.Index, Keys: loader.Keys(), Files: len(files)}, m, nil
}

// loadFile loads the keys of one file that lie in rng.
func loadFile(ctx context.Context, dir string, f bkstore.FileInfo, loader *viewstore.Loader, rng space.Range) error {
	whole := rng.Start <= f.RangeStart && f.RangeEnd <= rng.End
	var ks, vs [][]byte
	return bkstore.ReadFile(ctx, dir, f, 65536, func(keys, values [][]byte) error {
		if !whole {
			ks, vs = ks[:0], vs[:0]
			for i, k := range keys {
				h, err := viewstore.KeyHash(k)
				if err != nil {
					return fmt.Errorf("%w: %v", bkstore.ErrDamaged, err)
				}
				if rng.Contains(h) {
					ks, vs = append(ks, k), append(vs, values[i])
				}
			}
			keys, values = ks, vs
		}
		if len(keys) == 0 {
			return nil
		}
		_, err := loader.Add(keys, values, rng.Start, rng.End)
		return err
	})
}
