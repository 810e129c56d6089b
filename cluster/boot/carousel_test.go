package boot

import (
	"context"
	"errors"
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/viewstore"
)

// testStore returns a HashSP store over the full range holding entries
// 1..n, 4 facts each.
func testStore(t testing.TB, n int) *viewstore.Store {
	t.Helper()
	st, err := viewstore.Open(t.TempDir(), viewstore.Config{Space: storage.KeyPrefixSP, RangeEnd: math.MaxUint64})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	applyEntries(t, st, 1, n)
	return st
}

// applyEntries applies entries from..from+n-1 to st.
func applyEntries(t testing.TB, st *viewstore.Store, from, n int) {
	t.Helper()
	var changes []viewstore.Change
	for i := from; i < from+n; i++ {
		idx := uint64(i)
		c := viewstore.Change{Index: idx}
		for j := uint32(1); j <= 4; j++ {
			c.Inserts = append(c.Inserts, storage.Fact{
				Index: idx, ID: storage.KIDOf(idx, j), Subject: storage.KIDOf(idx, 10+j), Predicate: uint64(j),
				Object: storage.AString("value", ""),
			})
		}
		changes = append(changes, c)
	}
	if err := st.Apply(changes); err != nil {
		t.Fatal(err)
	}
}

// expected lists, sorted, the keys of st that want asks for.
func expected(t *testing.T, st *viewstore.Store, want Want) []string {
	t.Helper()
	var out []string
	var after []byte
	for {
		last, end, err := st.ScanKeys(after, 1000, func(k, _ []byte) error {
			h, _ := viewstore.KeyHash(k)
			idx, _ := viewstore.KeyIndex(k)
			if want.Range.Contains(h) && idx <= want.Index && idx > want.After {
				out = append(out, string(k))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if end {
			return out
		}
		after = last
	}
}

// ride runs one ride, collecting its keys; gate, if set, is called before
// each chunk is accepted.
type ride struct {
	want Want
	keys []string
	sum  Summary
	err  error
	done chan struct{}
}

func startRide(ctx context.Context, c *Carousel, want Want, gate func()) *ride {
	r := &ride{want: want, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.sum, r.err = c.Ride(ctx, want, func(keys, _ [][]byte) error {
			if gate != nil {
				gate()
			}
			for _, k := range keys {
				r.keys = append(r.keys, string(k))
			}
			return nil
		})
	}()
	return r
}

// check waits for the ride and compares its keys with the store's.
func (r *ride) check(t *testing.T, st *viewstore.Store) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		t.Fatal("ride did not finish")
	}
	if r.err != nil {
		t.Fatalf("ride %+v: %v", r.want, r.err)
	}
	got := append([]string(nil), r.keys...)
	sort.Strings(got)
	want := expected(t, st, r.want)
	if len(got) != len(want) {
		t.Fatalf("ride %+v got %d keys, want %d", r.want, len(got), len(want))
	}
	var digest uint64
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("ride %+v: key %d differs (duplicate or missing key)", r.want, i)
		}
		digest += viewstore.KeyDigest([]byte(got[i]))
	}
	if r.sum.Keys != uint64(len(got)) || r.sum.Digest != digest {
		t.Fatalf("ride summary %+v does not match its %d keys", r.sum, len(got))
	}
}

func smallCarousel(st *viewstore.Store) *Carousel {
	return NewCarousel(CarouselConfig{Scan: st.ScanKeys, BatchKeys: 50, ChunkBytes: 2048, Buffer: 1})
}

func TestRideDeliversExactlyWhatIsWanted(t *testing.T) {
	st := testStore(t, 500)
	c := smallCarousel(st)
	defer c.Stop()
	half, _ := space.Partition(1, 2)
	r := startRide(context.Background(), c, Want{Range: half, Index: 300}, nil)
	r.check(t, st)
	if c.Revolutions() != 1 || c.Scanned() != 2000 {
		t.Fatalf("one ride: %d revolutions over %d keys, want 1 over 2000", c.Revolutions(), c.Scanned())
	}
}

