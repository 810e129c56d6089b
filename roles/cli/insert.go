package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/akutan-dev/akutan/cluster/loader"
	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/wire"
)

func insertCommand() *cli.Command {
	flags := append(clientFlags(),
		str("format", "", "input `FORMAT`: tsv, ntriples or turtle (default: from the file's extension .tsv, .nt or .ttl, each optionally .gz; else tsv); "+
			"from a --config file, only for inputs whose extension names no format"),
		num("skip", 0, "skip the first `N` facts (RDF only): resume a load that stopped after N facts"),
		str("load-id", "", "blank node scope `ID` of an RDF load (default: random); pass the ID a stopped load printed to resume it"),
		num("batch", loader.DefaultBatchFacts, "facts per request for RDF loads (`N`)"),
		num("parallel", loader.DefaultParallel, "requests in flight at once for RDF loads (`N`)"),
		str("base", "", "base `IRI` for relative IRIs in Turtle (default: the file's file:// URL)"),
	)
	return withConfig(&cli.Command{
		Name:  "insert",
		Usage: "insert facts from a file (or - for standard input)",
		Description: "TSV is sent as one atomic request. N-Triples and Turtle are streamed in batches of\n" +
			"--batch facts, each atomic, --parallel at a time; --timeout applies to each request.\n" +
			fmt.Sprintf("A syntax error stops the load and commits nothing of the batch it falls in. Nothing\n"+
				"is sent before the first %d MiB of input (as N-Triples) have parsed, so a syntax error\n"+
				"in an input that small commits nothing at all; a larger input has the batches before\n"+
				"the error's committed.\n", loader.DefaultPreScanBytes>>20) +
			"Blank nodes of one load name the same entity in every batch: label L becomes the\n" +
			"entity _:load-<ID>-L. If a load stops, it prints how many facts are in; rerun with\n" +
			"--skip N --load-id ID to resume (facts already present are not duplicated).",
		ArgsUsage: "FILE|-",
		Flags:     flags,
		Action:    runInsert,
	})
}

func runInsert(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("insert takes one FILE (or - for standard input)")
	}
	name := c.Args().First()
	format := inputFormat(c, name)
	switch format {
	case "tsv":
		if c.Uint64("skip") != 0 {
			return fmt.Errorf("--skip applies to ntriples and turtle only: a tsv file is inserted atomically")
		}
		return insertTSV(c, name)
	case "ntriples", "turtle":
		return loadRDF(c, name, format)
	}
	return fmt.Errorf("--format %q: want tsv, ntriples or turtle", format)
}

// inputFormat is --format, or else the format the file's extension names
// (tsv when it names none). A format from the --config file is only a
// default, for inputs whose name says nothing (standard input, x.txt):
// when the extension names another format, the extension wins, with a
// warning, because a file named x.nt parsed as TSV would be refused or,
// worse, load as garbage. --format typed on the command line still wins
// over the extension: the operator said so for this very input.
func inputFormat(c *cli.Context, name string) string {
	ext, known := extFormat(name)
	format := c.String("format")
	if format == "" {
		return ext
	}
	if path, ok := fromConfigFile(c, "format"); ok && known && format != ext {
		fmt.Fprintf(os.Stderr, "akutan: warning: %s is %s by its extension: ignoring format = %q from config %s\n",
			name, ext, format, path)
		return ext
	}
	return format
}

// extFormat is the format the file name's extension names (looking
// through .gz), and whether it names one; tsv if not.
func extFormat(name string) (format string, known bool) {
	switch filepath.Ext(strings.TrimSuffix(strings.ToLower(name), ".gz")) {
	case ".nt":
		return "ntriples", true
	case ".ttl":
		return "turtle", true
	case ".tsv":
		return "tsv", true
	}
	return "tsv", false
}

