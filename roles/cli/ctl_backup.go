package cli

import (
	"context"
	"fmt"
	"os"
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
			"stderr; restore with `akutan view --restore-from` or `akutan local --restore-from`.",
		Flags: []cli.Flag{
			str("api", DefaultAPIAddr, "API server's gRPC `HOST:PORT`"),
			&cli.StringFlag{Name: "to", Required: true, Usage: "new backup `DIR`ectory (must not exist or be empty)"},
			&cli.Uint64Flag{Name: "index", Usage: "back up as of this log `INDEX` (0: the log's last index)"},
			&cli.StringFlag{Name: "log", Usage: "log replicas' gRPC addresses, `HOST:PORT,...`, if the API server's members name none"},
			dur("timeout", 24*time.Hour, "give up after this long"),
		},
		Action: runBackup,
	}
}

func runBackup(c *cli.Context) error {
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	res, err := backup.Take(ctx, backup.Config{
		API: c.String("api"), Dir: c.String("to"), Index: c.Uint64("index"), LogAddrs: list(c.String("log")),
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
		ArgsUsage: "DIR",
		Description: "Reads the manifest (a backup without one is incomplete) and every data file, checking its size,\n" +
			"SHA-256, that it decompresses, its key count and its digest against the manifest and against the\n" +
			"digest its source view reported. Exits with status 1 naming every damaged file.",
		Action: runVerifyBackup,
	}
}

func runVerifyBackup(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("verify-backup needs one backup directory")
	}
	dir := c.Args().First()
	start := time.Now()
	m, err := bkstore.Verify(c.Context, dir, func(f bkstore.FileInfo, err error) {
		result := "OK"
		if err != nil {
			result = "DAMAGED: " + err.Error()
		}
		fmt.Fprintf(c.App.Writer, "%s\t%d keys\t%s\n", f.Name, f.Keys, result)
	})
	if err != nil {
		return fmt.Errorf("the backup in %s is not usable: %w", dir, err)
	}
	fmt.Fprintf(c.App.Writer, "backup %s is whole: %d files, %d keys, as of log index %d (log format version %d) (checked in %.1fs)\n",
		dir, len(m.Files), m.Keys(), m.Index, m.LogVersion, time.Since(start).Seconds())
	return nil
}
