package viewstore

import (
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"testing"

	"github.com/akutan-dev/akutan/storage"
)

// Cached lookups of every kind answer exactly what a fresh scan of the
// store answers, through inserts, deletes, pending transactions and their
// decisions (each write dropping only the prefixes it changes), for
// lookups at every index, from new Readers and from one opened long before
// (asked only as of indexes its snapshot covers, as a view's service
// does).
func TestRowCacheAnswersAsTheStore(t *testing.T) {
	for _, space := range []byte{storage.KeyPrefixSP, storage.KeyPrefixPO} {
		st, err := Open(t.TempDir(), fullRange(space))
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewSource(int64(space)))
		var live []storage.Fact // inserted and not deleted
		var pending []uint64
		nextID := uint64(1)
		var old *Reader
		var oldAt uint64
		for round := 0; round < 300; round++ {
			if round == 50 {
				old, oldAt = st.NewReader(), st.Applied()
				old.iterator()
			}
			index := st.Applied() + 1
			c := Change{Index: index}
			switch k := rng.Intn(10); {
			case k < 5:
				for i := rng.Intn(4); i >= 0; i-- {
					f := fact(index, nextID, uint64(1+rng.Intn(4)), uint64(1+rng.Intn(3)), storage.AEntity(uint64(1+rng.Intn(3))))
					nextID++
					c.Inserts = append(c.Inserts, f)
				}
				if rng.Intn(4) == 0 {
					c.Pending = true
					pending = append(pending, index)
				} else {
					live = append(live, c.Inserts...)
				}
			case k < 7 && len(live) > 0:
				i := rng.Intn(len(live))
				gone := live[i]
				gone.Index = index // a tombstone carries the deleting entry's index
				c.Deletes = []storage.Fact{gone}
				live = append(live[:i], live[i+1:]...)
			case k < 9 && len(pending) > 0:
				i := rng.Intn(len(pending))
				c.Decide = &Decision{Tx: pending[i], Commit: rng.Intn(2) == 0}
				pending = append(pending[:i], pending[i+1:]...)
			}
			if err := st.Apply([]Change{c}); err != nil {
				t.Fatal(err)
			}

			fresh := st.NewReader()
			for look := 0; look < 20; look++ {
				at := uint64(1 + rng.Intn(int(st.Applied())))
				s, p, o := uint64(1+rng.Intn(4)), uint64(1+rng.Intn(3)), storage.AEntity(uint64(1+rng.Intn(3)))
				var prefix []byte
				var lookup func(r *Reader, fn func(storage.Fact) error) error
				switch kind := look % 4; {
				case kind == 3:
					prefix = []byte{space}
					lookup = func(r *Reader, fn func(storage.Fact) error) error { return r.Scan(at, fn) }
				case space == storage.KeyPrefixSP && kind == 0:
					prefix = storage.AppendSPPrefix(nil, s, p)
					lookup = func(r *Reader, fn func(storage.Fact) error) error { return r.LookupSP(at, s, p, fn) }
				case space == storage.KeyPrefixSP && kind == 1:
					prefix = storage.AppendSPrefix(nil, s)
					lookup = func(r *Reader, fn func(storage.Fact) error) error { return r.LookupS(at, s, fn) }
				case space == storage.KeyPrefixSP:
					prefix = storage.AppendSPOPrefix(nil, s, p, o)
					lookup = func(r *Reader, fn func(storage.Fact) error) error { return r.LookupSPO(at, s, p, o, fn) }
				case kind == 0 || kind == 1:
					prefix = storage.AppendPOPrefix(nil, p, o)
					lookup = func(r *Reader, fn func(storage.Fact) error) error { return r.LookupPO(at, p, o, fn) }
				default:
					prefix = storage.AppendPPrefix(nil, p)
					lookup = func(r *Reader, fn func(storage.Fact) error) error { return r.LookupP(at, p, fn) }
				}
				want, wantErr := gather(func(fn func(storage.Fact) error) error {
					return st.scan(at, prefix, storage.PrefixEnd(prefix), all, fn)
				})
				readers := map[string]*Reader{"fresh reader": fresh}
				if old != nil && at <= oldAt {
					readers["old reader"] = old
				}
				for name, r := range readers {
					got, err := gather(func(fn func(storage.Fact) error) error { return lookup(r, fn) })
					if !reflect.DeepEqual(err, wantErr) || !reflect.DeepEqual(got, want) {
						t.Fatalf("space %c round %d: %s's lookup of %x at %d = %v, %v; a fresh scan gives %v, %v",
							space, round, name, prefix, at, got, err, want, wantErr)
					}
				}
			}
			fresh.Release()
		}
		old.Release()
		if st.rows.hits.Load() == 0 {
			t.Fatalf("space %c: no lookup was answered from the cache", space)
		}
		st.Close()
	}
}

