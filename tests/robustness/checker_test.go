package robustness

import (
	"math"
	"testing"
)

// The checks must catch what they are for: each history below breaks one
// promise, and the run's verdict must count it.

func read(client int, call, ret int64, index uint64, keys ...string) op {
	seen := map[string]bool{}
	for _, k := range keys {
		seen[k] = true
	}
	return op{client: client, call: call, ret: ret, ok: true, index: index, seen: seen}
}

func insert(client int, key string, call, ret int64, index uint64) op {
	return op{client: client, insert: true, key: key, call: call, ret: ret, ok: true, index: index}
}

func checkOps(ops ...op) verdict {
	h := &history{ops: ops}
	final := map[string]bool{}
	for _, o := range ops {
		if o.insert && o.ok {
			final[o.key] = true
		}
	}
	return h.check(final, 100)
}

func TestCheckerAcceptsAGoodHistory(t *testing.T) {
	v := checkOps(
		insert(0, "a", 0, 10, 5),
		read(1, 2, 8, 4),        // concurrent with the insert, before it
		read(1, 11, 12, 5, "a"), // after it
		insert(0, "b", 13, 20, 7),
		read(2, 14, 15, 6, "a"), // concurrent with b, before it
		op{client: 3, insert: true, key: "c", call: 16, ret: math.MaxInt64}, // unknown outcome
		read(1, 21, 22, 8, "a", "b", "c"),
	)
	if v.Violations+v.LostWrites+v.WrongAnswers != 0 {
		t.Fatalf("a good history was judged bad: %+v", v)
	}
}

func TestCheckerCatchesStaleRead(t *testing.T) {
	v := checkOps(
		insert(0, "a", 0, 10, 5),
		read(1, 11, 12, 4), // starts after the insert returned, does not see it
	)
	if v.Violations == 0 {
		t.Fatalf("a stale read went unnoticed: %+v", v)
	}
}

func TestCheckerCatchesReadThatUnsees(t *testing.T) {
	v := checkOps(
		insert(0, "a", 0, 100, 5),
		read(1, 1, 2, 5, "a"),
		read(1, 3, 4, 5), // after a read that saw it, does not
	)
	if v.Violations == 0 {
		t.Fatalf("a read going back in time went unnoticed: %+v", v)
	}
}

func TestCheckerCatchesIndexOutOfRealTimeOrder(t *testing.T) {
	v := checkOps(
		read(1, 0, 1, 9),
		insert(0, "a", 2, 3, 5), // after a read at 9, given index 5
	)
	if v.Violations == 0 {
		t.Fatalf("an index out of real-time order went unnoticed: %+v", v)
	}
}

func TestCheckerCatchesReadNotAtItsIndex(t *testing.T) {
	v := checkOps(
		insert(0, "a", 0, 1, 5),
		read(1, 2, 3, 6), // at index 6 but misses the fact at 5
	)
	if v.Violations == 0 {
		t.Fatalf("a read that missed a fact below its index went unnoticed: %+v", v)
	}
}

func TestCheckerCatchesLostAndInventedWrites(t *testing.T) {
	h := &history{ops: []op{insert(0, "a", 0, 1, 5), read(1, 2, 3, 6, "a", "ghost")}}
	v := h.check(map[string]bool{}, 7)
	if v.LostWrites != 1 || v.WrongAnswers != 1 {
		t.Fatalf("got %d lost writes and %d wrong answers, want 1 and 1", v.LostWrites, v.WrongAnswers)
	}
}
