package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/cluster/logreplay"
)

// ctlLogReplayCommand is `akutan ctl log replay`: point-in-time recovery
// of a separately deployed log (package cluster/logreplay).
func ctlLogReplayCommand() *cli.Command {
	return &cli.Command{
		Name:  "replay",
		Usage: "append a log archive's entries after a backup's index to a new log restored from that backup (point-in-time recovery)",
		Description: "For a log started with `akutan log --restore-from BK` (its first entry is the backup's index I + 1):\n" +
			"checks that the archive --log-archive holds entries I+1 to --to-index (default: its last) in whole\n" +
			"segment files, then appends them in order, checking that each gets its archived index (a version\n" +
			"change goes through the log's version-change path). Run it before any API server is started:\n" +
			"anything else appended meanwhile takes an archived entry's index and stops the replay. A replay\n" +
			"that was interrupted is run again: it compares what the log holds with the archive and resumes.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "log", Required: true, Usage: "log replicas' gRPC addresses, `HOST:PORT,...`"},
			&cli.StringFlag{Name: "restore-from", Required: true, Usage: "the backup `DIR[,INCR,...]` the log was restored from"},
			&cli.StringFlag{Name: "log-archive", Required: true, Usage: "the log archive `DIR` (akutan ctl log archive)"},
			&cli.Uint64Flag{Name: "to-index", Usage: "stop at log `INDEX` (default: the archive's last)"},
			&cli.DurationFlag{Name: "timeout", Usage: "give up after this `DURATION` (default: no limit)"},
		},
		Action: func(c *cli.Context) error {
			p, err := logreplay.CheckBackup(list(c.String("restore-from")), c.String("log-archive"), c.Uint64("to-index"))
			if err != nil {
				return err
			}
			addrs := list(c.String("log"))
			if len(addrs) == 0 {
				return errors.New("--log needs at least one HOST:PORT")
			}
			lc, err := logclient.New(addrs)
			if err != nil {
				return err
			}
			defer lc.Close()
			ctx, cancel := withOptionalTimeout(c.Context, c.Duration("timeout"))
			defer cancel()
			return replayArchive(ctx, lc, p, c.App.Writer)
		},
	}
}

// replayArchive runs the replay, reporting progress every 2 s on w.
func replayArchive(ctx context.Context, lc *logclient.Client, p logreplay.Plan, w io.Writer) error {
	began, shown := time.Now(), time.Now()
	res, err := logreplay.Replay(ctx, lc, p, func(index uint64) {
		if time.Since(shown) >= 2*time.Second {
			shown = time.Now()
			fmt.Fprintf(w, "replayed up to entry %d of %d\n", index, p.To)
		}
	})
	if err != nil {
		return logError("replay", err)
	}
	fmt.Fprintf(w, "replayed the log archive %s: entries %d to %d (%d appended, %d already there, %d format changes) in %v; "+
		"the log is as of index %d\n", p.Dir, p.From, p.To, res.Appended, res.Resumed, res.VersionChanges,
		time.Since(began).Round(time.Millisecond), p.To)
	return nil
}
