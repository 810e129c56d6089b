package boot

import "bytes"

// Getting off the carousel: a rider that boarded at a revolution start is
// done at that revolution's end; one that boarded after key A is done, in
// the next revolution, just before the first key greater than A.

// endRevolution flushes every group, lets off the riders that boarded at
// this revolution's start, and marks the others as lapped.
func (p *pass) endRevolution() error {
	p.c.revolutions.Add(1)
	for _, g := range p.groups {
		if err := p.flush(g); err != nil {
			return err
		}
	}
	for _, g := range p.groups {
		for _, r := range g.riders {
			if r.joinAfter == nil {
				p.letOff(r, nil)
			} else {
				r.lapped = true
			}
		}
	}
	p.compact()
	p.updateNextStop()
	return nil
}

// finishLapped lets off the lapped riders that boarded before key, after
// flushing their groups.
func (p *pass) finishLapped(key []byte) error {
	for _, g := range p.groups {
		if !g.hasLappedBefore(key) {
			continue
		}
		if err := p.flush(g); err != nil {
			return err
		}
		for _, r := range g.riders {
			if r.lapped && bytes.Compare(key, r.joinAfter) > 0 {
				p.letOff(r, nil)
			}
		}
	}
	p.compact()
	p.updateNextStop()
	return nil
}

func (g *group) hasLappedBefore(key []byte) bool {
	for _, r := range g.riders {
		if r.lapped && bytes.Compare(key, r.joinAfter) > 0 {
			return true
		}
	}
	return false
}

// letOff ends r's ride with err (nil: complete). Its slot is cleared and
// removed by compact.
func (p *pass) letOff(r *rider, err error) {
	if r.off {
		return
	}
	r.err = err
	r.off = true
	close(r.finished)
	p.riders--
}

// compact removes let-off riders and empty groups.
func (p *pass) compact() {
	groups := p.groups[:0]
	for _, g := range p.groups {
		riders := g.riders[:0]
		for _, r := range g.riders {
			if !r.off {
				riders = append(riders, r)
			}
		}
		g.riders = riders
		if len(g.riders) > 0 {
			groups = append(groups, g)
		}
	}
	p.groups = groups
}

// dropGone lets off riders whose Ride has returned (their client went
// away), so that they hold nothing up.
func (p *pass) dropGone() {
	dropped := false
	for _, g := range p.groups {
		for _, r := range g.riders {
			select {
			case <-r.gone:
				p.letOff(r, nil)
				dropped = true
			default:
			}
		}
	}
	if dropped {
		p.compact()
		p.updateNextStop()
	}
}

// updateNextStop recomputes the smallest boarding point of lapped riders.
func (p *pass) updateNextStop() {
	p.nextStop = nil
	for _, g := range p.groups {
		for _, r := range g.riders {
			if r.lapped && (p.nextStop == nil || bytes.Compare(r.joinAfter, p.nextStop) < 0) {
				p.nextStop = r.joinAfter
			}
		}
	}
}

// failAll ends every ride on board with err.
func (p *pass) failAll(err error) {
	for _, g := range p.groups {
		for _, r := range g.riders {
			p.letOff(r, err)
		}
	}
	p.groups = nil
	p.nextStop = nil
}

// failRiders ends rides that never boarded.
func failRiders(riders []*rider, err error) {
	for _, r := range riders {
		r.err = err
		close(r.finished)
	}
}
