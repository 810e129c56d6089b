package logserver

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
)

// TestReadEntriesByBytes: a read stops before the entry that would take it
// past its byte budget, and an entry larger than the budget comes alone.
func TestReadEntriesByBytes(t *testing.T) {
	db, err := leveldb.OpenFile(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const budget = 1 << 20
	sizes := []int{400 << 10, 400 << 10, 400 << 10, 3 << 20, 10}
	for i, n := range sizes {
		if err := db.Put(entryKey(uint64(i+1)), bytes.Repeat([]byte{'x'}, n), nil); err != nil {
			t.Fatal(err)
		}
	}
	var counts []int
	for next := uint64(1); next <= uint64(len(sizes)); {
		ents, err := readEntries(db, next, uint64(len(sizes)), budget)
		if err != nil {
			t.Fatal(err)
		}
		size := 0
		for i, e := range ents {
			if e.index != next+uint64(i) || len(e.data) != sizes[e.index-1] {
				t.Fatalf("entry %d: index %d with %d bytes", i, e.index, len(e.data))
			}
			size += len(e.data)
		}
		if size > budget && len(ents) > 1 {
			t.Fatalf("read of %d entries holds %d bytes, over %d", len(ents), size, budget)
		}
		counts = append(counts, len(ents))
		next += uint64(len(ents))
	}
	if want := []int{2, 1, 1, 1}; fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Fatalf("entries per read %v, want %v", counts, want)
	}
}
