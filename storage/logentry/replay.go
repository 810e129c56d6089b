package logentry

import (
	"fmt"

	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// Effect is what one log entry does to a view: the replay rule. Every view
// applies the Effect of every entry in log order, and replicas agree only
// because they all compute the same Effect from the same bytes, so this
// is the one place that decides it.
type Effect struct {
	Index uint64
	// Inserts are the facts the entry creates; a view may drop the ones
	// outside its range (see Replay's keep).
	Inserts []storage.Fact
	// Deletes are the facts the entry deletes: each gets a tombstone at
	// Index.
	Deletes []storage.Fact
	// Pending holds Inserts and Deletes back until a later entry decides
	// the transaction (see Decision).
	Pending bool
	// Decide, when set, decides the pending transaction at Decide.Tx.
	Decide *Decision
	// Version, when not 0, is the log format version the entry switches to.
	Version uint32
}

// Decision commits or aborts the pending transaction started at index Tx.
// Only the first decision for a transaction counts: the view holding it
// pending applies or drops it, and later decisions (a timer's abort racing
// the client's commit) find nothing pending and change nothing.
type Decision struct {
	Tx     uint64
	Commit bool
}

// UnsupportedVersionError stops a view at an entry that switches the log to
// a format version it cannot read: skipping the entry would let it diverge
// from views that can.
type UnsupportedVersionError struct {
	Index               uint64
	Version, MaxVersion uint32
}

func (e *UnsupportedVersionError) Error() string {
	return fmt.Sprintf("log entry %d switches to log format version %d, but this server supports versions %d to %d: upgrade it",
		e.Index, e.Version, FirstVersion, e.MaxVersion)
}

// Replay returns the Effect of the entry data at index on a view that
// reads log format versions up to maxVersion and keeps the inserted facts
// for which keep returns true (it may be given every fact anyway; keep
// only saves building the others).
//
// The rule:
//   - An insert creates its facts.
//   - An update deletes and creates its facts. It commits by itself when
//     it lands right after the index it was read at (nothing can have
//     changed in between); otherwise it is Pending until a decision.
//   - A decision decides an earlier transaction; one naming its own or a
//     later index decides nothing.
//   - A version change switches the format, or, beyond maxVersion, is an
//     *UnsupportedVersionError: the view must stop.
//   - A malformed entry (one the log should have refused) changes nothing,
//     identically on every view.
func Replay(index uint64, data []byte, maxVersion uint32, keep func(storage.Fact) bool) (Effect, error) {
	fx := Effect{Index: index}
	if in, ok := DecodeInserts(index, data, keep); ok {
		fx.Inserts = in.Facts
		fx.Pending = in.Update && !(Tx{Index: index, ReadIndex: in.ReadIndex}).AutoCommits()
		return fx, nil
	}
	e, err := Decode(data)
	if err != nil {
		return fx, nil
	}
	switch c := e.Command.(type) {
	case *wire.LogEntry_Version:
		v := c.Version.GetVersion()
		if v > maxVersion {
			return Effect{}, &UnsupportedVersionError{Index: index, Version: v, MaxVersion: maxVersion}
		}
		fx.Version = v
	case *wire.LogEntry_Insert:
		if facts, err := InsertedFacts(index, c.Insert); err == nil {
			fx.Inserts = facts
		}
	case *wire.LogEntry_Update:
		if tx, err := UpdateFacts(index, c.Update); err == nil {
			fx.Inserts, fx.Deletes, fx.Pending = tx.Inserts, tx.Deletes, !tx.AutoCommits()
		}
	case *wire.LogEntry_Decide:
		fx.Decide = decision(index, c.Decide)
	}
	return fx, nil
}

// decision is what the decision d at index decides, or nil.
func decision(index uint64, d *wire.Decide) *Decision {
	if d == nil || d.TxIndex >= index {
		return nil
	}
	return &Decision{Tx: d.TxIndex, Commit: d.Commit}
}

// DecisionOf returns the decision that the entry data at index carries,
// exactly as Replay reads it; ok is false for any other entry. Inserts
// and updates are turned away without decoding them, so that a writer can
// scan the log for its transaction's decision cheaply.
func DecisionOf(index uint64, data []byte) (d Decision, ok bool) {
	if num, _, only := onlyField(data); only && num != logEntryDecide {
		return Decision{}, false
	}
	e, err := Decode(data)
	if err != nil {
		return Decision{}, false
	}
	if p := decision(index, e.GetDecide()); p != nil {
		return *p, true
	}
	return Decision{}, false
}

// EncodeDecision returns the entry that decides the transaction at tx.
func EncodeDecision(tx uint64, commit bool) ([]byte, error) {
	return Encode(&wire.LogEntry{Command: &wire.LogEntry_Decide{Decide: &wire.Decide{TxIndex: tx, Commit: commit}}})
}
