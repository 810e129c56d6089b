package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/storage/logarchive"
	"github.com/akutan-dev/akutan/wire"
)

// defaultSegmentEntries is how many entries a log segment holds at most.
const defaultSegmentEntries = 4096

// ctlLogArchiveCommand is `akutan ctl log archive`: copy the log's entries
// into an archive directory (package storage/logarchive) before they are
// truncated.
func ctlLogArchiveCommand() *cli.Command {
	return &cli.Command{
		Name:  "archive",
		Usage: "copy the log's entries into an archive directory of checksummed segment files",
		Description: "Reads the log from the entry after the archive's last (or, for a new archive, from the\n" +
			"log's first retained index) through --through (default: the log's last index at the start)\n" +
			"and writes them to --to as segment files log-<first>-<last>.seg of up to --segment-entries\n" +
			"entries each (format: storage/logarchive). Each segment is synced and renamed into place\n" +
			"whole, so an interrupted run is simply run again. Refused when the log was already truncated\n" +
			"past the archive's end. `ctl log truncate --require-archive DIR` then refuses to discard\n" +
			"entries the archive does not hold.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "log", Required: true, Usage: "log replicas' gRPC addresses, `HOST:PORT,...`"},
			&cli.StringFlag{Name: "to", Required: true, Usage: "the archive `DIR`"},
			&cli.Uint64Flag{Name: "through", Usage: "archive up to this log `INDEX` (default: the log's last index)"},
			&cli.Uint64Flag{Name: "segment-entries", Value: defaultSegmentEntries, Usage: "at most `N` entries per segment file"},
			&cli.DurationFlag{Name: "timeout", Usage: "give up after this `DURATION` (default: no limit)"},
		}, peerTLSFlags()...),
		Action: runLogArchive,
	}
}

// errArchived ends the log's Read once the archive reached its end.
var errArchived = errors.New("archived")

func runLogArchive(c *cli.Context) error {
	lc, err := dialLog(c)
	if err != nil {
		return err
	}
	defer lc.Close()
	ctx, cancel := withOptionalTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	return archiveLog(ctx, lc, c.String("to"), c.Uint64("through"), c.Uint64("segment-entries"), c.App.Writer)
}

// archiveLog copies the log's entries after the archive's last (or from
// the log's first) through index through (0: the log's last index) into
// the archive dir, in segments of at most per entries, and reports on w.
func archiveLog(ctx context.Context, lc *logclient.Client, dir string, through, per uint64, w io.Writer) error {
	if per == 0 {
		return errors.New("--segment-entries must be at least 1")
	}
	if err := logarchive.RemoveTemporary(dir); err != nil {
		return err
	}
	archived, err := logarchive.Last(dir)
	if err != nil {
		return err
	}
	info, err := lc.Info(ctx, true)
	if err != nil {
		return logError("archive", err)
	}
	first := max(info.FirstIndex, 1)
	start := first
	if archived > 0 {
		start = archived + 1
		if start < first {
			return fmt.Errorf("the archive %s ends at entry %d but the log now starts at %d: entries %d to %d are in neither; start a new archive directory",
				dir, archived, first, start, first-1)
		}
		if err := sameHistory(ctx, lc, dir, archived, first, info.LastIndex); err != nil {
			return err
		}
	}
	end := info.LastIndex
	if through != 0 {
		if through > end {
			return fmt.Errorf("archiving through %d: that is beyond the log's last index %d", through, end)
		}
		end = through
	}
	if start > end {
		fmt.Fprintf(w, "the archive %s already holds every entry through %d\n", dir, end)
		return nil
	}
	began := time.Now()
	var seg *logarchive.Writer
	var segs, bytes int
	defer func() {
		if seg != nil {
			seg.Abort()
		}
	}()
	err = lc.Read(ctx, start, func(index uint64, data []byte) error {
		if seg == nil {
			var err error
			if seg, err = logarchive.Create(dir, index); err != nil {
				return err
			}
		}
		if err := seg.Add(index, data); err != nil {
			return err
		}
		bytes += len(data)
		if seg.Count() == per || index == end {
			if _, err := seg.Close(); err != nil {
				seg = nil
				return err
			}
			seg = nil
			segs++
		}
		if index == end {
			return errArchived
		}
		return nil
	})
	if !errors.Is(err, errArchived) {
		return fmt.Errorf("archiving the log from %d to %d into %s: %w", start, end, dir, err)
	}
	fmt.Fprintf(w, "archived entries %d to %d (%d bytes) in %d segments to %s in %v\n",
		start, end, bytes, segs, dir, time.Since(began).Round(time.Millisecond))
	return nil
}

// checkArchived refuses a truncation that would discard entries the
// archive at dir does not hold whole, after archiving them when archive
// is not nil (it is given the last index to discard): mode and before are the request,
// and the reply says where truncation would cut. It returns the request
// to send: --auto becomes --before the index it would keep, so that a
// floor moving meanwhile cannot make it discard more than was checked.
func checkArchived(ctx context.Context, lc *logclient.Client, dir string, mode wire.TruncateMode, before uint64, archive func(through uint64) error) (wire.TruncateMode, uint64, error) {
	floors, err := lc.Floors(ctx)
	if err != nil {
		return 0, 0, logError("truncate", err)
	}
	if mode == wire.TruncateMode_TRUNCATE_AUTO {
		if len(floors.Floors) == 0 {
			return mode, before, nil // refused by the log: no floor
		}
		lowest := floors.Floors[0].Index
		for _, f := range floors.Floors {
			lowest = min(lowest, f.Index)
		}
		mode, before = wire.TruncateMode_TRUNCATE_BEFORE, lowest+1
	}
	first := max(floors.FirstIndex, 1)
	if before <= first {
		return mode, before, nil // discards nothing
	}
	if archive != nil {
		if err := archive(min(before-1, floors.LastIndex)); err != nil {
			return 0, 0, err
		}
	}
	if err := logarchive.Covers(dir, first, before-1); err != nil {
		return 0, 0, fmt.Errorf("refusing to truncate entries %d to %d: %w", first, before-1, err)
	}
	return mode, before, nil
}

// errFound ends a read once the entry sought was read.
var errFound = errors.New("found")

// sameHistory refuses to continue the archive in dir, whose last entry is
// archived, from a log that does not hold that same entry: a database
// restored to an earlier index (point-in-time recovery) continues with
// other entries than the archive's after it, and must be archived into a
// new directory. An entry the log no longer holds (below first) is not
// compared.
func sameHistory(ctx context.Context, lc *logclient.Client, dir string, archived, first, last uint64) error {
	another := "it is the archive of another history of the log (a database restored to an earlier index?): archive this log into a new directory"
	if archived > last {
		return fmt.Errorf("the archive %s ends at entry %d, beyond the log's last index %d: %s", dir, archived, last, another)
	}
	if archived < first {
		return nil
	}
	segs, err := logarchive.List(dir)
	if err != nil {
		return err
	}
	var want []byte
	if err := logarchive.ReadSegment(segs[len(segs)-1], func(index uint64, data []byte) error {
		if index == archived {
			want = append([]byte(nil), data...)
		}
		return nil
	}); err != nil {
		return err
	}
	var got []byte
	err = lc.Read(ctx, archived, func(index uint64, data []byte) error {
		got = append([]byte(nil), data...)
		return errFound
	})
	if !errors.Is(err, errFound) {
		return fmt.Errorf("reading the log's entry %d to check it against the archive %s: %w", archived, dir, err)
	}
	if string(got) != string(want) {
		return fmt.Errorf("the log's entry %d differs from the archive %s's last entry: %s", archived, dir, another)
	}
	return nil
}
