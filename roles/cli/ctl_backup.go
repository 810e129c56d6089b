package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/akutan-dev/akutan/cluster/backup"
	bkstore "github.com/akutan-dev/akutan/storage/backup"
)

// ctlBackupCommand is `akutan ctl backup`: a consistent backup of the
// whole database as of one log index (see package cluster/backup; the
// format is storage/backup's).
func ctlBackupCommand() *cli.Command {
	return &cli.Command{
		Name:  "backup",
		Usage: "back up the whole database, as of one log index, into a new directory",
		Description: "Finds the views and log replicas through the API server at --api, and streams every hash range\n" +
			"of both spaces from a serving replica as of one log index (--index; by default the log's last index\n" +
			"when the backup starts) into compressed files in --to, with a manifest written last. Writes may go\n" +
			"on meanwhile. A range whose source goes away is retried on another replica. Progress goes to\n" +
			"stderr; restore with `akutan view --restore-from` or `akutan local --restore-from`. With --since\n" +
			"BASE, only the keys of the entries after BASE's index are backed up: restore with\n" +
			"--restore-from FULL,INCR1,INCR2,...",
		Flags: append([]cli.Flag{
			str("api", DefaultAPIAddr, "API server's gRPC `HOST:PORT`"),
			&cli.StringFlag{Name: "to", Required: true, Usage: "the new backup's `DIR` (must not exist, or be empty)"},
			&cli.Uint64Flag{Name: "index", Usage: "back up as of this log `INDEX` (0: the log's last index)"},
			&cli.StringFlag{Name: "since", Usage: "an incremental backup: only the entries after the index of the backup in `DIR` (full or incremental)"},
			&cli.StringFlag{Name: "log", Usage: "log replicas' gRPC addresses, `HOST:PORT,...`, if the API server's members name none"},
			dur("timeout", 24*time.Hour, "give up after this `DURATION`"),
		}, clientSecurityFlags()...),
		Action: runBackup,
	}
}

func runBackup(c *cli.Context) error {
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	api, err := apiDialOptions(c)
	if err != nil {
		return err
	}
	peer, err := peerDialOptions(c)
	if err != nil {
		return err
	}
	res, err := backup.Take(ctx, backup.Config{
		APIDialOptions: api, PeerDialOptions: peer,
		API: c.String("api"), Dir: c.String("to"), Index: c.Uint64("index"), LogAddrs: list(c.String("log")),
		Since:  c.String("since"),
		Report: func(msg string) { fmt.Fprintln(os.Stderr, "backup: "+msg) },
	})
	if err != nil {
		return hintAPI(c.String("api"), err)
	}
	secs := res.Took.Seconds()
	fmt.Fprintf(c.App.Writer, "backed up %d keys (%.1f MB, %.1f MB compressed) in %d files as of log index %d into %s in %.1fs (%.0f keys/s, %.1f MB/s)\n",
		res.Keys, float64(res.RawBytes)/1e6, float64(res.Bytes)/1e6, len(res.Manifest.Files), res.Manifest.Index, c.String("to"),
		secs, float64(res.Keys)/secs, float64(res.RawBytes)/1e6/secs)
	return nil
}

// ctlVerifyBackupCommand is `akutan ctl verify-backup DIR`.
func ctlVerifyBackupCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify-backup",
		Usage:     "check a backup: its manifest, and every file's size, checksum, key count and digest",
		ArgsUsage: "DIR [INCR...]",
		Description: "Reads the manifest (a backup without one is incomplete) and every data file, checking its size,\n" +
			"SHA-256, that it decompresses, its key count and its digest against the manifest and against the\n" +
			"digest its source view reported. Exits with status 1 naming every damaged file. Given a full backup\n" +
			"and incremental ones, also checks that each adds to the one before.",
		Action: runVerifyBackup,
	}
}

func runVerifyBackup(c *cli.Context) error {
	if c.NArg() < 1 {
		return fmt.Errorf("verify-backup needs a backup directory")
	}
	dirs := c.Args().Slice()
	start := time.Now()
	progress := func(dir string, f bkstore.FileInfo, err error) {
		result := "OK"
		if err != nil {
			result = "DAMAGED: " + err.Error()
		}
		fmt.Fprintf(c.App.Writer, "%s\t%d keys\t%s\n", filepath.Join(dir, f.Name), f.Keys, result)
	}
	var ms []*bkstore.Manifest
	var err error
	if len(dirs) == 1 {
		var m *bkstore.Manifest
		m, err = bkstore.Verify(c.Context, dirs[0], func(f bkstore.FileInfo, err error) { progress(dirs[0], f, err) })
		ms = append(ms, m)
	} else {
		ms, err = bkstore.VerifyChain(c.Context, dirs, progress)
	}
	if err != nil {
		return fmt.Errorf("the backup in %s is not usable: %w", strings.Join(dirs, ","), err)
	}
	for i, m := range ms {
		kind := "full"
		if m.Base != nil {
			kind = fmt.Sprintf("incremental after index %d", m.Base.Index)
		}
		fmt.Fprintf(c.App.Writer, "backup %s is whole (%s): %d files, %d keys, as of log index %d (log format version %d)\n",
			dirs[i], kind, len(m.Files), m.Keys(), m.Index, m.LogVersion)
	}
	fmt.Fprintf(c.App.Writer, "checked in %.1fs\n", time.Since(start).Seconds())
	return nil
}
