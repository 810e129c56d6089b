package loader

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/wire"
)

// API is the part of an API server a load sends to; wire.APIClient is one.
type API interface {
	Insert(ctx context.Context, req *wire.InsertRequest, opts ...grpc.CallOption) (*wire.InsertReply, error)
}

// Defaults. A batch must fit one log entry (update.MaxEntryBytes, 4 MiB,
// which also counts the names of new entities) and one request
// (wire.MaxRequestBytes), so a batch ends before the fact that would take
// it past 2 MiB of N-Triples text (a fact with a literal near
// storage.MaxLiteralBytes still fits an entry alone).
//
// Two requests in flight let the client parse and send the next batch
// while the server applies one. More do not help: consecutive batches
// share names, so extra requests mostly wait on each other's claims, and
// those that land late need a re-read and a Decide entry, which holds
// views' lookups until it is decided (LUBM-10 on a busy 2-core machine:
// 2 in flight 55-76k facts/s and almost no Decides, 4 in flight 40-65k
// facts/s and ~90 Decides; see docs/benchmarks.md).
const (
	DefaultBatchFacts    = 10000
	DefaultMaxBatchBytes = 2 << 20
	DefaultParallel      = 2
	// DefaultPreScanBytes is how much input (as N-Triples) a load parses
	// before sending anything.
	DefaultPreScanBytes = 4 * DefaultMaxBatchBytes
	DefaultTimeout      = 60 * time.Second
	DefaultRetryBackoff = 500 * time.Millisecond

	// MaxBatchFacts and MaxParallel bound Config.BatchFacts and
	// Config.Parallel.
	MaxBatchFacts = 1 << 20
	MaxParallel   = 64

	// unavailableTries is how often a batch is sent while the server is
	// unavailable before the load stops.
	unavailableTries = 3
)

// Config configures one load. Start from DefaultConfig.
type Config struct {
	// Name names the input in messages (a file name, or "-").
	Name string
	// Format is the input's format: "ntriples" or "turtle".
	Format string
	// Base is the base IRI for relative IRIs in Turtle.
	Base string
	// LoadID scopes the load's blank nodes (see rdf.ValidLoadID); empty
	// picks a random one (see Loader.LoadID). A resumed load must reuse the
	// stopped one's.
	LoadID string
	// Skip is how many facts at the start of the input to pass over: the
	// Loaded count of a stopped load being resumed.
	Skip uint64

	// BatchFacts is the most facts one request holds (1..MaxBatchFacts).
	BatchFacts int
	// MaxBatchBytes is the most N-Triples bytes one request holds, unless
	// a single fact is larger.
	MaxBatchBytes int
	// Parallel is how many requests are in flight at once (1..MaxParallel).
	Parallel int
	// PreScanBytes is how many bytes of batches are parsed before the
	// first is sent (see the package comment).
	PreScanBytes int
	// Timeout bounds each request.
	Timeout time.Duration
	// RetryBackoff is the pause before the second try of a batch that
	// found the server unavailable; later pauses grow by as much.
	RetryBackoff time.Duration

	// Progress, if set, is called after each batch completes, one call at
	// a time; it must return quickly.
	Progress func(Progress)
}

// DefaultConfig is the configuration of `akutan insert`, for input name in
// format ("ntriples" or "turtle").
func DefaultConfig(name, format string) Config {
	return Config{
		Name: name, Format: format,
		BatchFacts: DefaultBatchFacts, MaxBatchBytes: DefaultMaxBatchBytes, Parallel: DefaultParallel,
		PreScanBytes: DefaultPreScanBytes, Timeout: DefaultTimeout, RetryBackoff: DefaultRetryBackoff,
	}
}

func (c *Config) validate() error {
	switch {
	case c.Format != "ntriples" && c.Format != "turtle":
		return fmt.Errorf("format %q: want ntriples or turtle", c.Format)
	case c.LoadID != "" && !rdf.ValidLoadID(c.LoadID):
		return fmt.Errorf("load ID %q: want 1 to 64 letters, digits, '-' or '_'", c.LoadID)
	case c.BatchFacts < 1 || c.BatchFacts > MaxBatchFacts:
		return fmt.Errorf("BatchFacts %d: want 1..%d", c.BatchFacts, MaxBatchFacts)
	case c.Parallel < 1 || c.Parallel > MaxParallel:
		return fmt.Errorf("Parallel %d: want 1..%d", c.Parallel, MaxParallel)
	case c.MaxBatchBytes < 1:
		return errors.New("MaxBatchBytes must be positive")
	case c.PreScanBytes < 0 || c.RetryBackoff < 0:
		return errors.New("PreScanBytes and RetryBackoff must not be negative")
	case c.Timeout <= 0:
		return errors.New("Timeout must be positive")
	}
	return nil
}
