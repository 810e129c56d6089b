package robustness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
	"github.com/akutan-dev/akutan/wire"
)

const (
	writers = 4
	readers = 4
	// opTimeout bounds each client operation, so a client whose server
	// froze records a failure and goes on with the other API server.
	opTimeout = 5 * time.Second
)

// report is what a whole test run found, written as JSON to
// AKUTAN_ROBUSTNESS_REPORT when set.
type report struct {
	Seed   uint64         `json:"seed"`
	Runs   int            `json:"runs"`
	Faults map[string]int `json:"faults"`
	verdict
}

// TestRobustness runs randomized fault scenarios on one real cluster (see
// the package doc) and fails on any linearizability violation, lost write
// or wrong answer.
func TestRobustness(t *testing.T) {
	harness.SkipIfShort(t)
	runs := envInt(t, "AKUTAN_ROBUSTNESS_RUNS", 3)
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("AKUTAN_ROBUSTNESS_SEED"); v != "" {
		seed = uint64(envInt(t, "AKUTAN_ROBUSTNESS_SEED", 0))
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d (AKUTAN_ROBUSTNESS_SEED repeats the choices)", seed)

	c := startCluster(t, harness.BuildBinary(t))
	fixed := fixedData{facts: 40}
	loadFixed(t, c, fixed)
	c.waitServing(fixed)
	choices := chooseFaults(t, c)

	rep := report{Seed: seed, Runs: runs, Faults: map[string]int{}}
	for run := 1; run <= runs; run++ {
		f := choices[rng.IntN(len(choices))]
		v := runOnce(t, c, fixed, run, f, rng)
		rep.Faults[f.name]++
		rep.add(v)
		t.Logf("run %d: %s", run, summary(v))
		for _, p := range v.problems {
			t.Errorf("run %d (%s): %s", run, f.name, p)
		}
	}
	t.Logf("%d runs %v: %s", runs, rep.Faults, summary(rep.verdict))
	writeReport(t, rep)
}

func summary(v verdict) string {
	return fmt.Sprintf("%d operations (%d failed), %d known-answer queries (%d failed); %d linearizability violations, %d lost writes, %d wrong answers",
		v.Operations, v.FailedOps, v.FixedQueries, v.FixedQueriesErr, v.Violations, v.LostWrites, v.WrongAnswers)
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a number", name, v)
	}
	return n
}

func writeReport(t *testing.T, rep report) {
	path := os.Getenv("AKUTAN_ROBUSTNESS_REPORT")
	if path == "" {
		return
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err == nil {
		err = os.WriteFile(path, append(b, '\n'), 0o644)
	}
	if err != nil {
		t.Errorf("writing the report to %s: %v", path, err)
	}
}

func loadFixed(t *testing.T, c *cluster, fixed fixedData) {
	t.Helper()
	testutil.Eventually(t, 120*time.Second, 250*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := c.clients[0].Insert(ctx, &wire.InsertRequest{Format: "tsv", Data: fixed.tsv()})
		return err
	})
}

// runOnce runs clients, injects f after a moment, heals it, lets the
// cluster settle, and checks the run's history.
func runOnce(t *testing.T, c *cluster, fixed fixedData, run int, f fault, rng *rand.Rand) verdict {
	h := &history{start: time.Now()}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var fixedCount fixedCounts
	for w := range writers {
		wg.Add(1)
		go func() { defer wg.Done(); writeLoop(ctx, c, h, run, w) }()
	}
	for r := range readers {
		wg.Add(1)
		go func() { defer wg.Done(); readLoop(ctx, c, h, fixed, &fixedCount, run, writers+r) }()
	}
	time.Sleep(time.Duration(500+rng.IntN(1500)) * time.Millisecond)
	hold := holdFor(rng)
	target, heal := f.inject(t, c, rng)
	t.Logf("run %d: %s", run, describe(f, target, hold))
	time.Sleep(hold)
	heal()
	time.Sleep(2 * time.Second)
	cancel()
	wg.Wait()

	c.waitServing(fixed)
	finalIndex, final := finalRead(t, c, run)
	v := h.check(final, finalIndex)
	v.FixedQueries, v.FixedQueriesErr, v.WrongAnswers = fixedCount.total(), fixedCount.failed(), v.WrongAnswers+fixedCount.wrongCount()
	for _, w := range fixedCount.wrongs() {
		v.problem("%s", w)
	}
	return v
}

