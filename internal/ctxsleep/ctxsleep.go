// Package ctxsleep waits for a duration unless a context ends first: the
// one backoff wait that retry loops (log reads, the bulk loader, SPARQL
// updates retried after a conflict) share.
package ctxsleep

import (
	"context"
	"time"
)

// Sleep waits for d, or until ctx ends, when it returns ctx.Err().
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
