package cli

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/update"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// Bulk-load defaults. A batch must fit one log entry (update.MaxEntryBytes,
// 4 MiB, which also counts the names of new entities) and one request
// (wire.MaxRequestBytes), so a batch ends before the fact that would take
// it past 2 MiB of N-Triples text (a fact with a literal near
// storage.MaxLiteralBytes still fits an entry alone); a batch the server
// still finds too large is split in two and retried.
//
// Two requests in flight let the client parse and send the next batch
// while the server applies one. More do not help: consecutive batches
// share names, so extra requests mostly wait on each other's claims, and
// those that land late need a re-read and a Decide entry, which holds
// views' lookups until it is decided (LUBM-10 on a busy 2-core machine:
// 2 in flight 55-76k facts/s and almost no Decides, 4 in flight 40-65k
// facts/s and ~90 Decides; see docs/benchmarks.md).
const (
	defaultBatchFacts = 10000
	maxBatchBytes     = 2 << 20
	defaultParallel   = 2
	unavailableTries  = 3
	// preScanBytes is how much input (as N-Triples) a load parses before
	// sending anything, so that a syntax error in an input that small
	// commits none of it. Past it the load streams, holding only the batch
	// being filled.
	preScanBytes = 4 * maxBatchBytes
)

func insertCommand() *cli.Command {
	flags := append(clientFlags(),
		str("format", "", "input `FORMAT`: tsv, ntriples or turtle (default: from the file's extension .tsv, .nt or .ttl, each optionally .gz; else tsv)"),
		num("skip", 0, "skip the first `N` facts (RDF only): resume a load that stopped after N facts"),
		str("load-id", "", "blank node scope `ID` of an RDF load (default: random); pass the ID a stopped load printed to resume it"),
		num("batch", defaultBatchFacts, "facts per request for RDF loads (`N`)"),
		num("parallel", defaultParallel, "requests in flight at once for RDF loads (`N`)"),
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
				"the error's committed.\n", preScanBytes>>20) +
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
	format := c.String("format")
	if format == "" {
		format = guessFormat(name)
	}
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

// guessFormat picks a format from the file name, looking through .gz.
func guessFormat(name string) string {
	switch filepath.Ext(strings.TrimSuffix(strings.ToLower(name), ".gz")) {
	case ".nt":
		return "ntriples"
	case ".ttl":
		return "turtle"
	}
	return "tsv"
}

// openInput opens the named file, or standard input for "-", counting the
// bytes read and decompressing gzip (found by its magic number). size is
// the file's size, or -1 when unknown.
func openInput(name string) (r io.Reader, counted *countingReader, size int64, closeFn func(), err error) {
	f, size := os.Stdin, int64(-1)
	closeFn = func() {}
	if name != "-" {
		if f, err = os.Open(name); err != nil {
			return nil, nil, 0, nil, fmt.Errorf("opening %s: %w", name, err)
		}
		closeFn = func() { f.Close() }
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
	}
	counted = &countingReader{r: f}
	br := bufio.NewReaderSize(counted, 1<<16)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			closeFn()
			return nil, nil, 0, nil, fmt.Errorf("reading %s: %w", name, err)
		}
		return gz, counted, size, closeFn, nil
	}
	return br, counted, size, closeFn, nil
}

// countingReader counts the bytes read through it, for progress.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// insertTSV sends a whole TSV file as one atomic request.
func insertTSV(c *cli.Context, name string) error {
	r, _, _, closeIn, err := openInput(name)
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
	l, err := newLoader(c, name, format)
	if err != nil {
		return err
	}
	in, counted, size, closeIn, err := openInput(name)
	if err != nil {
		return err
	}
	defer closeIn()
	api, closeAPI, err := dialAPI(c)
	if err != nil {
		return err
	}
	defer closeAPI()
	l.api = api
	l.progress = newProgress(counted, size)
	return l.run(c.Context, l.reader(in))
}

