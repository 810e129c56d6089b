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
	// ErrStale means Request.Valid found that what the request was
	// computed from changed before it could be applied; nothing was
	// applied, and the caller computes the request again.
	ErrStale = errors.New("the graph the request was computed from changed before it was applied")
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
	// Valid, when set, is one more read the request depends on, such as
	// the WHERE of a SPARQL update the request was computed from: it
	// reports whether that still gives the same at index. It is asked at
	// the index each attempt reads at and, when other writes landed before
	// the transaction, just before it (a false there aborts the
	// transaction). Apply ends with ErrStale, having applied nothing, when
	// an attempt's read finds it false.
	Valid func(ctx context.Context, index uint64) (bool, error)
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

// Apply runs req as one transaction through the log: read the graph at
// the log's last index I, append the transaction, and if it did not land
// right after I, read again just before it; commit only if those reads
// are unchanged, else abort and start over. Views hold the transaction's
// keys pending until the decision, so no query sees half of it. New
// external names are coordinated with the Inserter's other requests (see
// Inserter).
func (in *Inserter) Apply(ctx context.Context, req Request) (Result, error) {
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
		res, done, err := in.attempt(ctx, req)
		if err != nil || done {
			res.Attempts = attempt
			return res, err
		}
	}
	return Result{}, fmt.Errorf("%w: gave up after %d attempts", ErrConflict, maxAttempts)
}

// attempt makes one attempt; done is false when it must be retried.
func (in *Inserter) attempt(ctx context.Context, req Request) (res Result, done bool, err error) {
	names := distinct(namesIn(req))
	f, err := in.claims.takeOff(ctx, names)
	if err != nil {
		return Result{}, false, err
	}
	defer func() { in.claims.land(f, res.Index, done && err == nil) }()
	readIndex, known, claimed, err := in.claims.readAndClaim(ctx, f, names, func() (uint64, map[string]uint64, error) {
		return in.readNames(ctx, names)
	})
	if err != nil || !claimed {
		return Result{}, false, err // not claimed: another request is creating a name
	}
	if err := checkValid(ctx, req, readIndex); err != nil {
		return Result{}, true, err
	}
	b, err := buildWith(ctx, in.views, readIndex, req, known)
	if err != nil {
		return Result{}, false, err
	}
	b.res.Index = readIndex
	if b.empty() {
		return b.res, true, nil
	}
	txIndex, committed, err := in.commit(ctx, req, b)
	if err != nil || !committed {
		return Result{}, false, err
	}
	b.res.Index = txIndex
	return b.res, true, nil
}

// checkValid asks req.Valid at the index an attempt reads at: ErrStale
// when it no longer holds there.
func checkValid(ctx context.Context, req Request, index uint64) error {
	if req.Valid == nil {
		return nil
	}
	ok, err := req.Valid(ctx, index)
	switch {
	case err != nil:
		return fmt.Errorf("checking the request at log index %d: %w", index, err)
	case !ok:
		return fmt.Errorf("%w (at log index %d)", ErrStale, index)
	}
	return nil
}

// readNames reads the log's last index and the external names that exist
// there.
func (in *Inserter) readNames(ctx context.Context, names []string) (uint64, map[string]uint64, error) {
	readIndex, err := in.log.LastIndex(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("reading the log's last index: %w", err)
	}
	known, err := engine.ResolveNames(ctx, in.views, readIndex, names)
	return readIndex, known, err
}

// commit appends b's transaction and sees it decided: by itself when it
// lands right after its read, else by validating its reads and appending
// a commit or an abort. committed is false when it was aborted (by us or
// by a transaction timer) and must be retried.
func (in *Inserter) commit(ctx context.Context, req Request, b *builder) (txIndex uint64, committed bool, err error) {
	txIndex, err = appendTx(ctx, in.log, b.tx)
	if err != nil {
		return 0, false, fmt.Errorf("appending the transaction: %w", err)
	}
	if (logentry.Tx{Index: txIndex, ReadIndex: b.tx.ReadIndex}).AutoCommits() {
		return txIndex, true, nil // nothing could change in between
	}
	valid, err := stillValid(ctx, in.views, txIndex, req, b)
	if err == nil && valid && req.Valid != nil {
		if valid, err = req.Valid(ctx, txIndex-1); err != nil {
			err = fmt.Errorf("validating transaction %d: %w", txIndex, err)
		}
	}
	decideIndex, decideErr := appendDecision(ctx, in.log, txIndex, valid)
	switch {
	case err != nil:
		return txIndex, false, err
	case decideErr != nil:
		return txIndex, false, fmt.Errorf("deciding transaction %d (outcome unknown; the request can be retried): %w", txIndex, decideErr)
	case !valid:
		return txIndex, false, nil
	}
	committed, err = outcome(ctx, in.log, txIndex, decideIndex)
	return txIndex, committed, err
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

// appendTx appends the transaction tx, refusing an entry over
// MaxEntryBytes.
func appendTx(ctx context.Context, log Log, tx *wire.UpdateTx) (uint64, error) {
	data, err := logentry.Encode(&wire.LogEntry{Command: &wire.LogEntry_Update{Update: tx}})
	if err != nil {
		return 0, err
	}
	if len(data) > MaxEntryBytes {
		return 0, fmt.Errorf("%w: %d bytes, limit %d: split the request", ErrTooLarge, len(data), MaxEntryBytes)
	}
	return appendOne(ctx, log, data)
}

// appendDecision appends a commit or an abort of the transaction at tx.
func appendDecision(ctx context.Context, log Log, tx uint64, commit bool) (uint64, error) {
	data, err := logentry.EncodeDecision(tx, commit)
	if err != nil {
		return 0, err
	}
	return appendOne(ctx, log, data)
}

// appendOne appends one entry and returns its index.
func appendOne(ctx context.Context, log Log, data []byte) (uint64, error) {
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
		if d, ok := logentry.DecisionOf(index, data); ok && d.Tx == txIndex {
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
