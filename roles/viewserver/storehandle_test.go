package viewserver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/viewstore"
)

// TestReplaceDoesNotQueueReaders: while a reader holds the store (a lookup
// streaming to a slow client), a replacement takes the store away at once:
// new readers fail with errNoStore (their lookups go to another replica)
// instead of waiting behind it, and the replacement completes when the
// reader is done, with a new generation.
func TestReplaceDoesNotQueueReaders(t *testing.T) {
	cfg := viewstore.Config{Space: storage.KeyPrefixSP, RangeEnd: ^uint64(0)}
	h, err := openStore(context.Background(), t.TempDir(), cfg, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.close() })
	gen := h.generation()

	holding, release := make(chan struct{}), make(chan struct{})
	readerDone := make(chan error, 1)
	go func() {
		readerDone <- h.use(func(*viewstore.Store, uint64) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	replaced := make(chan error, 1)
	go func() { replaced <- h.replace(false) }()

	deadline := time.Now().Add(5 * time.Second)
	for h.current() != nil { // the replacement has taken the store away
		if time.Now().After(deadline) {
			t.Fatal("the replacement did not take the store away")
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	err = h.use(func(*viewstore.Store, uint64) error { return nil })
	if !errors.Is(err, errNoStore) {
		t.Fatalf("a reader during the replacement got %v, want errNoStore", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a reader during the replacement waited %v", d)
	}
	select {
	case err := <-replaced:
		t.Fatalf("the replacement finished (%v) while a reader still held the old store", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-readerDone; err != nil {
		t.Fatal(err)
	}
	if err := <-replaced; err != nil {
		t.Fatal(err)
	}
	if err := h.use(func(_ *viewstore.Store, g uint64) error {
		if g != gen+1 {
			t.Errorf("generation %d after the replacement, want %d", g, gen+1)
		}
		return nil
	}); err != nil {
		t.Fatalf("a reader after the replacement: %v", err)
	}
}