// TestRideAfterIndex: a ride with After delivers only the keys above it
// (an incremental backup's).
func TestRideAfterIndex(t *testing.T) {
	st := testStore(t, 500)
	c := smallCarousel(st)
	defer c.Stop()
	r := startRide(context.Background(), c, Want{Range: space.Full(), Index: 400, After: 250}, nil)
	r.check(t, st)
	if n := len(r.keys); n == 0 || n >= len(expected(t, st, Want{Range: space.Full(), Index: 400})) {
		t.Fatalf("a ride after 250 got %d keys", n)
	}
}

// TestRidersJoiningMidPassShareIt holds the first rider's pass part way,
// boards three more (two wanting the same thing), and checks that each
// gets exactly its keys while the store keeps growing, from far fewer
// scanned keys than separate scans would read.
func TestRidersJoiningMidPassShareIt(t *testing.T) {
	st := testStore(t, 500)
	c := smallCarousel(st)
	defer c.Stop()
	release := make(chan struct{})
	var once sync.Once
	gate := func() { once.Do(func() { <-release }) }
	first := startRide(context.Background(), c, Want{Range: space.Full(), Index: 500}, gate)
	waitFor(t, func() bool { return c.Scanned() > 0 })
	lo, _ := space.Partition(1, 3)
	mid, _ := space.Partition(2, 3)
	later := []*ride{
		startRide(context.Background(), c, Want{Range: lo, Index: 450}, nil),
		startRide(context.Background(), c, Want{Range: mid, Index: 500}, nil),
		startRide(context.Background(), c, Want{Range: mid, Index: 500}, nil),
	}
	waitFor(t, func() bool { return c.Riders() == 4 })
	applyEntries(t, st, 501, 100) // newer keys must not leak into any ride
	close(release)
	first.check(t, st)
	for _, r := range later {
		r.check(t, st)
	}
	if n := c.Scanned(); n >= 2*2400 {
		t.Fatalf("four rides scanned %d keys; one shared pass reads under %d", n, 2*2400)
	}
}

func TestAbandonedRideDoesNotHoldUpOthers(t *testing.T) {
	st := testStore(t, 300)
	c := smallCarousel(st)
	defer c.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	stuck := make(chan struct{})
	// Like a gRPC Send, the blocked send gives up when the ride's context ends.
	abandoned := startRide(ctx, c, Want{Range: space.Full(), Index: 300}, func() {
		select {
		case <-stuck:
		case <-ctx.Done():
		}
	})
	other := startRide(context.Background(), c, Want{Range: space.Full(), Index: 300}, nil)
	// The other ride is not held up, so it may finish before both riders
	// are ever seen aboard at once.
	waitFor(t, func() bool {
		select {
		case <-other.done:
			return c.Scanned() > 0
		default:
			return c.Riders() == 2 && c.Scanned() > 0
		}
	})
	cancel()
	<-abandoned.done
	close(stuck)
	if !errors.Is(abandoned.err, context.Canceled) {
		t.Fatalf("abandoned ride ended with %v", abandoned.err)
	}
	other.check(t, st)
}

func TestStopFailsRides(t *testing.T) {
	st := testStore(t, 300)
	c := smallCarousel(st)
	block := make(chan struct{})
	r := startRide(context.Background(), c, Want{Range: space.Full(), Index: 300}, func() { <-block })
	waitFor(t, func() bool { return c.Scanned() > 0 })
	go func() {
		time.Sleep(50 * time.Millisecond)
		close(block)
	}()
	c.Stop()
	<-r.done
	if !errors.Is(r.err, ErrStopped) {
		t.Fatalf("ride on a stopped carousel ended with %v", r.err)
	}
	if _, err := c.Ride(context.Background(), Want{Range: space.Full()}, func(_, _ [][]byte) error { return nil }); !errors.Is(err, ErrStopped) {
		t.Fatalf("ride after stop: %v", err)
	}
}

// waitFor waits until cond holds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, time.Millisecond, func() error {
		if !cond() {
			return errors.New("condition not reached")
		}
		return nil
	})
}
