package boot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/akutan-dev/akutan/storage/viewstore"
	"github.com/akutan-dev/akutan/wire"
)

// errLapStop ends a scan batch at the first key past a lapped rider's
// boarding point, so that the rider can get off before that key.
var errLapStop = errors.New("a lapped rider is done")

// pass is one run of the carousel, from its first rider until none is
// left: one or more revolutions over the store. It runs in one goroutine.
type pass struct {
	c      *Carousel
	groups []*group
	riders int

	nextStop []byte // the smallest boarding point of a lapped rider, or nil
	stopKey  []byte // the key that ended the last batch with errLapStop
}

// group is the riders that want the same thing: they share chunks. The
// pending chunk was scanned while exactly these riders were on board:
// membership changes flush it first.
type group struct {
	want    Want
	riders  []*rider
	pending [][]byte // entries (viewstore.AppendEntry): a key and its value
	size    int
	arena   []byte // backing store of pending's entries
}

func newPass(c *Carousel) *pass { return &pass{c: c} }

// run turns revolutions until no rider is left or the carousel stops.
func (p *pass) run() {
	for p.admit(nil) {
		if err := p.revolve(); err != nil {
			p.failAll(err)
		}
	}
}

// revolve scans the store once from the start, admitting riders between
// batches, and ends the revolution.
func (p *pass) revolve() error {
	var after []byte
	for {
		last, end, err := p.c.cfg.Scan(after, p.c.cfg.BatchKeys, p.visit)
		after = last
		if errors.Is(err, errLapStop) {
			err = p.finishLapped(p.stopKey)
		}
		if err != nil {
			return err
		}
		if err := p.deliverFull(); err != nil {
			return err
		}
		p.dropGone()
		if end {
			return p.endRevolution()
		}
		if !p.admit(after) {
			return nil
		}
	}
}

// visit offers one scanned key and its value to every group that wants
// it.
func (p *pass) visit(key, value []byte) error {
	if p.nextStop != nil && bytes.Compare(key, p.nextStop) > 0 {
		p.stopKey = append(p.stopKey[:0], key...)
		return errLapStop
	}
	p.c.scanned.Add(1)
	h, err := viewstore.KeyHash(key)
	if err != nil {
		return fmt.Errorf("%w: %v", viewstore.ErrCorrupt, err)
	}
	idx, err := viewstore.KeyIndex(key)
	if err != nil {
		return err
	}
	for _, g := range p.groups {
		if g.want.Range.Contains(h) && idx <= g.want.Index && idx > g.want.After {
			if err := p.addKey(g, key, value); err != nil {
				return err
			}
		}
	}
	return nil
}

// addKey adds key to g's pending chunk, handing out the chunk first if the
// key would take it past the chunk budget: a chunk is at most ChunkBytes
// (in its wire encoding) unless it is one key larger than that. Handing
// out in the middle of a scan batch keeps a batch of large keys from
// making one huge message; riders only board between batches, so the
// chunk still went to exactly the riders it was scanned for.
func (p *pass) addKey(g *group, key, value []byte) error {
	if g.size > 0 && g.size+entrySize(key, value) > p.c.cfg.ChunkBytes {
		if err := p.flush(g); err != nil {
			return err
		}
	}
	g.add(key, value)
	return nil
}

// entrySize is what a key and its value add to a chunk's wire encoding, at
// most: the value is counted even when empty, since a chunk sends either
// every value or none.
func entrySize(key, value []byte) int {
	return wire.RepeatedSize(len(key)) + wire.RepeatedSize(len(value))
}

// add copies key and value into the pending chunk, as one entry.
func (g *group) add(key, value []byte) {
	n := binary.MaxVarintLen64 + len(key) + len(value)
	if cap(g.arena)-len(g.arena) < n {
		g.arena = make([]byte, 0, max(64<<10, n))
	}
	start := len(g.arena)
	g.arena = viewstore.AppendEntry(g.arena, key, value)
	g.pending = append(g.pending, g.arena[start:len(g.arena):len(g.arena)])
	g.size += entrySize(key, value)
}

// admit boards the queued riders at the current position: after the key
// `after`, or at a revolution start when nil. It returns false when no
// rider is left, which ends the pass.
func (p *pass) admit(after []byte) bool {
	select {
	case <-p.c.done:
		p.failAll(ErrStopped)
		waiting, _ := p.c.takeWaiting(false)
		failRiders(waiting, ErrStopped)
		return false
	default:
	}
	waiting, ok := p.c.takeWaiting(p.riders > 0)
	if !ok {
		return false
	}
	for _, r := range waiting {
		if after != nil {
			r.joinAfter = append([]byte(nil), after...)
		}
		g := p.group(r.want)
		if err := p.flush(g); err != nil {
			failRiders([]*rider{r}, err)
			continue
		}
		g.riders = append(g.riders, r)
		p.riders++
	}
	return p.riders > 0
}

// group returns the group for want, creating it if needed.
func (p *pass) group(want Want) *group {
	for _, g := range p.groups {
		if g.want == want {
			return g
		}
	}
	g := &group{want: want}
	p.groups = append(p.groups, g)
	return g
}

// deliverFull hands out every pending chunk that reached the target size.
func (p *pass) deliverFull() error {
	for _, g := range p.groups {
		if g.size >= p.c.cfg.ChunkBytes {
			if err := p.flush(g); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush hands g's pending chunk to each of its riders, waiting for room in
// their buffers. A rider whose Ride has returned is skipped.
func (p *pass) flush(g *group) error {
	if len(g.pending) == 0 {
		return nil
	}
	chunk := g.pending
	g.pending, g.size = nil, 0
	for _, r := range g.riders {
		select {
		case r.out <- chunk:
		case <-r.gone:
		case <-p.c.done:
			return ErrStopped
		}
	}
	return nil
}
