package changefeed

import (
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/logentry"
)

// Tx is one committed transaction.
type Tx struct {
	// Index is the log index of the transaction's entry: its place in the
	// feed and its tag.
	Index uint64
	// Decided is the index at which it was known committed: Index for
	// transactions that commit by themselves, the decision's otherwise.
	Decided uint64
	Deletes []storage.Fact
	Inserts []storage.Fact
}

// Sequencer reads log entries, in log order, and releases the committed
// transactions in order of their entries' indexes (see the package
// documentation). It is not safe for concurrent use.
type Sequencer struct {
	maxVersion uint32
	// queue holds the transactions read and not yet released, in index
	// order; its head is undecided whenever it is not empty.
	queue []*item
	// undecided maps the index of each undecided transaction to its item.
	undecided map[uint64]*item
}

type item struct {
	tx      Tx
	decided bool
	commit  bool
}

// NewSequencer returns a Sequencer for a log in format versions up to
// maxVersion (0: all this binary reads).
func NewSequencer(maxVersion uint32) *Sequencer {
	if maxVersion == 0 {
		maxVersion = logentry.MaxSupportedVersion
	}
	return &Sequencer{maxVersion: maxVersion, undecided: map[uint64]*item{}}
}

func keepAll(storage.Fact) bool { return true }

// Add reads the entry data at index (entries must come in log order) and
// returns the transactions it releases, in index order. Its error is a
// *logentry.UnsupportedVersionError: the feed must stop there, like a view.
func (s *Sequencer) Add(index uint64, data []byte) ([]Tx, error) {
	fx, err := logentry.Replay(index, data, s.maxVersion, keepAll)
	if err != nil {
		return nil, err
	}
	switch {
	case fx.Decide != nil:
		it := s.undecided[fx.Decide.Tx]
		if it == nil {
			return nil, nil // decided already, aborted, or before the feed's start
		}
		delete(s.undecided, fx.Decide.Tx)
		it.decided, it.commit, it.tx.Decided = true, fx.Decide.Commit, index
	case len(fx.Inserts) > 0 || len(fx.Deletes) > 0:
		it := &item{tx: Tx{Index: index, Deletes: fx.Deletes, Inserts: fx.Inserts}}
		if fx.Pending {
			s.undecided[index] = it
		} else {
			it.decided, it.commit, it.tx.Decided = true, true, index
		}
		s.queue = append(s.queue, it)
	default:
		return nil, nil
	}
	return s.release(), nil
}

// release pops the decided head of the queue, keeping the committed.
func (s *Sequencer) release() []Tx {
	var out []Tx
	n := 0
	for ; n < len(s.queue) && s.queue[n].decided; n++ {
		if s.queue[n].commit {
			out = append(out, s.queue[n].tx)
		}
		s.queue[n] = nil
	}
	s.queue = s.queue[n:]
	return out
}

// Oldest returns the index of the oldest transaction not yet released
// (undecided, or decided behind an undecided one); ok is false when every
// transaction read so far was released.
func (s *Sequencer) Oldest() (index uint64, ok bool) {
	if len(s.queue) == 0 {
		return 0, false
	}
	return s.queue[0].tx.Index, true
}