// errPending stands for any PendingError: which of several undecided
// transactions a lookup names is arbitrary.
var errPending = errors.New("pending")

func gather(lookup func(fn func(storage.Fact) error) error) ([]storage.Fact, error) {
	var out []storage.Fact
	err := lookup(func(f storage.Fact) error { out = append(out, f); return nil })
	var pe *PendingError
	if errors.As(err, &pe) {
		return nil, errPending
	}
	return out, err
}

// A Reader whose snapshot predates a write must not cache what it reads:
// the cache would then hide the write from every later lookup.
func TestStaleReaderDoesNotFillCache(t *testing.T) {
	st, err := Open(t.TempDir(), fullRange(storage.KeyPrefixSP))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Apply([]Change{{Index: 1, Inserts: []storage.Fact{fact(1, 10, 100, 200, storage.AInt64(5, 0))}}}); err != nil {
		t.Fatal(err)
	}
	r := st.NewReader()
	defer r.Release()
	if got := collect(t, func(fn func(storage.Fact) error) error { return r.LookupSP(1, 100, 200, fn) }); len(got) != 1 {
		t.Fatalf("lookup before the write = %v, want 1 fact", got)
	}
	if err := st.Apply([]Change{{Index: 2, Inserts: []storage.Fact{fact(2, 11, 101, 200, storage.AInt64(6, 0))}}}); err != nil {
		t.Fatal(err)
	}
	// r's snapshot holds nothing for subject 101; asked as of index 1 it
	// answers rightly, but its rows must not be kept.
	if got := collect(t, func(fn func(storage.Fact) error) error { return r.LookupSP(1, 101, 200, fn) }); len(got) != 0 {
		t.Fatalf("lookup as of 1 = %v, want none", got)
	}
	if got := collect(t, func(fn func(storage.Fact) error) error { return st.LookupSP(2, 101, 200, fn) }); len(got) != 1 || got[0].ID != 11 {
		t.Fatalf("lookup as of 2 after the stale reader's = %v, want fact 11", got)
	}
}

// Empty answers count against the cache's bound like rows do: lookups of
// names not yet created would otherwise grow it without end.
func TestRowCacheBoundsEmptyAnswers(t *testing.T) {
	c := newRowCache(100)
	gen := c.generation()
	for i := 0; i < 1000; i++ {
		c.add(gen, []byte(fmt.Sprint("prefix ", i)), nil)
		if i%3 == 0 {
			c.add(gen, []byte(fmt.Sprint("rows ", i)), make([]row, 5))
		}
	}
	if len(c.byScope) > 100 || c.slots > 100 {
		t.Fatalf("cache holds %d prefixes in %d slots, want at most 100", len(c.byScope), c.slots)
	}
	held := 0
	for _, rows := range c.byScope {
		held += slots(rows)
	}
	if held != c.slots {
		t.Fatalf("cache counts %d slots, holds %d", c.slots, held)
	}
}
