package fanout

import (
	"sync"
	"time"
)

// penalties remembers, across requests, the views whose calls failed
// recently. A view killed mid-request stays listed by gossip for seconds;
// without this, every request of that time would try it first (half of
// them, with two replicas) and pay a failed call before its retry.
type penalties struct {
	length time.Duration
	clock  Clock

	mu    sync.Mutex
	until map[string]time.Time // address -> end of its penalty
}

func newPenalties(cfg Config) *penalties {
	return &penalties{length: cfg.Penalty, clock: cfg.Clock, until: map[string]time.Time{}}
}

// fail penalizes addr from now on, and forgets penalties that are over
// (so the map holds only views that failed recently).
func (p *penalties) fail(addr string) {
	now := p.clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for a, end := range p.until {
		if !now.Before(end) {
			delete(p.until, a)
		}
	}
	p.until[addr] = now.Add(p.length)
}

// clear ends addr's penalty: it just answered.
func (p *penalties) clear(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.until, addr)
}

// current returns the addresses penalized now.
func (p *penalties) current() map[string]bool {
	now := p.clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	var out map[string]bool
	for a, end := range p.until {
		if now.Before(end) {
			if out == nil {
				out = map[string]bool{}
			}
			out[a] = true
		}
	}
	return out
}