// loader is one bulk load.
type loader struct {
	api        wire.APIClient
	name       string // the input, for messages
	input      string // its format: ntriples or turtle
	format     rdf.Format
	base       string
	timeout    time.Duration
	batchFacts int
	parallel   int
	skip       uint64
	// preScan is how many bytes of batches produce holds back before
	// sending the first (preScanBytes; tests make it small).
	preScan  int
	progress *progress
	tally    tally
}

func newLoader(c *cli.Context, name, format string) (*loader, error) {
	id := c.String("load-id")
	if id == "" {
		id = randomLoadID()
		if c.Uint64("skip") > 0 {
			fmt.Fprintf(os.Stderr, "warning: --skip without --load-id: blank nodes get new entities, unlike those of the run being resumed\n")
		}
	} else if !rdf.ValidLoadID(id) {
		return nil, fmt.Errorf("--load-id %q: want 1 to 64 letters, digits, '-' or '_'", id)
	}
	batchFacts, parallel := c.Uint64("batch"), c.Uint64("parallel")
	if batchFacts == 0 || batchFacts > 1<<20 || parallel == 0 || parallel > 64 {
		return nil, fmt.Errorf("--batch must be in 1..1048576 and --parallel in 1..64")
	}
	l := &loader{
		name: name, input: format, format: rdf.Format{Name: "ntriples", LoadID: id}, timeout: c.Duration("timeout"),
		batchFacts: int(batchFacts), parallel: int(parallel), skip: c.Uint64("skip"),
		base: c.String("base"), preScan: preScanBytes,
	}
	if format == "turtle" && l.base == "" && name != "-" {
		if abs, err := filepath.Abs(name); err == nil {
			l.base = "file://" + filepath.ToSlash(abs)
		}
	}
	l.tally.loaded = l.skip
	l.tally.done = map[int]*batch{}
	return l, nil
}

// randomLoadID names a load; 48 random bits make two loads' blank nodes
// practically never meet.
func randomLoadID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

func (l *loader) reader(in io.Reader) rdf.Reader {
	if l.input == "turtle" {
		return rdf.NewTurtleReader(in, l.base)
	}
	return rdf.NewNTriplesReader(in)
}

// batch is a run of facts sent as one request, re-serialized as N-Triples
// (so Turtle needs no support on the server and its positions stay here).
type batch struct {
	seq        int
	facts      int
	data       []byte
	start, end rdf.Position // of the batch's first and last facts
	read       int64        // input bytes read when the batch was cut
}

// run reads, batches and sends the input with l.parallel requests in
// flight, then reports. Every goroutine it starts ends before it returns.
func (l *loader) run(ctx context.Context, r rdf.Reader) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *batch, l.parallel)
	var sendErr error
	var once sync.Once
	fail := func(err error) { once.Do(func() { sendErr = err; cancel() }) }
	var wg sync.WaitGroup
	for range l.parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.sendAll(ctx, batches, fail)
		}()
	}
	start := time.Now()
	readErr := l.produce(ctx, r, batches)
	close(batches)
	wg.Wait()
	l.progress.finish()
	return l.report(start, sendErr, readErr)
}

// produce parses triples into batches until the input ends, it fails, or
// ctx is cancelled. A syntax error sends nothing of the batch it falls in,
// nor anything at all while the batches before it are still held back
// (the first l.preScan bytes of them): see the insert command's help.
func (l *loader) produce(ctx context.Context, r rdf.Reader, out chan<- *batch) error {
	var n uint64
	held := &heldBatches{limit: l.preScan}
	b := &batch{}
	for {
		t, err := r.Next()
		if err == io.EOF {
			if b.facts > 0 {
				b.read = l.progress.bytesRead()
				held.add(b)
			}
			held.release(ctx, l, out)
			return ctx.Err()
		}
		if err != nil {
			return err // dropping b and whatever is held
		}
		if n++; n <= l.skip {
			continue
		}
		if err := l.checkSize(t); err != nil {
			if b.facts > 0 {
				b.read = l.progress.bytesRead()
				l.emit(ctx, b, out)
			}
			return err
		}
		line := rdf.AppendNTriples(nil, t)
		if b.facts > 0 && len(b.data)+len(line) > maxBatchBytes {
			b.read = l.progress.bytesRead()
			if !l.emit(ctx, b, out) {
				return ctx.Err()
			}
			b = &batch{seq: b.seq + 1}
		}
		if b.facts == 0 {
			b.start = t.Pos
		}
		b.end = t.Pos
		b.data = append(b.data, line...)
		if b.facts++; b.facts >= l.batchFacts || len(b.data) >= maxBatchBytes {
			b.read = l.progress.bytesRead()
			held.add(b)
			if held.full() && !held.release(ctx, l, out) {
				return ctx.Err()
			}
			b = &batch{seq: b.seq + 1}
		}
	}
}

