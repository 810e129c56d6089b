package logserver

import (
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// gcBatch bounds how many truncated entries one LevelDB write deletes.
const gcBatch = 4096

// collector deletes truncated entries in the background and then compacts
// their key range, so that truncation gives the disk space back. It also
// flushes LevelDB's memtable once the state machine has written nothing
// for idleFlushAfter: until then the latest entries' only copy is the
// journal, at their raw size (up to the write buffer) rather than
// compressed in a table, and a restart would replay them. It works
// outside the serialized state machine methods because readers never look
// below the first retained index: deleting there changes nothing anyone
// can see, and a deletion that a crash undoes is redone after the next
// Open (which starts from the lowest stored entry).
type collector struct {
	s    *logSM
	db   *leveldb.DB
	next uint64 // lowest index that may still be stored below first

	wake chan struct{} // capacity 1
	quit chan struct{}
	done chan struct{}

	lastWrite atomic.Int64 // unix nanoseconds of the last Update's write
	dirty     atomic.Bool  // written since the last flush
}

// idleFlushAfter is how long the state machine writes nothing before the
// collector flushes its memtable.
const idleFlushAfter = 10 * time.Second

// wrote records an Update's write, for the idle flush.
func (c *collector) wrote() {
	c.lastWrite.Store(time.Now().UnixNano())
	c.dirty.Store(true)
}

// flushIfIdle flushes the memtable if something was written, and nothing
// for idleFlushAfter. Every Update writes keyApplied, so compacting that
// key's range flushes a memtable holding any of them.
func (c *collector) flushIfIdle() {
	if !c.dirty.Load() || time.Since(time.Unix(0, c.lastWrite.Load())) < idleFlushAfter || !c.dirty.CompareAndSwap(true, false) {
		return
	}
	if err := c.db.CompactRange(util.Range{Start: keyApplied, Limit: append(slices.Clip(keyApplied), 0)}); err != nil {
		c.dirty.Store(true)
		c.s.logger.Warn().Err(err).Msg("flushing the log state machine's memtable failed; retrying later")
	}
}

func startCollector(s *logSM, db *leveldb.DB, from uint64) *collector {
	c := &collector{s: s, db: db, next: from, wake: make(chan struct{}, 1),
		quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	c.poke() // entries truncated before a crash may still be stored
	return c
}

// poke asks the collector to look at the first retained index again.
func (c *collector) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// stop stops the collector and waits for it; a compaction under way is
// finished first.
func (c *collector) stop() {
	close(c.quit)
	<-c.done
}

func (c *collector) run() {
	defer close(c.done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-c.wake:
		case <-tick.C:
			c.flushIfIdle()
			continue
		case <-c.quit:
			return
		}
		first := c.s.extent().first
		if c.next >= first {
			continue
		}
		if err := c.collect(first); err != nil {
			c.s.logger.Error().Err(err).Uint64("first", first).Msg("collecting truncated log entries failed; retrying at the next truncation")
		}
	}
}

// collect deletes the entries below first and compacts their range.
func (c *collector) collect(first uint64) error {
	from := c.next
	for c.next < first {
		select {
		case <-c.quit:
			return nil
		default:
		}
		b := new(leveldb.Batch)
		for n := 0; c.next < first && n < gcBatch; n++ {
			b.Delete(entryKey(c.next))
			c.next++
		}
		if err := c.db.Write(b, nil); err != nil {
			return fmt.Errorf("deleting entries %d to %d: %w", from, c.next-1, err)
		}
	}
	if err := c.db.CompactRange(util.Range{Start: entryKey(0), Limit: entryKey(first)}); err != nil {
		return fmt.Errorf("compacting entries below %d: %w", first, err)
	}
	c.s.logger.Info().Uint64("from", from).Uint64("to", first-1).Msg("deleted truncated log entries and compacted their range")
	return nil
}
