package loader

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/update"
	"github.com/akutan-dev/akutan/wire"
)

// fakeAPI is an API server in memory: it parses each insert as the real
// one does and keeps the set of facts, and can be told to fail.
type fakeAPI struct {
	mu       sync.Mutex
	facts    map[string]bool // each fact, with blank nodes named in their load's scope
	requests int             // every call, failed or not
	index    uint64
	// maxFacts, when set, refuses a request of more facts as too large
	// for one log entry.
	maxFacts int
	// unavailable is how many calls from now fail as Unavailable.
	unavailable int
	// brokenAfter, when set, fails for good every call after that many
	// have succeeded.
	brokenAfter int
	succeeded   int
}

func (f *fakeAPI) Insert(_ context.Context, req *wire.InsertRequest, _ ...grpc.CallOption) (*wire.InsertReply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	ins, err := rdf.ParseInsert(req.Format, req.Data)
	switch {
	case err != nil:
		return nil, status.Error(codes.InvalidArgument, err.Error())
	case f.unavailable > 0:
		f.unavailable--
		return nil, status.Error(codes.Unavailable, "no log leader")
	case f.brokenAfter > 0 && f.succeeded >= f.brokenAfter:
		return nil, status.Error(codes.Internal, "the server broke")
	case f.maxFacts > 0 && len(ins.Facts) > f.maxFacts:
		return nil, status.Errorf(codes.InvalidArgument, "%v: %d facts", update.ErrTooLarge, len(ins.Facts))
	}
	f.succeeded++
	f.index++
	reply := &wire.InsertReply{Index: f.index}
	if f.facts == nil {
		f.facts = map[string]bool{}
	}
	for _, q := range ins.Facts {
		key := fmt.Sprintf("%v %v %v", q.Subject, q.Predicate, q.Object)
		if f.facts[key] {
			reply.FactsExisting++
		} else {
			f.facts[key] = true
			reply.FactsInserted++
		}
	}
	return reply, nil
}

func (f *fakeAPI) stats() (facts, requests int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.facts), f.requests
}

