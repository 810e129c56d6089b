package viewstore

import (
	"sync"
	"sync/atomic"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/akutan-dev/akutan/storage"
)

// The row cache keeps the decoded keys of recently looked-up prefixes (an
// S, SP, SPO, P or PO lookup's key prefix), so that a repeated lookup
// skips LevelDB. A seek in LevelDB costs 3.5-6 µs of CPU even with every
// block cached (it binary-searches the memtable and one table per level,
// and opens each table's block iterators anew), and a query like LUBM's
// Q2 makes hundreds of them: the views' seeks were 40% of its CPU.
//
// Correctness rests on one rule: the cache only ever holds rows read from
// the store's current contents. Every write that lookups can see starts a
// new generation after it reaches LevelDB and drops the prefixes it
// changes: an Apply (including transaction decisions) drops the lookup
// prefixes of each key it writes, a Loader's batch empties the cache. A
// lookup that missed adds its rows only if the generation it read under
// (taken before its iterator was opened) is still the current one, so no
// rows read before a write are added after it. Rows hold every version of
// every key under the prefix, so a lookup at any index up to Applied
// filters them exactly as a scan of the store would (visibleRows). A bulk
// load gains nothing from the cache: its batches hold more keys than the
// cache holds prefixes, so each empties it.

// cachedRowsPerPrefix is the most rows a prefix may have and be cached:
// the cache is for point lookups, not for a predicate's whole list.
const cachedRowsPerPrefix = 256

// defaultCacheSlots bounds one store's cache, in slots: a slot per row
// (184 bytes) and per prefix (its string and map entry, about 80 bytes).
// That is 6 MB per view at most when the prefixes hold a row or more, 2.6
// MB when they are all empty; 48 MB at most for akutan local's eight.
const defaultCacheSlots = 1 << 15

// row is one decoded key: a version of a fact (its Index) and whether that
// version is a deletion tombstone.
type row struct {
	fact    storage.Fact
	deleted bool
}

// rowCache maps a lookup's key prefix to its rows in key order.
type rowCache struct {
	mu      sync.RWMutex
	gen     uint64
	slots   int // held: a slot per prefix and per row (see slots)
	max     int
	byScope map[string][]row
	hits    atomic.Uint64 // lookups answered from the cache
}

// slots is what caching a prefix with rows costs against the bound: a row
// each, and one for the prefix itself, so that empty answers (the most
// common kind, as a lookup of a name not yet created) are bounded too.
func slots(rows []row) int { return len(rows) + 1 }

func newRowCache(max int) *rowCache {
	return &rowCache{max: max, byScope: map[string][]row{}}
}

// generation returns the current generation; take it before opening the
// iterator whose rows may be added.
func (c *rowCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// get returns the cached rows of prefix, if any.
func (c *rowCache) get(prefix []byte) ([]row, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	rows, ok := c.byScope[string(prefix)]
	if ok {
		c.hits.Add(1)
	}
	return rows, ok
}

// add caches the rows of prefix read at generation gen, unless the store
// has been written since. When full, it drops other prefixes (in map
// order, which is random) to make room.
func (c *rowCache) add(gen uint64, prefix []byte, rows []row) {
	need := slots(rows)
	if need > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if _, ok := c.byScope[string(prefix)]; ok {
		return
	}
	for scope, old := range c.byScope {
		if c.slots+need <= c.max {
			break
		}
		c.drop(scope, old)
	}
	c.byScope[string(prefix)] = rows
	c.slots += need
}

// CachedLookups counts the lookups the store answered from its row cache.
func (s *Store) CachedLookups() uint64 { return s.rows.hits.Load() }

// invalidate empties the cache and starts a new generation; call it after
// every write that lookups can see has reached LevelDB.
func (c *rowCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.reset()
}

// invalidateWrites is invalidate for a write of batch, but drops only the
// prefixes whose lookups the batch's keys change (storage.EachLookupPrefix),
// so that the cache stays useful while writes stream in. A batch of more
// keys than the cache holds prefixes empties it instead: that is cheaper.
func (c *rowCache) invalidateWrites(batch *leveldb.Batch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	switch {
	case len(c.byScope) == 0:
	case batch.Len() > len(c.byScope):
		c.reset()
	default:
		if err := batch.Replay(prefixDropper{c}); err != nil {
			c.reset() // cannot happen for a batch that was written
		}
	}
}

// drop forgets the cached rows of scope; c.mu must be held.
func (c *rowCache) drop(scope string, rows []row) {
	delete(c.byScope, scope)
	c.slots -= slots(rows)
}

// reset empties the cache; c.mu must be held.
func (c *rowCache) reset() {
	if len(c.byScope) > 0 { // empty answers are cached too
		// A new map: clearing one costs its size at its largest.
		c.byScope = map[string][]row{}
		c.slots = 0
	}
}

// prefixDropper drops the cached prefixes of each key a batch writes;
// the cache's mu must be held.
type prefixDropper struct{ c *rowCache }

func (d prefixDropper) Put(key, _ []byte) { d.Delete(key) }

func (d prefixDropper) Delete(key []byte) {
	storage.EachLookupPrefix(key, func(prefix []byte) {
		if old, ok := d.c.byScope[string(prefix)]; ok {
			d.c.drop(string(prefix), old)
		}
	})
}

// visibleRows turns rows in key order into the facts visible at index, as
// a scan of the store does: a fact's newest version at or below index
// decides, and is skipped if it is a tombstone or keep rejects it. A
// store's keys sort a fact's versions together, oldest first.
type visibleRows struct {
	index   uint64
	keep    func(storage.Fact) bool
	fn      func(storage.Fact) error
	pending row
	have    bool
}

// add takes the next row in key order.
func (v *visibleRows) add(r row) error {
	if v.have && r.fact.ID != v.pending.fact.ID {
		if err := v.flush(); err != nil {
			return err
		}
		v.have = false
	}
	if r.fact.Index <= v.index {
		v.pending, v.have = r, true
	}
	return nil
}

// flush passes on the fact being looked at, if visible; call it after the
// last row.
func (v *visibleRows) flush() error {
	if v.have && !v.pending.deleted && v.keep(v.pending.fact) {
		return v.fn(v.pending.fact)
	}
	return nil
}
