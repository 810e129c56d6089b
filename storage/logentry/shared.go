package logentry

import (
	"bytes"
	"sync"

	"github.com/akutan-dev/akutan/storage"
)

// SharedReplay lets the views of one process (`akutan local` runs eight)
// decode each log entry once instead of once each. Every view must still
// apply the Effect of every entry, but the Effect depends only on the
// entry's bytes and the format versions the reader accepts, so views that
// read the same bytes under the same maxVersion can share one: decoding
// was 18% of a bulk load's CPU in akutan local, eight decodes of every
// fact.
//
// A shared Effect holds every inserted fact (Replay with keepEvery); a view
// skips the facts outside its range when it applies them, as it would
// skip them when decoding. Effects are read-only once shared.
//
// Each entry is decoded by the first view to ask for it and kept until
// every view has taken it, or until newer entries push it out (a view that
// falls far behind decodes what it reads itself). The bytes a view passes
// are compared with the ones decoded, so sharing never relies on the views
// reading the same log.
type SharedReplay struct {
	readers    int    // views sharing it
	maxVersion uint32 // the format versions every reader accepts
	maxFacts   int    // bound on the inserted facts held

	mu      sync.Mutex
	entries map[uint64]*sharedEntry
	facts   int // inserted facts held in entries
}

type sharedEntry struct {
	once   sync.Once
	data   []byte
	fx     Effect
	err    error
	taken  int // readers that have had it
	facts  int // counted in SharedReplay.facts once decoded
	counts bool
}

// DefaultSharedFacts bounds the decoded facts a SharedReplay holds: about
// 50 MB of facts, 26 entries of the 10,000 facts `akutan insert` sends.
const DefaultSharedFacts = 1 << 18

// sharedMaxEntries bounds the entries a SharedReplay holds, whatever
// their facts: a view that never reads some entries (one that loaded its
// store from peers past them) would otherwise leave the entries without
// facts (decisions, version changes) held for good.
const sharedMaxEntries = 1024

// NewSharedReplay returns a SharedReplay for readers views that read
// format versions up to maxVersion, holding at most maxFacts inserted
// facts (0: DefaultSharedFacts).
func NewSharedReplay(readers int, maxVersion uint32, maxFacts int) *SharedReplay {
	if maxFacts <= 0 {
		maxFacts = DefaultSharedFacts
	}
	return &SharedReplay{readers: readers, maxVersion: maxVersion, maxFacts: maxFacts, entries: map[uint64]*sharedEntry{}}
}

// Replay returns Replay(index, data, maxVersion, keepEvery), decoded once for
// all readers. Readers with another maxVersion decode alone.
func (s *SharedReplay) Replay(index uint64, data []byte, maxVersion uint32) (Effect, error) {
	if maxVersion != s.maxVersion {
		return Replay(index, data, maxVersion, keepEvery)
	}
	s.mu.Lock()
	e, ok := s.entries[index]
	if !ok {
		e = &sharedEntry{data: data}
		s.entries[index] = e
	}
	s.mu.Unlock()
	e.once.Do(func() { e.fx, e.err = Replay(index, e.data, maxVersion, keepEvery) })
	if !bytes.Equal(e.data, data) {
		return Replay(index, data, maxVersion, keepEvery)
	}
	s.taken(index, e)
	return e.fx, e.err
}

// taken records that a reader has had e, dropping it once all have, and
// drops the oldest entries while too many facts or entries are held.
func (s *SharedReplay) taken(index uint64, e *sharedEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries[index] != e {
		return // pushed out already
	}
	if !e.counts {
		e.counts, e.facts = true, len(e.fx.Inserts)
		s.facts += e.facts
	}
	e.taken++
	if e.taken >= s.readers {
		s.drop(index)
	}
	for (s.facts > s.maxFacts || len(s.entries) > sharedMaxEntries) && len(s.entries) > 1 {
		oldest := index
		for i := range s.entries {
			oldest = min(oldest, i)
		}
		if oldest == index {
			break // only newer entries remain besides this one
		}
		s.drop(oldest)
	}
}

// drop forgets the entry at index.
func (s *SharedReplay) drop(index uint64) {
	if e := s.entries[index]; e.counts {
		s.facts -= e.facts
	}
	delete(s.entries, index)
}

// keepEvery keeps every inserted fact: a shared Effect serves views of
// every range.
func keepEvery(storage.Fact) bool { return true }