// openInput opens the named file, or standard input for "-", as a load's
// input (gzip is read transparently). size is the file's size, or -1 when
// unknown.
func openInput(name string) (in *loader.Input, size int64, closeFn func(), err error) {
	f, size := os.Stdin, int64(-1)
	closeFn = func() {}
	if name != "-" {
		if f, err = os.Open(name); err != nil {
			return nil, 0, nil, fmt.Errorf("opening %s: %w", name, err)
		}
		closeFn = func() { f.Close() }
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
	}
	if in, err = loader.NewInput(f); err != nil {
		closeFn()
		return nil, 0, nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return in, size, closeFn, nil
}

// insertTSV sends a whole TSV file as one atomic request.
func insertTSV(c *cli.Context, name string) error {
	r, _, closeIn, err := openInput(name)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(r)
	closeIn()
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	return withAPI(c, func(ctx context.Context, api wire.APIClient) error {
		res, err := api.Insert(ctx, &wire.InsertRequest{Format: "tsv", Data: string(data)})
		if err != nil {
			return wire.APIError("insert failed", err)
		}
		fmt.Printf("inserted %d facts (%d already present) at log index %d\n", res.FactsInserted, res.FactsExisting, res.Index)
		return nil
	})
}

// loadRDF streams an N-Triples or Turtle file to the API in batches.
func loadRDF(c *cli.Context, name, format string) error {
	cfg, err := loadConfig(c, name, format)
	if err != nil {
		return err
	}
	in, size, closeIn, err := openInput(name)
	if err != nil {
		return err
	}
	defer closeIn()
	api, closeAPI, err := dialAPI(c)
	if err != nil {
		return err
	}
	defer closeAPI()
	bar := newProgress(in, size)
	if bar != nil {
		cfg.Progress = bar.update
	}
	l, err := loader.New(cfg, api)
	if err != nil {
		return err
	}
	sum, err := l.Run(c.Context, in)
	bar.finish()
	return reportLoad(sum, err)
}

// loadConfig turns the insert command's flags into a load's Config.
func loadConfig(c *cli.Context, name, format string) (loader.Config, error) {
	cfg := loader.DefaultConfig(name, format)
	cfg.LoadID, cfg.Skip, cfg.Base, cfg.Timeout = c.String("load-id"), c.Uint64("skip"), c.String("base"), c.Duration("timeout")
	if cfg.LoadID == "" && cfg.Skip > 0 {
		fmt.Fprintf(os.Stderr, "warning: --skip without --load-id: blank nodes get new entities, unlike those of the run being resumed\n")
	} else if cfg.LoadID != "" && !rdf.ValidLoadID(cfg.LoadID) {
		return cfg, fmt.Errorf("--load-id %q: want 1 to 64 letters, digits, '-' or '_'", cfg.LoadID)
	}
	batchFacts, parallel := c.Uint64("batch"), c.Uint64("parallel")
	if batchFacts == 0 || batchFacts > loader.MaxBatchFacts || parallel == 0 || parallel > loader.MaxParallel {
		return cfg, fmt.Errorf("--batch must be in 1..%d and --parallel in 1..%d", loader.MaxBatchFacts, loader.MaxParallel)
	}
	cfg.BatchFacts, cfg.Parallel = int(batchFacts), int(parallel)
	if format == "turtle" && cfg.Base == "" && name != "-" {
		if abs, err := filepath.Abs(name); err == nil {
			cfg.Base = "file://" + filepath.ToSlash(abs)
		}
	}
	return cfg, nil
}

// reportLoad prints a finished load's summary, or explains why it stopped
// and how to resume it.
func reportLoad(sum loader.Summary, err error) error {
	var stopped *loader.StoppedError
	if errors.As(err, &stopped) {
		return fmt.Errorf("%w\nloaded %d facts before stopping (%d in this run); to resume: --skip %d --load-id %s",
			stopped.Err, stopped.Loaded, stopped.Loaded-stopped.Skipped, stopped.Loaded, stopped.LoadID)
	}
	if err != nil {
		return err
	}
	rate := float64(sum.Facts) / max(sum.Elapsed.Seconds(), 1e-9)
	fmt.Printf("loaded %d facts (%d new, %d already present) in %s: %.0f facts/s; last log index %d\n",
		sum.Facts, sum.Inserted, sum.Existing, sum.Elapsed.Round(time.Millisecond), rate, sum.LastIndex)
	return nil
}

// progress draws a progress bar on a terminal: bytes of input read (so it
// can show a percentage and an estimated time left), with facts loaded and
// facts/s as its description. newProgress returns nil when stderr is not a
// terminal, and a nil progress does nothing.
type progress struct {
	bar   *progressbar.ProgressBar
	start time.Time
}

func newProgress(in *loader.Input, size int64) *progress {
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return nil
	}
	bar := progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetSpinnerChangeInterval(0), // no goroutine of its own
		progressbar.OptionFullWidth(),
		progressbar.OptionClearOnFinish(),
	)
	return &progress{bar: bar, start: time.Now()}
}

// update shows facts loaded and the input bytes behind them (not the
// bytes read, which run ahead of the requests in flight).
func (p *progress) update(at loader.Progress) {
	rate := float64(at.Facts) / max(time.Since(p.start).Seconds(), 1e-9)
	p.bar.Describe(fmt.Sprintf("%d facts, %.0f facts/s", at.Facts, rate))
	_ = p.bar.Set64(at.BytesRead)
}

func (p *progress) finish() {
	if p != nil {
		_ = p.bar.Finish()
	}
}
