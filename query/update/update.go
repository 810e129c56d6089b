package update

import (
	"context"
	"errors"
	"fmt"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// MaxEntryBytes bounds one request's log entry.
const MaxEntryBytes = 4 << 20

// maxAttempts bounds how often a request is retried after conflicting
// with concurrent writes.
const maxAttempts = 20

var (
	// ErrTooLarge means a request cannot fit in one log entry.
	ErrTooLarge = errors.New("request too large to apply atomically")
	// ErrConflict means concurrent writes kept invalidating the request.
	ErrConflict = errors.New("request kept conflicting with concurrent writes")
)

// Log is what updates need from the log.
type Log interface {
	LastIndex(ctx context.Context) (uint64, error)
	Append(ctx context.Context, entries [][]byte) (first, last uint64, err error)
	Read(ctx context.Context, start uint64, fn func(index uint64, data []byte) error) error
}

var _ Log = (*logclient.Client)(nil)

// Request is one atomic change: delete facts, then insert facts.
type Request struct {
	Delete *parser.Insert
	Insert *parser.Insert
}

// Result says what a request did.
type Result struct {
	Index    uint64 // the log index at which the request's outcome is visible
	Inserted int    // facts written
	Existing int    // facts to insert that were already present
	Deleted  int    // facts deleted
	Missing  int    // facts to delete that were not present
	Attempts int    // 1 unless concurrent writes forced retries
}

// Insert applies a parsed insert request atomically.
func Insert(ctx context.Context, views engine.Views, log Log, ins *parser.Insert) (Result, error) {
	return Apply(ctx, views, log, Request{Insert: ins})
}

// Apply runs req as a transaction through the log: read the graph at the
// log's last index I, append the transaction, and if it did not land at
// I+1, read again just before it; commit only if those reads are unchanged,
// else abort and start over. Views hold the transaction's keys pending
// until the decision, so no query sees half of it.
func Apply(ctx context.Context, views engine.Views, log Log, req Request) (Result, error) {
	return apply(ctx, views, log, nil, req)
}

// apply is Apply, coordinating new names through claims (which may be nil).
func apply(ctx context.Context, views engine.Views, log Log, claims *nameClaims, req Request) (Result, error) {
	if req.Delete == nil {
		req.Delete = &parser.Insert{}
	}
	if req.Insert == nil {
		req.Insert = &parser.Insert{}
	}
	if err := checkLiterals(req); err != nil {
		return Result{}, err
	}
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		res, done, err := attemptOnce(ctx, views, log, claims, req)
		if err != nil || done {
			res.Attempts = attempt
			return res, err
		}
	}
	return Result{}, fmt.Errorf("%w: gave up after %d attempts", ErrConflict, maxAttempts)
}

// attemptOnce makes one attempt; done is false when it must be retried.
func attemptOnce(ctx context.Context, views engine.Views, log Log, claims *nameClaims, req Request) (res Result, done bool, err error) {
	names := distinct(namesIn(req))
	f, err := claims.takeOff(ctx, names)
	if err != nil {
		return Result{}, false, err
	}
	defer func() { claims.land(f, res.Index, done && err == nil) }()
	readIndex, known, claimed, err := claims.readAndClaim(ctx, f, names, func() (uint64, map[string]uint64, error) {
		readIndex, err := log.LastIndex(ctx)
		if err != nil {
			return 0, nil, fmt.Errorf("reading the log's last index: %w", err)
		}
		known, err := engine.ResolveNames(ctx, views, readIndex, names)
		return readIndex, known, err
	})
	if err != nil || !claimed {
		return Result{}, false, err // not claimed: another request is creating a name
	}
	b, err := buildWith(ctx, views, readIndex, req, known)
	if err != nil {
		return Result{}, false, err
	}
	b.res.Index = readIndex
	if b.empty() {
		return b.res, true, nil
	}
	txIndex, err := appendEntry(ctx, log, &wire.LogEntry{Command: &wire.LogEntry_Update{Update: b.tx}})
	if err != nil {
		return Result{}, false, fmt.Errorf("appending the transaction: %w", err)
	}
	b.res.Index = txIndex
	if txIndex == readIndex+1 {
		return b.res, true, nil // nothing could change in between: committed
	}
	commit, err := stillValid(ctx, views, txIndex, req, b)
	decideIndex, decideErr := appendEntry(ctx, log, &wire.LogEntry{Command: &wire.LogEntry_Decide{Decide: &wire.Decide{TxIndex: txIndex, Commit: commit}}})
	switch {
	case err != nil:
		return Result{}, false, err
	case decideErr != nil:
		return Result{}, false, fmt.Errorf("deciding transaction %d (outcome unknown; the request can be retried): %w", txIndex, decideErr)
	case !commit:
		return Result{}, false, nil
	}
	committed, err := outcome(ctx, log, txIndex, decideIndex)
	if err != nil {
		return Result{}, false, err
	}
	return b.res, committed, nil
}

// stillValid re-reads the graph just before the transaction's index and
// reports whether every read gives what it gave when the transaction was
// built.
func stillValid(ctx context.Context, views engine.Views, txIndex uint64, req Request, b *builder) (bool, error) {
	again, err := build(ctx, views, txIndex-1, req)
	if err != nil {
		return false, fmt.Errorf("validating transaction %d: %w", txIndex, err)
	}
	return again.reads.String() == b.reads.String(), nil
}

func appendEntry(ctx context.Context, log Log, e *wire.LogEntry) (uint64, error) {
	data, err := logentry.Encode(e)
	if err != nil {
		return 0, err
	}
	if len(data) > MaxEntryBytes {
		return 0, fmt.Errorf("%w: %d bytes, limit %d: split the request", ErrTooLarge, len(data), MaxEntryBytes)
	}
	_, last, err := log.Append(ctx, [][]byte{data})
	return last, err
}

// errFound stops a log read once the answer is known.
var errFound = errors.New("found")

// outcome reads the log between a transaction and our decision for it and
// reports whether the first decision was a commit: a transaction timer may
// have aborted it first.
func outcome(ctx context.Context, log Log, txIndex, decideIndex uint64) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	committed := false
	err := log.Read(ctx, txIndex+1, func(index uint64, data []byte) error {
		if d := decisionFor(data, txIndex); d != nil {
			committed = d.Commit
			return errFound
		}
		if index >= decideIndex {
			return fmt.Errorf("decision for transaction %d missing from the log up to %d", txIndex, decideIndex)
		}
		return nil
	})
	if errors.Is(err, errFound) {
		return committed, nil
	}
	return false, fmt.Errorf("reading the decision for transaction %d: %w", txIndex, err)
}

// decisionFor returns the entry's decision if it decides txIndex.
func decisionFor(data []byte, txIndex uint64) *wire.Decide {
	if !IsDecide(data) {
		return nil
	}
	e, err := logentry.Decode(data)
	if err != nil || e.GetDecide().GetTxIndex() != txIndex {
		return nil
	}
	return e.GetDecide()
}
