package viewgraph

import (
	"sync"

	"github.com/akutan-dev/akutan/query/rdf"
)

// Names is a cache of entity names that the Graphs of many queries share
// (WithNames), so that a query does not look up again, with a round trip
// to the views, the names that the one before it resolved: the constants
// of its patterns and the entities of its answers. On LUBM-10 that round
// trip was a quarter of a small query's time (Q1: 0.85 ms, and 0.63 ms
// with the names shared).
//
// It holds the names as of one log index: what a name denotes is fixed
// at an index, but not across indexes (a fact `<kid> <HasExternalID>
// "name"` may be deleted, and the name given to a new entity). A Graph at
// another index starts it afresh, so writes empty it as often as they
// move the index queries read at. Its entries are capped: when adding
// would take it over its limit, it is emptied first. A Graph still keeps
// its own names for its query (which an update needs, see KID); Names
// only answers what the Graph would otherwise ask the views.
//
// It also keeps, for the same index, the evaluator's decisions about the
// data (eval.Memo, through Graph's Recall and Remember): whether a check
// of a BGP moves to its end, which a query otherwise samples to decide.
//
// It assumes the log an index names is the one it saw there: a process
// serving queries must be restarted when its cluster is restored from a
// backup (akutan local always is: the restore starts a new one).
type Names struct {
	limit int

	mu    sync.Mutex
	index uint64
	terms map[uint64]rdf.Term // entity KID -> its term
	kids  map[rdf.Term]uint64 // IRI or blank node -> its KID; 0: none
	// memo holds the evaluator's decisions about the data at index
	// (eval.Memo), which the Graphs that share these names share too.
	memo map[string]bool
}

// NewNames returns an empty cache of at most limit names each way.
func NewNames(limit int) *Names { return &Names{limit: max(limit, 1)} }

// WithNames makes the Graph consult shared names before the views, and
// add what it resolves to them.
func WithNames(n *Names) Option { return func(g *Graph) { g.shared = n } }

// atLocked readies the cache for index, emptying it if it held another
// index's names.
func (n *Names) atLocked(index uint64) {
	if n.terms == nil || n.index != index {
		n.index = index
		n.terms = map[uint64]rdf.Term{}
		n.kids = map[rdf.Term]uint64{}
		n.memo = map[string]bool{}
	}
}

// recall returns the decision kept under key at index, if any.
func (n *Names) recall(index uint64, key string) (value, ok bool) {
	if n == nil {
		return false, false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.atLocked(index)
	value, ok = n.memo[key]
	return value, ok
}

// remember keeps a decision under key at index (a bounded number: when
// full, the decisions are dropped).
func (n *Names) remember(index uint64, key string, value bool) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.atLocked(index)
	if len(n.memo) >= maxMemo {
		clear(n.memo)
	}
	n.memo[key] = value
}

// maxMemo bounds the decisions Names keeps.
const maxMemo = 10_000

// Recall implements eval.Memo through the Graph's shared names (WithNames):
// the decisions of queries at the Graph's index; none without them.
func (g *Graph) Recall(key string) (value, ok bool) { return g.shared.recall(g.index, key) }

// Remember implements eval.Memo (see Recall).
func (g *Graph) Remember(key string, value bool) { g.shared.remember(g.index, key, value) }

// knownKIDs calls found for each term whose KID the cache holds at index
// and returns the others.
func (n *Names) knownKIDs(index uint64, terms []rdf.Term, found func(rdf.Term, uint64)) []rdf.Term {
	return known(n, index, terms, func() map[rdf.Term]uint64 { return n.kids }, found)
}

// knownTerms calls found for each KID whose term the cache holds at index
// and returns the others.
func (n *Names) knownTerms(index uint64, kids []uint64, found func(uint64, rdf.Term)) []uint64 {
	return known(n, index, kids, func() map[uint64]rdf.Term { return n.terms }, found)
}

// known calls found for each of keys that the map of n at index (table,
// called under n's lock) holds, and returns the others.
func known[K comparable, V any](n *Names, index uint64, keys []K, table func() map[K]V, found func(K, V)) []K {
	if n == nil {
		return keys
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.atLocked(index)
	m := table()
	var missing []K
	for _, k := range keys {
		if v, ok := m[k]; ok {
			found(k, v)
		} else {
			missing = append(missing, k)
		}
	}
	return missing
}

// entityName is an entity and its term (kid 0: the term denotes none).
type entityName struct {
	kid uint64
	t   rdf.Term
}

// add records the names resolved at index.
func (n *Names) add(index uint64, names []entityName) {
	if n == nil || len(names) == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.atLocked(index)
	n.makeRoomLocked(len(names))
	for _, e := range names {
		n.rememberLocked(e.kid, e.t)
	}
}

// rememberLocked records that t denotes kid (0: nothing), both ways;
// what is recorded first stays, as in a Graph's own cache.
func (n *Names) rememberLocked(kid uint64, t rdf.Term) {
	if _, ok := n.kids[t]; !ok {
		n.kids[t] = kid
	}
	if _, ok := n.terms[kid]; !ok && kid != 0 {
		n.terms[kid] = t
	}
}

// makeRoomLocked empties the cache if adding more entries each way would
// take it over its limit.
func (n *Names) makeRoomLocked(more int) {
	if len(n.terms)+more > n.limit || len(n.kids)+more > n.limit {
		clear(n.terms)
		clear(n.kids)
	}
}
