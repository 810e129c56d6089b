package update

import (
	"context"
	"testing"
	"time"
)

// readAt returns a read function that finds the given names existing.
func readAt(index uint64, existing ...string) func() (uint64, map[string]uint64, error) {
	return func() (uint64, map[string]uint64, error) {
		known := map[string]uint64{}
		for i, n := range existing {
			known[n] = uint64(100 + i)
		}
		return index, known, nil
	}
}

func TestNameClaims(t *testing.T) {
	ctx := context.Background()
	c := newNameClaims()

	// A finds x and y missing at index 5 and claims them.
	a, err := c.takeOff(ctx, []string{"x", "y"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := c.readAndClaim(ctx, a, []string{"x", "y"}, readAt(5)); !ok {
		t.Fatal("A could not claim x and y")
	}

	// B took off before A claimed, so takeOff let it through; it must not
	// read before A lands, since it could not claim y.
	b := &flight{done: make(chan struct{})}
	c.flights[b] = true
	bClaimed := make(chan bool, 1)
	go func() {
		_, _, ok, err := c.readAndClaim(ctx, b, []string{"y", "z"}, readAt(7, "x", "y"))
		if err != nil {
			t.Error(err)
		}
		bClaimed <- ok
	}()
	select {
	case <-bClaimed:
		t.Fatal("B read while A was creating y")
	case <-time.After(20 * time.Millisecond):
	}

	// C needs x: it waits until A lands.
	took := make(chan *flight)
	go func() {
		f, err := c.takeOff(ctx, []string{"x"})
		if err != nil {
			t.Error(err)
		}
		took <- f
	}()
	select {
	case <-took:
		t.Fatal("C took off while A was creating x")
	case <-time.After(20 * time.Millisecond):
	}
	e, _ := c.takeOff(ctx, []string{"v"}) // in flight across A's landing
	c.land(a, 7, true)
	c.land(<-took, 0, false)
	if !<-bClaimed || len(b.claimed) != 1 || b.claimed[0] != "z" {
		t.Fatalf("after A landed, B claimed %v, want [z]", b.claimed)
	}
	c.land(b, 0, false)

	// E read at 6, before A's entry at 7: x counts as created after its
	// read, so E must read again.
	if _, _, ok, _ := c.readAndClaim(ctx, e, []string{"x"}, readAt(6)); ok {
		t.Fatal("E claimed x, which A created after E's read")
	}
	c.land(e, 0, false)
	if len(c.recent) != 0 || len(c.creating) != 0 || len(c.flights) != 0 {
		t.Fatalf("with nothing in flight, state remains: %v %v %v", c.recent, c.creating, c.flights)
	}

	// Reading at or after 7 finds x and claims only what is missing.
	d, _ := c.takeOff(ctx, []string{"x", "w"})
	if _, _, ok, _ := c.readAndClaim(ctx, d, []string{"x", "w"}, readAt(7, "x")); !ok || len(d.claimed) != 1 || d.claimed[0] != "w" {
		t.Fatalf("D claimed %v, want [w]", d.claimed)
	}
	c.land(d, 8, true)
}

func TestNameClaimsWaitHonoursContext(t *testing.T) {
	c := newNameClaims()
	a, _ := c.takeOff(context.Background(), nil)
	if _, _, ok, _ := c.readAndClaim(context.Background(), a, []string{"x"}, readAt(1)); !ok {
		t.Fatal("claim failed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := c.takeOff(ctx, []string{"x"}); err == nil {
		t.Fatal("takeOff returned while x was being created and the context ended")
	}
	c.land(a, 2, true)
}
