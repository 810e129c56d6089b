package logreplay

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/akutan-dev/akutan/storage/backup"
	"github.com/akutan-dev/akutan/storage/logarchive"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// Batch bounds: well under the log's limits for one append (16 MiB) and
// one Raft proposal (4 MiB).
const (
	maxBatchEntries = 1024
	maxBatchBytes   = 1 << 20
)

// Log is what Replay needs of the new log; *logclient.Client has it.
type Log interface {
	Info(ctx context.Context, linearizable bool) (*wire.InfoReply, error)
	Append(ctx context.Context, entries [][]byte) (first, last uint64, err error)
	ChangeVersion(ctx context.Context, version uint32) (*wire.ChangeVersionReply, error)
	Read(ctx context.Context, start uint64, fn func(index uint64, data []byte) error) error
}

// Plan is what a replay would do: append the archived entries From..To.
// When To < From there is nothing to append.
type Plan struct {
	Dir      string
	From, To uint64
}

// Check checks that the archive in dir holds every entry after index
// after (the backup's index) through to (0: the archive's last), in
// segment files that read back whole, and returns the plan. It reads
// every segment involved.
func Check(dir string, after, to uint64) (Plan, error) {
	last, err := logarchive.Last(dir)
	if err != nil {
		return Plan{}, err
	}
	if to == 0 {
		if last < after {
			return Plan{}, fmt.Errorf("the log archive %s ends at entry %d, before the backup's index %d: it has nothing to replay", dir, last, after)
		}
		to = last
	}
	if to < after {
		return Plan{}, fmt.Errorf("replaying the log archive to index %d: that is before the backup's index %d (restore from an older backup)", to, after)
	}
	if err := logarchive.Covers(dir, after+1, to); err != nil {
		return Plan{}, fmt.Errorf("replaying entries %d to %d: %w", after+1, to, err)
	}
	return Plan{Dir: dir, From: after + 1, To: to}, nil
}

// CheckBackup is Check after the index of the backup in dirs (a full
// backup, then any incremental ones on top of it: the last one's index).
func CheckBackup(dirs []string, archive string, to uint64) (Plan, error) {
	chain, err := backup.OpenChain(dirs)
	if err != nil {
		return Plan{}, fmt.Errorf("opening the backup: %w", err)
	}
	return Check(archive, chain[len(chain)-1].Index, to)
}

// Result is what Replay did.
type Result struct {
	// Appended counts the entries appended, Resumed those the log held
	// already (an interrupted replay), VersionChanges the version change
	// entries among the appended.
	Appended, Resumed, VersionChanges uint64
}

// errStop ends a read early.
var errStop = errors.New("stop")

// Replay appends the entries of p to log, so that each gets its archived
// index (see the package documentation); the log's last index must be
// p.From-1, or within p.From..p.To with the entries it holds equal to the
// archive's. progress, if not nil, is called after each append with the
// last index appended.
func Replay(ctx context.Context, log Log, p Plan, progress func(index uint64)) (Result, error) {
	var res Result
	if p.To < p.From {
		return res, nil
	}
	info, err := log.Info(ctx, true)
	if err != nil {
		return res, fmt.Errorf("replaying the log archive: %w", err)
	}
	last := info.LastIndex
	switch {
	case last == 0:
		return res, fmt.Errorf("replaying the log archive from entry %d: the log is empty: it has not been started after the backup's index %d yet "+
			"(a log restored with --restore-from does so once a quorum of its replicas is up)", p.From, p.From-1)
	case last < p.From-1 || (last >= p.From && info.FirstIndex > p.From):
		return res, fmt.Errorf("replaying the log archive from entry %d: the log holds entries %d to %d, so it does not continue the backup",
			p.From, info.FirstIndex, last)
	case last > p.To:
		return res, fmt.Errorf("replaying the log archive through entry %d: the log already holds entries up to %d", p.To, last)
	case last >= p.From:
		if err := compare(ctx, log, p, last); err != nil {
			return res, err
		}
		res.Resumed = last - p.From + 1
	}
	a := &appender{ctx: ctx, log: log, next: last + 1, progress: progress, res: &res}
	segs, err := logarchive.List(p.Dir)
	if err != nil {
		return res, err
	}
	for _, seg := range segs {
		if seg.Last < a.next || seg.First > p.To {
			continue
		}
		err := logarchive.ReadSegment(seg, func(index uint64, data []byte) error {
			if index < a.next {
				return nil
			}
			if index > p.To {
				return errStop
			}
			return a.add(seg, index, data)
		})
		if err != nil && !errors.Is(err, errStop) {
			return res, err
		}
		if err := a.flush(); err != nil {
			return res, err
		}
	}
	if a.next != p.To+1 {
		return res, fmt.Errorf("replaying the log archive %s: it ended after entry %d, short of %d", p.Dir, a.next-1, p.To)
	}
	return res, nil
}

