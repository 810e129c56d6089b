package viewserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/akutan-dev/akutan/cluster/backup"
	bkstore "github.com/akutan-dev/akutan/storage/backup"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/storage/viewstore"
	"github.com/akutan-dev/akutan/wire"
)

// restore fills the empty store from the backup named by
// Config.RestoreFrom, as of the backup's index, instead of from peers or
// the log; the view then follows the log from the next index. A backup
// that is damaged or does not fit the log (the log no longer holds the
// entry after the backup, or has not reached it) stops the view for good:
// retrying would not help.
func (s *Server) restore(ctx context.Context, st *viewstore.Store, info *wire.InfoReply) error {
	dir := strings.Join(s.cfg.RestoreFrom, ",")
	chain, err := bkstore.OpenChain(s.cfg.RestoreFrom)
	if err != nil {
		return fmt.Errorf("%w: restoring from %s: %w", errFatal, dir, err)
	}
	m := chain[len(chain)-1]
	switch {
	case info.FirstIndex > m.Index+1:
		return fmt.Errorf("%w: restoring from %s: the backup is as of log index %d, but the log starts at %d: "+
			"the entries %d to %d are gone; restore from a newer backup, or restore the log too (akutan log --restore-from)",
			errFatal, dir, m.Index, info.FirstIndex, m.Index+1, info.FirstIndex-1)
	case info.LastIndex < m.Index:
		// A log being restored from the same backup gets there once its
		// replicas agree to start after the index: retried.
		return fmt.Errorf("restoring from %s: the backup is as of log index %d, but the log ends at %d: waiting for "+
			"it to be restored from this backup (akutan log --restore-from); is it this database's log?",
			dir, m.Index, info.LastIndex)
	case m.LogVersion > s.maxLogVersion() && m.LogVersionIndex <= m.Index:
		return fmt.Errorf("%w: restoring from %s: the backup's log is in format version %d, but this server supports versions %d to %d: upgrade it",
			errFatal, dir, m.LogVersion, logentry.FirstVersion, s.maxLogVersion())
	}
	s.metrics.boots.WithLabelValues("restore").Inc()
	s.metrics.bootIndex.Set(float64(m.Index))
	s.log.Info().Str("backup", dir).Uint64("index", m.Index).Msg("restoring the store from a backup")
	start := time.Now()
	stats, _, err := backup.Restore(ctx, s.cfg.RestoreFrom, st, s.cfg.Space, s.cfg.Range)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, bkstore.ErrDamaged) || errors.Is(err, viewstore.ErrBadKey) {
			return fmt.Errorf("%w: %w", errFatal, err)
		}
		return fmt.Errorf("%w: %w", errLoadFailed, err)
	}
	s.announce(stats.Index)
	took := time.Since(start)
	s.log.Info().Uint64("index", stats.Index).Uint64("keys", stats.Keys).Int("files", stats.Files).
		Dur("took", took).Float64("keys_per_sec", float64(stats.Keys)/took.Seconds()).
		Msg("restored from the backup; catching up with the log")
	return nil
}
