package logentry

import (
	"math/rand"
	"reflect"
	"sync"
	"testing"
)

// Views sharing a SharedReplay get exactly what each would decode alone,
// however far apart they read, and the entries are let go once all have
// taken them.
func TestSharedReplayGivesEachReaderTheEffect(t *testing.T) {
	const readers, entries = 4, 60
	r := rand.New(rand.NewSource(1))
	data := make([][]byte, entries+1)
	for i := 1; i <= entries; i++ {
		b, err := Encode(randEntry(r, uint64(i), 1+r.Intn(40)))
		if err != nil {
			t.Fatal(err)
		}
		data[i] = b
	}
	for _, maxFacts := range []int{0, 30} { // 30: older entries are pushed out
		shared := NewSharedReplay(readers, MaxSupportedVersion, maxFacts)
		var wg sync.WaitGroup
		errs := make(chan string, readers*entries)
		for v := 0; v < readers; v++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 1; i <= entries; i++ {
					got, gotErr := shared.Replay(uint64(i), data[i], MaxSupportedVersion)
					want, wantErr := Replay(uint64(i), data[i], MaxSupportedVersion, keepEvery)
					if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotErr, wantErr) {
						errs <- "entry differs from its own decoding"
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Fatalf("maxFacts %d: %s", maxFacts, e)
		}
		if n := len(shared.entries); n != 0 || shared.facts != 0 {
			t.Fatalf("maxFacts %d: %d entries (%d facts) still held after every reader took them", maxFacts, n, shared.facts)
		}
	}
}

// Bytes that differ from the ones decoded at an index are decoded on
// their own, and a reader of other format versions decodes alone.
func TestSharedReplayComparesBytes(t *testing.T) {
	a, err := Encode(insertEntry(strFact(KIDRef(1), "a")))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Encode(insertEntry(strFact(KIDRef(1), "b")))
	if err != nil {
		t.Fatal(err)
	}
	shared := NewSharedReplay(2, MaxSupportedVersion, 0)
	fa, _ := shared.Replay(5, a, MaxSupportedVersion)
	fb, _ := shared.Replay(5, b, MaxSupportedVersion)
	wantB, _ := Replay(5, b, MaxSupportedVersion, keepEvery)
	if !reflect.DeepEqual(fb, wantB) || reflect.DeepEqual(fa, fb) {
		t.Fatalf("other bytes at index 5 got %+v, want their own decoding %+v", fb, wantB)
	}
	if _, err := shared.Replay(6, a, FirstVersion); err != nil {
		t.Fatal(err)
	}
	if _, held := shared.entries[6]; held {
		t.Fatal("a reader of other versions shared its decoding")
	}
}

// Entries some reader never takes are let go once too many are held, even
// entries without facts.
func TestSharedReplayBoundsEntriesNotTaken(t *testing.T) {
	data, err := EncodeDecision(1, true)
	if err != nil {
		t.Fatal(err)
	}
	shared := NewSharedReplay(2, MaxSupportedVersion, 0) // the second reader never comes
	for i := uint64(2); i < 3*sharedMaxEntries; i++ {
		if _, err := shared.Replay(i, data, MaxSupportedVersion); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(shared.entries); n > sharedMaxEntries {
		t.Fatalf("%d entries held, want at most %d", n, sharedMaxEntries)
	}
}
