package logserver

import (
	"testing"
	"time"
)

// The floor due is the newest one seen at least the lag ago; samples
// older than it are dropped, and none is due before the lag has passed.
func TestFloorSamplesLag(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	f := &floorSamples{lag: 5 * time.Minute}
	steps := []struct {
		sec    int
		floor  uint64
		due    uint64
		dueOK  bool
		holdsN int
	}{
		{sec: 0, floor: 10, dueOK: false, holdsN: 1},
		{sec: 60, floor: 20, dueOK: false, holdsN: 2},
		{sec: 299, floor: 30, dueOK: false, holdsN: 3},
		{sec: 300, floor: 40, due: 10, dueOK: true, holdsN: 4}, // t0 is exactly 5 min old
		{sec: 370, floor: 50, due: 20, dueOK: true, holdsN: 4}, // 60 s is 310 s old; t0 dropped
		{sec: 600, floor: 5, due: 40, dueOK: true, holdsN: 3},  // 300 s is 300 s old; the caller takes min with 5
	}
	for i, s := range steps {
		f.add(at(s.sec), s.floor)
		due, ok := f.due(at(s.sec))
		if ok != s.dueOK || due != s.due || len(f.samples) != s.holdsN {
			t.Fatalf("step %d (t=%ds, floor %d): due %d %v with %d samples; want %d %v with %d",
				i, s.sec, s.floor, due, ok, len(f.samples), s.due, s.dueOK, s.holdsN)
		}
	}
	// Long after: the newest sample at least the lag old is the floor
	// seen at 600 s (5), not the older, higher ones.
	if due, ok := f.due(at(1000)); !ok || due != 5 || len(f.samples) != 1 {
		t.Fatalf("at 1000 s: due %d %v with %d samples; want 5 with 1", due, ok, len(f.samples))
	}
	f.reset()
	if _, ok := f.due(at(5000)); ok {
		t.Fatal("after reset, a floor is due")
	}
}

// With no lag the floor just seen is due.
func TestFloorSamplesNoLag(t *testing.T) {
	f := &floorSamples{}
	now := time.Unix(100, 0)
	f.add(now, 7)
	if due, ok := f.due(now); !ok || due != 7 {
		t.Fatalf("due %d %v, want 7", due, ok)
	}
}