// checkSize refuses a triple the server would refuse for a literal or
// name over storage.MaxLiteralBytes, naming its place in the input (the
// server only sees its place in a batch). Only triples long enough to come
// near the limit are mapped for the exact check.
func (l *loader) checkSize(t rdf.Triple) error {
	const slack = 128 // more than a stored name adds to its IRI or label
	if len(t.S.Value)+len(t.P.Value)+len(t.O.Value)+len(t.O.Datatype) < storage.MaxLiteralBytes-slack {
		return nil
	}
	return update.CheckQuad(rdf.Mapper{LoadID: l.format.LoadID}.Quad(t))
}

// heldBatches are the first batches of a load, held back until limit
// bytes of them have parsed; once released, it holds nothing more.
type heldBatches struct {
	limit    int
	bytes    int
	batches  []*batch
	released bool
}

func (h *heldBatches) add(b *batch) {
	h.batches = append(h.batches, b)
	h.bytes += len(b.data)
}

func (h *heldBatches) full() bool { return h.released || h.bytes >= h.limit }

// release sends the held batches and holds none from then on; it reports
// false if ctx ended first.
func (h *heldBatches) release(ctx context.Context, l *loader, out chan<- *batch) bool {
	h.released = true
	for len(h.batches) > 0 {
		if !l.emit(ctx, h.batches[0], out) {
			return false
		}
		h.batches = h.batches[1:]
	}
	return true
}

func (l *loader) emit(ctx context.Context, b *batch, out chan<- *batch) bool {
	select {
	case out <- b:
		return true
	case <-ctx.Done():
		return false
	}
}

// sendAll sends batches until the channel closes, skipping them once the
// load has failed.
func (l *loader) sendAll(ctx context.Context, in <-chan *batch, fail func(error)) {
	for b := range in {
		if ctx.Err() != nil {
			continue
		}
		res, err := l.send(ctx, b.data, b.facts)
		if err != nil {
			fail(fmt.Errorf("%s: facts at %s to %s: %w", l.name, b.start, b.end, err))
			continue
		}
		b.data = nil // only its count is needed from now on
		l.completed(b, res)
	}
}

// result adds up what the server did with a batch.
type result struct {
	inserted, existing, index uint64
}

// send inserts N-Triples data of n facts, splitting it in two if the
// server finds it too large for one log entry, and retrying a few times
// while the server is unavailable.
func (l *loader) send(ctx context.Context, data []byte, n int) (result, error) {
	var err error
	for try := 1; try <= unavailableTries; try++ {
		var res *wire.InsertReply
		res, err = l.insertOnce(ctx, data)
		if err == nil {
			return result{res.FactsInserted, res.FactsExisting, res.Index}, nil
		}
		st, _ := status.FromError(err)
		if st.Code() == codes.InvalidArgument && strings.Contains(st.Message(), update.ErrTooLarge.Error()) && n > 1 {
			return l.sendHalves(ctx, data, n)
		}
		if st.Code() != codes.Unavailable || ctx.Err() != nil {
			break
		}
		if !sleep(ctx, time.Duration(try)*500*time.Millisecond) {
			break
		}
	}
	return result{}, wire.APIError("insert failed", err)
}