// load runs a load of text with cfg against api.
func load(t *testing.T, cfg Config, api API, text string) (Summary, error) {
	t.Helper()
	l, err := New(cfg, api)
	if err != nil {
		t.Fatal(err)
	}
	in, err := NewInput(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return l.Run(context.Background(), in)
}

// TestLoadSendsEveryFact: a load in several batches, in parallel, inserts
// every fact once and sums the server's replies.
func TestLoadSendsEveryFact(t *testing.T) {
	api := &fakeAPI{}
	cfg := testConfig()
	cfg.BatchFacts, cfg.PreScanBytes = 7, 0
	sum, err := load(t, cfg, api, ntriples(100))
	if err != nil {
		t.Fatal(err)
	}
	facts, requests := api.stats()
	if sum.Facts != 100 || sum.Inserted != 100 || sum.Existing != 0 || facts != 100 || requests != 15 || sum.LastIndex != 15 {
		t.Fatalf("summary %+v; server has %d facts from %d requests; want 100 from 15", sum, facts, requests)
	}
}

// TestRetriesWhileUnavailable: a batch that finds the server unavailable
// is sent again and lands; one that finds it unavailable on every try
// stops the load, saying the server cannot be reached.
func TestRetriesWhileUnavailable(t *testing.T) {
	api := &fakeAPI{unavailable: unavailableTries - 1}
	sum, err := load(t, testConfig(), api, ntriples(10))
	if facts, requests := api.stats(); err != nil || sum.Facts != 10 || facts != 10 || requests != unavailableTries {
		t.Fatalf("load = %+v, %v; server has %d facts after %d requests; want 10 after %d", sum, err, facts, requests, unavailableTries)
	}
	api = &fakeAPI{unavailable: unavailableTries}
	_, err = load(t, testConfig(), api, ntriples(10))
	var stopped *StoppedError
	if !errors.As(err, &stopped) || !errors.Is(err, wire.ErrAPIUnreachable) || stopped.Loaded != 0 ||
		!strings.Contains(err.Error(), "facts at line 1, column 1 to line 10, column 1") {
		t.Fatalf("load = %v; want a StoppedError naming the batch, unreachable, nothing loaded", err)
	}
}

// TestHalvesARequestTooLargeForOneEntry: a batch the server refuses as too
// large is split in halves until the pieces fit, and all of it lands.
func TestHalvesARequestTooLargeForOneEntry(t *testing.T) {
	api := &fakeAPI{maxFacts: 3}
	cfg := testConfig()
	cfg.BatchFacts = 10
	sum, err := load(t, cfg, api, ntriples(10))
	facts, requests := api.stats()
	// 10 -> 5+5 -> (2+3)+(2+3): 1 + 2 + 4 refused or sent.
	if err != nil || sum.Facts != 10 || sum.Inserted != 10 || facts != 10 || requests != 7 {
		t.Fatalf("load = %+v, %v; server has %d facts after %d requests; want 10 after 7", sum, err, facts, requests)
	}
	// A one-fact batch that is too large cannot be split: the load stops.
	single := &tooLargeAlways{}
	if _, err := load(t, cfg, single, ntriples(1)); !errors.As(err, new(*StoppedError)) || single.calls != 1 {
		t.Fatalf("a single fact refused as too large: %v after %d calls; want the load to stop after 1", err, single.calls)
	}
}

// tooLargeAlways refuses every request as too large for one log entry.
type tooLargeAlways struct{ calls int }

func (a *tooLargeAlways) Insert(context.Context, *wire.InsertRequest, ...grpc.CallOption) (*wire.InsertReply, error) {
	a.calls++
	return nil, status.Error(codes.InvalidArgument, update.ErrTooLarge.Error())
}

// TestResumeWithSkip: a load that stops part-way says how many facts are
// in; a rerun skipping those with the same load ID sends the rest, and the
// graph then holds every fact exactly once, blank nodes included.
func TestResumeWithSkip(t *testing.T) {
	var sb strings.Builder
	for i := range 40 {
		fmt.Fprintf(&sb, "_:b%d <http://ex/p> \"%d\" .\n", i%5, i)
	}
	text := sb.String()
	api := &fakeAPI{brokenAfter: 3}
	cfg := testConfig()
	cfg.BatchFacts, cfg.PreScanBytes, cfg.LoadID = 4, 0, ""
	l, err := New(cfg, api)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := NewInput(strings.NewReader(text))
	_, err = l.Run(context.Background(), in)
	var stopped *StoppedError
	if !errors.As(err, &stopped) || stopped.LoadID != l.LoadID() || stopped.Loaded > 12 || stopped.Loaded%4 != 0 {
		t.Fatalf("first run: %v; want a stop after at most the 3 batches that succeeded", err)
	}
	api.brokenAfter = 0
	cfg.Skip, cfg.LoadID = stopped.Loaded, stopped.LoadID
	sum, err := load(t, cfg, api, text)
	facts, _ := api.stats()
	if err != nil || sum.Facts != 40-stopped.Loaded || facts != 40 {
		t.Fatalf("resumed run: %+v, %v; server has %d facts; want %d sent and 40 in all", sum, err, facts, 40-stopped.Loaded)
	}
}

// TestSyntaxErrorInPreScanCommitsNothing: a load whose input has a syntax
// error within the pre-scan sends no request at all, however many batches
// come before the error, and says where the error is.
func TestSyntaxErrorInPreScanCommitsNothing(t *testing.T) {
	api := &fakeAPI{}
	cfg := testConfig()
	cfg.BatchFacts = 2
	_, err := load(t, cfg, api, ntriples(9)+syntaxError+ntriples(3))
	var stopped *StoppedError
	if !errors.As(err, &stopped) || !errors.As(err, new(*rdf.Error)) || !strings.Contains(err.Error(), "test.nt: line 10") || stopped.Loaded != 0 {
		t.Fatalf("load = %v; want a syntax error at test.nt line 10 and nothing loaded", err)
	}
	if _, requests := api.stats(); requests != 0 {
		t.Fatalf("%d requests sent; want none", requests)
	}
}

// TestOversizedFactStopsTheLoad: a literal over the limit stops the load
// naming the input and its line, having sent only facts before it.
func TestOversizedFactStopsTheLoad(t *testing.T) {
	api := &fakeAPI{}
	_, err := load(t, testConfig(), api, literalLines(10, 20, 1<<20+1, 30))
	if !errors.Is(err, update.ErrLiteralTooLarge) || !strings.Contains(err.Error(), "test.nt: ") || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("load = %v; want ErrLiteralTooLarge naming test.nt line 3", err)
	}
	if facts, _ := api.stats(); facts != 2 {
		t.Fatalf("server has %d facts; want the 2 before the oversized one", facts)
	}
}

// TestProgressCounts: progress is reported once per batch, counting the
// facts sent so far, with input bytes that never fall and end at the whole
// input.
func TestProgressCounts(t *testing.T) {
	text := ntriples(50)
	var reports []Progress
	cfg := testConfig()
	cfg.BatchFacts, cfg.Parallel = 10, 1
	cfg.Progress = func(p Progress) { reports = append(reports, p) }
	if _, err := load(t, cfg, &fakeAPI{}, text); err != nil {
		t.Fatal(err)
	}
	if len(reports) != 5 {
		t.Fatalf("%d progress reports, want 5: %+v", len(reports), reports)
	}
	for i, p := range reports {
		if p.Facts != uint64(10*(i+1)) || (i > 0 && p.BytesRead < reports[i-1].BytesRead) {
			t.Errorf("report %d: %+v after %+v; want %d facts and no fewer bytes", i, p, reports[max(i-1, 0)], 10*(i+1))
		}
	}
	if last := reports[len(reports)-1]; last.BytesRead != int64(len(text)) {
		t.Errorf("last report: %d bytes read, want the whole input, %d", last.BytesRead, len(text))
	}
}

// TestConfigIsChecked: a configuration out of range is refused, not run.
func TestConfigIsChecked(t *testing.T) {
	for _, edit := range []func(*Config){
		func(c *Config) { c.Format = "tsv" },
		func(c *Config) { c.LoadID = "no spaces" },
		func(c *Config) { c.BatchFacts = 0 },
		func(c *Config) { c.Parallel = MaxParallel + 1 },
		func(c *Config) { c.Timeout = 0 },
	} {
		cfg := testConfig()
		edit(&cfg)
		if _, err := New(cfg, &fakeAPI{}); err == nil {
			t.Errorf("New(%+v) succeeded; want an error", cfg)
		}
	}
}
