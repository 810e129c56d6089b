package dirlock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
)

func TestRetryWaitsForTheLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	held, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var waited error
	done := make(chan error, 1)
	go func() {
		done <- Retry(context.Background(), time.Minute, func(err error) { waited = err; close(release) }, func() error {
			db, err := leveldb.OpenFile(dir, nil)
			if err == nil {
				db.Close()
			}
			return err
		})
	}()
	<-release // the first try found the lock held
	held.Close()
	if err := <-done; err != nil {
		t.Fatalf("Retry after the holder closed: %v", err)
	}
	if waited == nil || !Held(waited) {
		t.Fatalf("waiting was told %v, want a held lock", waited)
	}
}

func TestRetryGivesUpAndPassesOtherErrors(t *testing.T) {
	calls := 0
	err := Retry(context.Background(), time.Millisecond, nil, func() error { calls++; return syscall.EWOULDBLOCK })
	if err == nil || !errors.Is(err, syscall.EWOULDBLOCK) {
		t.Fatalf("Retry on a lock that stays held returned %v", err)
	}
	other := os.ErrPermission
	calls = 0
	if err := Retry(context.Background(), time.Minute, nil, func() error { calls++; return other }); err != other || calls != 1 {
		t.Fatalf("Retry on another error returned %v after %d calls, want it at once", err, calls)
	}
	if !Held(fmt.Errorf("creating NodeHost: %w", errors.New("failed to lock data directory"))) {
		t.Fatal("Dragonboat's lock error is not recognised")
	}
}