// finalRead reads the run's facts through every API server once the
// cluster serves again, and returns the read that saw the most recent
// index.
func finalRead(t *testing.T, c *cluster, run int) (uint64, map[string]bool) {
	t.Helper()
	var index uint64
	var seen map[string]bool
	for i, api := range c.clients {
		testutil.Eventually(t, 60*time.Second, 250*time.Millisecond, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			idx, s, err := readRun(ctx, api, run)
			if err != nil {
				return fmt.Errorf("api-%d: reading run %d after the fault: %w", i+1, run, err)
			}
			if idx >= index {
				index, seen = idx, s
			}
			return nil
		})
	}
	return index, seen
}

// writeLoop inserts unique facts one at a time, alternating API servers
// after a failure, until ctx ends.
func writeLoop(ctx context.Context, c *cluster, h *history, run, client int) {
	api := client % len(c.clients)
	for i := 0; ctx.Err() == nil; i++ {
		key := fmt.Sprintf("rob_%d_w%d_%d", run, client, i)
		o := op{client: client, insert: true, key: key, call: h.now()}
		octx, cancel := context.WithTimeout(context.Background(), opTimeout)
		index, err := insertFact(octx, c.clients[api], run, key)
		cancel()
		o.ret, o.ok, o.index = h.now(), err == nil, index
		h.add(o)
		if err != nil {
			api = (api + 1) % len(c.clients)
			pause(ctx, 100*time.Millisecond)
		}
	}
}

// readLoop alternates reads of the run's facts with known-answer queries.
func readLoop(ctx context.Context, c *cluster, h *history, fixed fixedData, counts *fixedCounts, run, client int) {
	api := client % len(c.clients)
	queries := fixed.queries()
	for i := 0; ctx.Err() == nil; i++ {
		octx, cancel := context.WithTimeout(context.Background(), opTimeout)
		var err error
		if i%2 == 0 {
			o := op{client: client, call: h.now()}
			o.index, o.seen, err = readRun(octx, c.clients[api], run)
			o.ret, o.ok = h.now(), err == nil
			h.add(o)
		} else {
			err = fixed.answer(octx, c.clients[api], queries[(i/2)%len(queries)])
			counts.record(err)
		}
		cancel()
		if err != nil {
			api = (api + 1) % len(c.clients)
			pause(ctx, 100*time.Millisecond)
		} else {
			pause(ctx, 20*time.Millisecond)
		}
	}
}

func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// fixedCounts counts known-answer queries and keeps their wrong answers.
type fixedCounts struct {
	mu            sync.Mutex
	n, fails      int
	wrongAnswers  []string
	wrongsCounted int
}

func (f *fixedCounts) record(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	var wrong wrongAnswer
	switch {
	case errors.As(err, &wrong):
		f.wrongsCounted++
		if len(f.wrongAnswers) < 10 {
			f.wrongAnswers = append(f.wrongAnswers, wrong.msg)
		}
	case err != nil:
		f.fails++
	}
}

func (f *fixedCounts) total() int       { f.mu.Lock(); defer f.mu.Unlock(); return f.n }
func (f *fixedCounts) failed() int      { f.mu.Lock(); defer f.mu.Unlock(); return f.fails }
func (f *fixedCounts) wrongCount() int  { f.mu.Lock(); defer f.mu.Unlock(); return f.wrongsCounted }
func (f *fixedCounts) wrongs() []string { f.mu.Lock(); defer f.mu.Unlock(); return f.wrongAnswers }