// compare checks that the log's entries p.From..last equal the archive's.
func compare(ctx context.Context, log Log, p Plan, last uint64) error {
	want := map[uint64][]byte{}
	segs, err := logarchive.List(p.Dir)
	if err != nil {
		return err
	}
	for _, seg := range segs {
		if seg.Last < p.From || seg.First > last {
			continue
		}
		err := logarchive.ReadSegment(seg, func(index uint64, data []byte) error {
			if index >= p.From && index <= last {
				want[index] = append([]byte(nil), data...)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	err = log.Read(ctx, p.From, func(index uint64, data []byte) error {
		if string(want[index]) != string(data) {
			return fmt.Errorf("resuming the replay of the log archive %s: the log's entry %d differs from the archive's: "+
				"something else was appended to the log; restore into a new directory", p.Dir, index)
		}
		if index == last {
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return fmt.Errorf("resuming the replay of the log archive %s: reading the log: %w", p.Dir, err)
	}
	return nil
}

// appender appends batches of archived entries, checking their indexes.
type appender struct {
	ctx      context.Context
	log      Log
	next     uint64 // the index the next entry must get
	batch    [][]byte
	bytes    int
	seg      logarchive.Segment // of the batch's last entry, to name it
	progress func(uint64)
	res      *Result
}

func (a *appender) add(seg logarchive.Segment, index uint64, data []byte) error {
	if index != a.next+uint64(len(a.batch)) {
		return fmt.Errorf("log segment %s: entry %d where %d was expected", seg.Path, index, a.next+uint64(len(a.batch)))
	}
	if v, ok := logentry.VersionChangeOf(data); ok {
		if err := a.flush(); err != nil {
			return err
		}
		return a.changeVersion(seg, index, v)
	}
	if len(a.batch) > 0 && (len(a.batch) >= maxBatchEntries || a.bytes+len(data) > maxBatchBytes) {
		if err := a.flush(); err != nil {
			return err
		}
	}
	a.batch = append(a.batch, append([]byte(nil), data...)) // ReadSegment reuses data
	a.bytes += len(data)
	a.seg = seg
	return nil
}

func (a *appender) flush() error {
	if len(a.batch) == 0 {
		return nil
	}
	from, to := a.next, a.next+uint64(len(a.batch))-1
	first, last, err := a.log.Append(a.ctx, a.batch)
	if err != nil {
		return fmt.Errorf("appending archived entries %d to %d (of %s): %w", from, to, filepath.Base(a.seg.Path), err)
	}
	if first != from || last != to {
		return fmt.Errorf("appending archived entries %d to %d: the log gave them indexes %d to %d: "+
			"something else appended to the log meanwhile (replay before starting API servers)", from, to, first, last)
	}
	a.res.Appended += uint64(len(a.batch))
	a.next = to + 1
	a.batch, a.bytes = a.batch[:0], 0
	if a.progress != nil {
		a.progress(to)
	}
	return nil
}

// changeVersion replays the archived version change at index to version v
// through the log's admin path.
func (a *appender) changeVersion(seg logarchive.Segment, index uint64, v uint32) error {
	reply, err := a.log.ChangeVersion(a.ctx, v)
	if err != nil {
		return fmt.Errorf("replaying the log format version change to %d at index %d (of %s): %w", v, index, filepath.Base(seg.Path), err)
	}
	if reply.GetVersion() != v || reply.GetIndex() != index {
		return fmt.Errorf("replaying the log format version change to %d at index %d: the log is in version %d since index %d",
			v, index, reply.GetVersion(), reply.GetIndex())
	}
	a.res.Appended++
	a.res.VersionChanges++
	a.next = index + 1
	if a.progress != nil {
		a.progress(index)
	}
	return nil
}
