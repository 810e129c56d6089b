package update

import (
	"context"
	"fmt"
	"sync"

	"github.com/akutan-dev/akutan/query/engine"
)

// Inserter applies requests (see Apply), and coordinates the ones in
// flight through it so that two concurrent requests do not both set out
// to create an entity for the same new external name: each would read the
// graph before the other's entry and see the name missing, and the one
// landing later would fail validation and start over. Bulk loads send
// many overlapping requests at once, so without this they would spend
// their attempts aborting each other. A request that needs a name another
// request is creating waits for that request to finish, then reads the
// graph again.
//
// The coordination covers the requests of one Inserter, so of one API
// server. Requests through different API servers are caught by the
// validation read instead (the name resolves at the later one's index),
// at the cost of an abort and a retry.
type Inserter struct {
	views  engine.Views
	log    Log
	claims *nameClaims
}

// NewInserter returns an Inserter that reads views and appends to log.
func NewInserter(views engine.Views, log Log) *Inserter {
	return &Inserter{views: views, log: log, claims: newNameClaims()}
}

// nameClaims tracks the new names requests in flight are creating.
type nameClaims struct {
	turn     chan struct{} // held from reading the graph to claiming names
	mu       sync.Mutex
	creating map[string]chan struct{} // names in flight -> closed when their request ends
	recent   map[string]uint64        // names created -> log index, while a reader may predate it
	flights  map[*flight]bool         // requests between reading the graph and finishing
}

// flight is one attempt in progress; index is the log index it reads the
// graph at, 0 until known.
type flight struct {
	index   uint64
	claimed []string
	done    chan struct{}
}

func newNameClaims() *nameClaims {
	return &nameClaims{turn: make(chan struct{}, 1), creating: map[string]chan struct{}{}, recent: map[string]uint64{}, flights: map[*flight]bool{}}
}

// takeOff waits until no request is creating any of names, then registers
// an attempt before it reads the log's last index, so that names created
// meanwhile are remembered until it has read.
func (c *nameClaims) takeOff(ctx context.Context, names []string) (*flight, error) {
	for {
		c.mu.Lock()
		busy := c.busy(names)
		if busy == nil {
			f := &flight{done: make(chan struct{})}
			c.flights[f] = true
			c.mu.Unlock()
			return f, nil
		}
		c.mu.Unlock()
		if err := waitFor(ctx, busy); err != nil {
			return nil, err
		}
	}
}

// waitFor waits until the request whose done channel is busy ends.
func waitFor(ctx context.Context, busy chan struct{}) error {
	select {
	case <-busy:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for a concurrent request creating the same names: %w", ctx.Err())
	}
}

// busy returns the done channel of a request creating one of names.
func (c *nameClaims) busy(names []string) chan struct{} {
	for _, n := range names {
		if ch := c.creating[n]; ch != nil {
			return ch
		}
	}
	return nil
}

// readAndClaim runs read, which reads the log's last index and the
// external names that exist there, then claims the names that do not
// exist. No other attempt reads or claims in between, so two attempts
// cannot both find a name missing and claim it; an attempt that finds a
// missing name created after its read claims nothing and must start over
// (claimed is false).
func (c *nameClaims) readAndClaim(ctx context.Context, f *flight, names []string, read func() (uint64, map[string]uint64, error)) (index uint64, known map[string]uint64, claimed bool, err error) {
	if err := c.takeTurn(ctx, names); err != nil {
		return 0, nil, false, err
	}
	defer func() { <-c.turn }()
	if index, known, err = read(); err != nil {
		return 0, nil, false, err
	}
	var missing []string
	for _, n := range names {
		if _, ok := known[n]; !ok {
			missing = append(missing, n)
		}
	}
	return index, known, c.claim(f, index, missing), nil
}

// takeTurn takes the turn to read and claim once no request is creating
// any of names. takeOff waited for that already, but another request may
// have claimed one of them since, while this one waited for the turn: its
// read would then be wasted, since the claim would fail, and a read looks
// up every name (in a bulk load, about one attempt in three was wasted so
// before this check). Claims are made only under the turn, so none of
// names can be claimed between this check and the claim.
func (c *nameClaims) takeTurn(ctx context.Context, names []string) error {
	for {
		select {
		case c.turn <- struct{}{}:
		case <-ctx.Done():
			return fmt.Errorf("waiting to read the graph: %w", ctx.Err())
		}
		c.mu.Lock()
		busy := c.busy(names)
		c.mu.Unlock()
		if busy == nil {
			return nil
		}
		<-c.turn
		if err := waitFor(ctx, busy); err != nil {
			return err
		}
	}
}

// claim marks names as being created by f, unless another request is
// creating one of them or created it after index.
func (c *nameClaims) claim(f *flight, index uint64, names []string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	f.index = index
	for _, n := range names {
		if c.creating[n] != nil || c.recent[n] > index {
			return false
		}
	}
	for _, n := range names {
		c.creating[n] = f.done
	}
	f.claimed = names
	return true
}

// land ends an attempt: its claimed names are recorded as created at
// index if it committed, and waiters wake up either way.
func (c *nameClaims) land(f *flight, index uint64, committed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range f.claimed {
		delete(c.creating, n)
		if committed {
			c.recent[n] = index
		}
	}
	close(f.done)
	delete(c.flights, f)
	c.prune()
}

// prune forgets created names that every attempt in flight reads past:
// their reads find the names in the views.
func (c *nameClaims) prune() {
	if len(c.flights) == 0 {
		clear(c.recent)
		return
	}
	oldest := ^uint64(0)
	for f := range c.flights {
		oldest = min(oldest, f.index)
	}
	for n, index := range c.recent {
		if index <= oldest {
			delete(c.recent, n)
		}
	}
}

// distinct drops repeated names.
func distinct(names []string) []string {
	seen := make(map[string]bool, len(names))
	out := names[:0:0]
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