// sleep waits for d unless ctx ends first; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (l *loader) insertOnce(ctx context.Context, data []byte) (*wire.InsertReply, error) {
	rctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	return l.api.Insert(rctx, &wire.InsertRequest{Format: l.format.String(), Data: string(data)})
}

// sendHalves sends the first and the second half of the lines of data.
func (l *loader) sendHalves(ctx context.Context, data []byte, n int) (result, error) {
	cut := 0
	for range n / 2 {
		cut += bytes.IndexByte(data[cut:], '\n') + 1
	}
	a, err := l.send(ctx, data[:cut], n/2)
	if err != nil {
		return result{}, err
	}
	b, err := l.send(ctx, data[cut:], n-n/2)
	if err != nil {
		return result{}, err
	}
	return result{a.inserted + b.inserted, a.existing + b.existing, max(a.index, b.index)}, nil
}

// tally counts what is loaded. Batches complete out of order; loaded
// counts only the facts of the unbroken run of completed batches from the
// start, so a resumed load with --skip loaded misses nothing.
type tally struct {
	mu                 sync.Mutex
	next               int            // seq of the first batch not yet complete
	done               map[int]*batch // complete batches at or after next
	loaded             uint64         // facts before batch next, counting skipped ones
	sent               uint64         // facts in all completed batches
	inserted, existing uint64
	index              uint64
	read               int64 // input bytes behind the completed batches
}

func (l *loader) completed(b *batch, res result) {
	t := &l.tally
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done[b.seq] = b
	for t.done[t.next] != nil {
		t.loaded += uint64(t.done[t.next].facts)
		delete(t.done, t.next)
		t.next++
	}
	t.sent += uint64(b.facts)
	t.inserted += res.inserted
	t.existing += res.existing
	t.index = max(t.index, res.index)
	t.read = max(t.read, b.read)
	l.progress.update(t.sent, t.read)
}

// report prints the summary, or explains the failure and how to resume.
func (l *loader) report(start time.Time, sendErr, readErr error) error {
	t := &l.tally
	elapsed := time.Since(start)
	rate := float64(t.sent) / max(elapsed.Seconds(), 1e-9)
	var err error
	switch {
	case sendErr != nil:
		err = sendErr
	case readErr != nil && (errors.As(readErr, new(*rdf.Error)) || errors.Is(readErr, update.ErrLiteralTooLarge)):
		err = fmt.Errorf("%s: %w", l.name, readErr)
	case readErr != nil:
		err = fmt.Errorf("reading %s: %w", l.name, readErr)
	}
	if err != nil {
		return fmt.Errorf("%w\nloaded %d facts before stopping (%d in this run); to resume: --skip %d --load-id %s",
			err, t.loaded, t.loaded-l.skip, t.loaded, l.format.LoadID)
	}
	fmt.Printf("loaded %d facts (%d new, %d already present) in %s: %.0f facts/s; last log index %d\n",
		t.sent, t.inserted, t.existing, elapsed.Round(time.Millisecond), rate, t.index)
	return nil
}

// progress draws a progress bar on a terminal: bytes of input read (so it
// can show a percentage and an estimated time left), with facts loaded and
// facts/s as its description. It does nothing when stderr is not a
// terminal.
type progress struct {
	bar   *progressbar.ProgressBar
	read  *countingReader
	start time.Time
}

func newProgress(read *countingReader, size int64) *progress {
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
	return &progress{bar: bar, read: read, start: time.Now()}
}

// update shows facts loaded and the input bytes behind them (not the
// bytes read, which run ahead of the requests in flight).
func (p *progress) update(facts uint64, read int64) {
	if p == nil {
		return
	}
	rate := float64(facts) / max(time.Since(p.start).Seconds(), 1e-9)
	p.bar.Describe(fmt.Sprintf("%d facts, %.0f facts/s", facts, rate))
	_ = p.bar.Set64(read)
}

func (p *progress) bytesRead() int64 {
	if p == nil {
		return 0
	}
	return p.read.n.Load()
}

func (p *progress) finish() {
	if p != nil {
		_ = p.bar.Finish()
	}
}
