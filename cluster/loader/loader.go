package loader

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/update"
)

// Loader is one load; Run it once.
type Loader struct {
	cfg    Config
	api    API
	format rdf.Format // what each request declares: N-Triples in the load's scope
	in     *Input
	tally  tally
}

// Progress is how far a load is.
type Progress struct {
	// Facts is how many facts this run has sent and had accepted.
	Facts uint64
	// BytesRead is how many input bytes lie behind them (Input.BytesRead
	// when the last of them was parsed).
	BytesRead int64
}

// Summary is what a finished load did.
type Summary struct {
	Facts     uint64 // sent by this run (not counting Skip)
	Inserted  uint64 // new to the graph
	Existing  uint64 // already present
	LastIndex uint64 // the highest log index of its requests
	Elapsed   time.Duration
}

// StoppedError is a load that stopped before the end of its input. Loaded
// facts from the start of the input are in (counting skipped ones), so a
// rerun with Skip = Loaded and the same LoadID resumes it.
type StoppedError struct {
	Err     error // why it stopped
	Loaded  uint64
	Skipped uint64 // the Skip this run started with
	LoadID  string
}

func (e *StoppedError) Error() string {
	return fmt.Sprintf("%v (loaded %d facts before stopping, %d in this run)", e.Err, e.Loaded, e.Loaded-e.Skipped)
}

func (e *StoppedError) Unwrap() error { return e.Err }

// New prepares a load that sends to api.
func New(cfg Config, api API) (*Loader, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("configuring a load: %w", err)
	}
	if api == nil {
		return nil, errors.New("configuring a load: no API")
	}
	if cfg.LoadID == "" {
		cfg.LoadID = randomLoadID()
	}
	l := &Loader{cfg: cfg, api: api, format: rdf.Format{Name: "ntriples", LoadID: cfg.LoadID}}
	l.tally.loaded = cfg.Skip
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

// LoadID is the load's blank node scope, to pass to a resumed load.
func (l *Loader) LoadID() string { return l.cfg.LoadID }

// Run reads, batches and sends in, with Config.Parallel requests in
// flight, until the input ends, a batch fails or ctx ends. Any error is a
// *StoppedError. Every goroutine it starts ends before it returns.
func (l *Loader) Run(ctx context.Context, in *Input) (Summary, error) {
	l.in = in
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *batch, l.cfg.Parallel)
	var sendErr error
	var once sync.Once
	fail := func(err error) { once.Do(func() { sendErr = err; cancel() }) }
	var wg sync.WaitGroup
	for range l.cfg.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.sendAll(ctx, batches, fail)
		}()
	}
	start := time.Now()
	readErr := l.produce(ctx, l.cfg.Format == "turtle", batches)
	close(batches)
	wg.Wait()
	return l.finish(time.Since(start), sendErr, readErr)
}

// finish sums the load up, or explains why it stopped.
func (l *Loader) finish(elapsed time.Duration, sendErr, readErr error) (Summary, error) {
	t := &l.tally
	var err error
	switch {
	case sendErr != nil:
		err = sendErr
	case readErr != nil && (errors.As(readErr, new(*rdf.Error)) || errors.Is(readErr, update.ErrLiteralTooLarge)):
		err = fmt.Errorf("%s: %w", l.cfg.Name, readErr)
	case readErr != nil:
		err = fmt.Errorf("reading %s: %w", l.cfg.Name, readErr)
	}
	sum := Summary{Facts: t.sent, Inserted: t.inserted, Existing: t.existing, LastIndex: t.index, Elapsed: elapsed}
	if err != nil {
		return sum, &StoppedError{Err: err, Loaded: t.loaded, Skipped: l.cfg.Skip, LoadID: l.cfg.LoadID}
	}
	return sum, nil
}
