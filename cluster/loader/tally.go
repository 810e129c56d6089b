package loader

import "sync"

// tally counts what is loaded. Batches complete out of order; loaded
// counts only the facts of the unbroken run of completed batches from the
// start, so a resumed load with Skip = loaded misses nothing.
type tally struct {
	mu                 sync.Mutex
	next               int            // seq of the first batch not yet complete
	done               map[int]*batch // complete batches at or after next
	loaded             uint64         // facts before batch next, counting skipped ones
	sent               uint64         // facts in all completed batches
	inserted, existing uint64
	index              uint64
	read               int64 // input bytes behind the completed batches
}

// completed counts batch b, which the server did res with, and reports
// progress.
func (l *Loader) completed(b *batch, res result) {
	t := &l.tally
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done[b.seq] = b
	for t.done[t.next] != nil {
		t.loaded += uint64(t.done[t.next].facts)
		delete(t.done, t.next)
		t.next++
	}
	t.sent += uint64(b.facts)
	t.inserted += res.inserted
	t.existing += res.existing
	t.index = max(t.index, res.index)
	t.read = max(t.read, b.read)
	if l.cfg.Progress != nil {
		l.cfg.Progress(Progress{Facts: t.sent, BytesRead: t.read})
	}
}
