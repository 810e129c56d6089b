package engine

import (
	"context"
	"sync"
)

// Names is a cache of entity names that many queries share, in both
// query languages, so that a query does not ask the views again for the
// names the queries before it resolved: the constants of its patterns
// (external name to KID) and the entities of its answers (KID to name).
// On LUBM-10 that round trip was a quarter of a small query's time, and
// naming the 75,547 answers of Q14 in the Akutan language more than half
// of it (docs/benchmarks.md).
//
// It holds the names as of one log index: what a name denotes is fixed
// at an index, but not across indexes (a fact `<kid> <HasExternalID>
// "name"` may be deleted, and the name given to a new entity). A query at
// another index starts it afresh, so writes empty it as often as they
// move the index queries read at. Its entries are capped: when adding
// would take it over its limit, it is emptied first.
//
// It also keeps, for the same index, small decisions a query took about
// the data (Recall, Remember): the SPARQL evaluator's choice to move a
// check to the end of its BGP, which a query otherwise samples to decide.
//
// It assumes the log an index names is the one it saw there: a process
// serving queries must be restarted when its cluster is restored from a
// backup (akutan local always is: the restore starts a new one).
//
// A nil *Names caches nothing: its methods resolve through the views.
type Names struct {
	limit int

	mu    sync.Mutex
	index uint64
	kids  map[string]uint64  // external name -> its entity; 0: none
	names map[uint64]kidName // entity -> its name, if any
	memo  map[string]bool    // decisions at index (Remember)
}

// kidName is what an entity is called: named is false for an entity
// without a name.
type kidName struct {
	name  string
	named bool
}

// NewNames returns an empty cache of at most limit names each way.
func NewNames(limit int) *Names { return &Names{limit: max(limit, 1)} }

// ResolveNames is the package's ResolveNames, answering from the cache
// the names it holds for index and resolving (then keeping) the others.
func (n *Names) ResolveNames(ctx context.Context, v Views, index uint64, names []string) (map[string]uint64, error) {
	if n == nil {
		return ResolveNames(ctx, v, index, names)
	}
	return resolveThrough(n, index, names,
		func(name string) (kid uint64, found, cached bool) {
			kid, cached = n.kids[name]
			return kid, kid != 0, cached
		},
		func(missing []string) (map[string]uint64, error) { return ResolveNames(ctx, v, index, missing) },
		func(name string, kid uint64, found bool) { n.rememberLocked(name, kid, found) })
}

// ResolveKIDs is the package's ResolveKIDs, answering from the cache the
// KIDs it holds for index and resolving (then keeping) the others.
func (n *Names) ResolveKIDs(ctx context.Context, v Views, index uint64, kids []uint64) (map[uint64]string, error) {
	if n == nil {
		return ResolveKIDs(ctx, v, index, kids)
	}
	return resolveThrough(n, index, kids,
		func(kid uint64) (name string, found, cached bool) {
			if kid == 0 {
				return "", false, true // no entity: no name, as ResolveKIDs answers
			}
			kn, cached := n.names[kid]
			return kn.name, kn.named, cached
		},
		func(missing []uint64) (map[uint64]string, error) { return ResolveKIDs(ctx, v, index, missing) },
		func(kid uint64, name string, named bool) { n.rememberLocked(name, kid, named) })
}

// resolveThrough answers keys from n's cache at index, resolves the ones
// it lacks in one call and records what that found. cached (called under
// n's lock) reports whether the cache answers k, and with what: found is
// false for a name without an entity or an entity without a name, which
// the answer leaves out. record (under the lock too) keeps a resolution.
func resolveThrough[K comparable, V any](n *Names, index uint64, keys []K,
	cached func(k K) (v V, found, ok bool),
	resolve func(missing []K) (map[K]V, error),
	record func(k K, v V, found bool)) (map[K]V, error) {
	out := make(map[K]V, len(keys))
	var missing []K
	n.mu.Lock()
	n.atLocked(index)
	for _, k := range keys {
		v, found, ok := cached(k)
		switch {
		case !ok:
			missing = append(missing, k)
		case found:
			out[k] = v
		}
	}
	n.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	got, err := resolve(missing)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.atLocked(index)
	n.makeRoomLocked(len(missing))
	for _, k := range missing {
		v, found := got[k]
		if found {
			out[k] = v
		}
		record(k, v, found)
	}
	return out, nil
}

// Recall returns the decision kept under key at index, if any.
func (n *Names) Recall(index uint64, key string) (value, ok bool) {
	if n == nil {
		return false, false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.atLocked(index)
	value, ok = n.memo[key]
	return value, ok
}

// Remember keeps a decision under key at index (a bounded number: when
// full, the decisions are dropped).
func (n *Names) Remember(index uint64, key string, value bool) {
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

// atLocked readies the cache for index, emptying it if it held another
// index's names.
func (n *Names) atLocked(index uint64) {
	if n.kids == nil || n.index != index {
		n.index = index
		n.kids = map[string]uint64{}
		n.names = map[uint64]kidName{}
		n.memo = map[string]bool{}
	}
}

// rememberLocked records what a resolution found: that name denotes kid
// (found), or nothing; that kid is called name (found), or nothing. An
// entity has one name and a name one entity (the update path keeps it
// so), so each answer fills both ways; what is recorded first stays.
func (n *Names) rememberLocked(name string, kid uint64, found bool) {
	switch {
	case found:
		if _, ok := n.kids[name]; !ok {
			n.kids[name] = kid
		}
		if _, ok := n.names[kid]; !ok {
			n.names[kid] = kidName{name: name, named: true}
		}
	case kid != 0: // a KID without a name
		if _, ok := n.names[kid]; !ok {
			n.names[kid] = kidName{}
		}
	default: // a name without an entity
		if _, ok := n.kids[name]; !ok {
			n.kids[name] = 0
		}
	}
}

// makeRoomLocked empties the cache if adding more entries each way would
// take it over its limit.
func (n *Names) makeRoomLocked(more int) {
	if len(n.kids)+more > n.limit || len(n.names)+more > n.limit {
		clear(n.kids)
		clear(n.names)
	}
}
