package changefeed

import (
	"context"
	"errors"
	"fmt"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql/viewgraph"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/logarchive"
	"github.com/akutan-dev/akutan/wire"
)

// Log is what the feed reads: a *logclient.Client.
type Log interface {
	Info(ctx context.Context, linearizable bool) (*wire.InfoReply, error)
	Read(ctx context.Context, start uint64, fn func(index uint64, data []byte) error) error
}

var _ Log = (*logclient.Client)(nil)

// ErrBeforeFirst is the error of a feed asked to start below the log's
// first retained index: the entries it needs were truncated.
type ErrBeforeFirst struct {
	From, First uint64
	// Archive, when set, says where the truncated entries are kept (see
	// ArchiveNote).
	Archive string
}

func (e *ErrBeforeFirst) Error() string {
	msg := fmt.Sprintf("the changes after log index %d are no longer in the log: its first retained index is %d, so the feed can start from index %d or later",
		e.From, e.First, e.First-1)
	if e.Archive != "" {
		return msg + "; " + e.Archive
	}
	return msg + " (restore the earlier state from a backup or an export)"
}

// ArchiveNote describes what the log archive in dir holds, for an
// ErrBeforeFirst: the range of entries and the directory, or why it
// cannot be read.
func ArchiveNote(dir string) string {
	segs, err := logarchive.List(dir)
	switch {
	case err != nil:
		return fmt.Sprintf("the log archive %s cannot be read: %v", dir, err)
	case len(segs) == 0:
		return fmt.Sprintf("the log archive %s holds no entries", dir)
	}
	return fmt.Sprintf("the log archive %s holds entries %d to %d (storage/logarchive segments)", dir, segs[0].First, segs[len(segs)-1].Last)
}

// Request is one run of the feed.
type Request struct {
	// From is the index after which the feed starts: the tag of the last
	// patch the consumer processed, or 0 for the whole log.
	From uint64
	// Follow keeps tailing the log; otherwise Run stops after the
	// transactions at or below the log's last index at its start.
	Follow bool
	// MaxVersion is the newest log format to read (0: all this binary
	// reads).
	MaxVersion uint32
}

// nameCacheLimit bounds the names a feed remembers.
const nameCacheLimit = 1 << 20

// errDone stops the log's Read once a feed without Follow is complete.
var errDone = errors.New("feed complete")

// Run delivers the committed transactions after req.From, in order, as
// patches to emit (see the package documentation), naming entities
// through views. A feed without Follow that is complete returns the log's
// last index at its start (every transaction through it was delivered or
// aborted, so a consumer resumes from there) and nil. Otherwise it
// returns the tag of the last patch delivered (or req.From) and the error
// that stopped it: emit's, ctx's, an *ErrBeforeFirst, or the log's or the
// views'.
func Run(ctx context.Context, log Log, views engine.Views, req Request, emit func(Patch) error) (uint64, error) {
	info, err := log.Info(ctx, true)
	if err != nil {
		return req.From, fmt.Errorf("starting the change feed: %w", err)
	}
	first := max(info.FirstIndex, 1)
	if req.From+1 < first {
		return req.From, &ErrBeforeFirst{From: req.From, First: first}
	}
	last := info.LastIndex
	if !req.Follow && req.From >= last {
		return req.From, nil
	}
	seq := NewSequencer(req.MaxVersion)
	n := &namer{views: views, terms: map[uint64]rdf.Term{}}
	delivered := req.From
	err = log.Read(ctx, req.From+1, func(index uint64, data []byte) error {
		txs, err := seq.Add(index, data)
		if err != nil {
			return fmt.Errorf("reading log entry %d: %w", index, err)
		}
		for _, tx := range txs {
			if !req.Follow && tx.Index > last {
				return errDone
			}
			p, err := n.patch(ctx, tx)
			if err != nil {
				return err
			}
			if len(p.Adds)+len(p.Deletes) > 0 {
				if err := emit(p); err != nil {
					return err
				}
			}
			delivered = tx.Index
		}
		if !req.Follow && index >= last {
			if oldest, ok := seq.Oldest(); !ok || oldest > last {
				return errDone
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, errDone):
		// Every transaction through last was delivered or aborted: a
		// consumer resumes from last.
		return max(delivered, last), nil
	case errors.Is(err, logclient.ErrTruncated):
		if info, ierr := log.Info(ctx, false); ierr == nil && delivered+1 < info.FirstIndex {
			return delivered, &ErrBeforeFirst{From: delivered, First: info.FirstIndex}
		}
	}
	return delivered, err
}

// namer names the facts of transactions as RDF, caching entity names.
type namer struct {
	views engine.Views
	terms map[uint64]rdf.Term
}

// patch names tx's visible facts. The cache is emptied, when full, only
// before a transaction, so that it holds every name the transaction needs
// until its patch is made.
func (n *namer) patch(ctx context.Context, tx Tx) (Patch, error) {
	p := Patch{Index: tx.Index}
	if len(n.terms) >= nameCacheLimit {
		clear(n.terms)
	}
	// A new entity's name is in the transaction itself.
	for _, f := range tx.Inserts {
		if f.Predicate == storage.KIDHasExternalID && f.Object.Kind == storage.KindString && f.Subject>>storage.OffsetBits == tx.Index {
			if _, ok := n.terms[f.Subject]; !ok {
				n.terms[f.Subject] = viewgraph.EntityTerm(f.Subject, f.Object.Str, true)
			}
		}
	}
	var missing []uint64
	asked := map[uint64]bool{}
	need := func(kid uint64) {
		if _, ok := n.terms[kid]; !ok && !asked[kid] {
			asked[kid] = true
			missing = append(missing, kid)
		}
	}
	visible := func(facts []storage.Fact) []storage.Fact {
		var out []storage.Fact
		for _, f := range facts {
			if viewgraph.Visible(f) {
				out = append(out, f)
				need(f.Subject)
				need(f.Predicate)
				if f.Object.Kind == storage.KindEntity {
					need(f.Object.Entity)
				}
			}
		}
		return out
	}
	deletes, inserts := visible(tx.Deletes), visible(tx.Inserts)
	terms := make(map[uint64]rdf.Term, len(missing))
	if len(missing) > 0 {
		// Entities created by this transaction without a name have none;
		// the others are named as of the index before it.
		var old []uint64
		for _, kid := range missing {
			if kid>>storage.OffsetBits == tx.Index {
				terms[kid] = viewgraph.EntityTerm(kid, "", false)
			} else {
				old = append(old, kid)
			}
		}
		if len(old) > 0 {
			names, err := engine.ResolveKIDs(ctx, n.views, max(tx.Index-1, 1), old)
			if err != nil {
				return Patch{}, fmt.Errorf("naming the entities of the transaction at log index %d: %w", tx.Index, err)
			}
			for _, kid := range old {
				name, named := names[kid]
				terms[kid] = viewgraph.EntityTerm(kid, name, named)
			}
		}
		for kid, t := range terms {
			n.terms[kid] = t
		}
	}
	term := func(kid uint64) rdf.Term { return n.terms[kid] }
	triple := func(f storage.Fact) rdf.Triple {
		t := rdf.Triple{S: term(f.Subject), P: term(f.Predicate)}
		if f.Object.Kind == storage.KindEntity {
			t.O = term(f.Object.Entity)
		} else {
			t.O = rdf.ObjectTerm(f.Object)
		}
		return t
	}
	for _, f := range deletes {
		p.Deletes = append(p.Deletes, triple(f))
	}
	for _, f := range inserts {
		p.Adds = append(p.Adds, triple(f))
	}
	return p, nil
}
