package logserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/akutan-dev/akutan/wire"
	"github.com/lni/dragonboat/v3"
	sm "github.com/lni/dragonboat/v3/statemachine"
)

const (
	// maxBatchBytes bounds the entry bytes of one Raft proposal (a single
	// larger request still goes alone).
	maxBatchBytes = 4 << 20
	// maxInflight bounds the proposals in flight at once. Whatever is
	// waiting when a proposal may start becomes one proposal (group
	// commit).
	maxInflight = 16
	// proposalGap is how long after the last proposal another may start
	// while earlier ones are still in flight. Each proposal costs CPU on
	// every replica (a Raft entry, a synced write, an apply, a result),
	// so on a busy leader one proposal per round, carrying everything
	// that arrived meanwhile, commits the most appends: with 64 clients
	// on 2 cores this gave about 8% more appends/s than 4 proposals in
	// flight (docs/benchmarks.md). Where a round takes longer than the gap (replicas in other
	// datacenters) proposals still overlap, so an append waits at most
	// the gap for its proposal to start instead of a whole round.
	proposalGap = 2 * time.Millisecond
	// maxProposalTimeout caps how long a proposal may wait to commit.
	maxProposalTimeout = 30 * time.Second
	minProposalTimeout = 100 * time.Millisecond
)

var errStopping = errors.New("log replica is stopping")

// appendReq is one append waiting for its batch to commit.
type appendReq struct {
	// ctx is the caller's: a request whose caller has gone is not proposed.
	ctx context.Context
	// deadline is when the caller stops waiting; zero if it never does.
	deadline time.Time
	op       *appendOp
	size     int
	// finish is called once with the outcome, by the batcher or a
	// proposal's goroutine: it must not block.
	finish func(opResult, error)
}

// newAppendReq checks req and wraps it for the batcher.
func newAppendReq(ctx context.Context, deadline time.Time, req *wire.AppendRequest, finish func(opResult, error)) (*appendReq, error) {
	size, err := checkAppend(req)
	if err != nil {
		return nil, err
	}
	return &appendReq{
		ctx:      ctx,
		deadline: deadline,
		op:       &appendOp{clientID: req.ClientId, seq: req.Seq, entries: req.Entries},
		size:     size,
		finish:   finish,
	}, nil
}

// expired reports why r should no longer be proposed, or nil.
func (r *appendReq) expired(now time.Time) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	if !r.deadline.IsZero() && now.After(r.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// runBatcher gathers Append requests into proposals until Stop.
func (s *Server) runBatcher() {
	var pending []*appendReq
	inflight := 0
	finished := make(chan struct{}, maxInflight)
	pace := newPacer()
	defer pace.stop()
	for {
		if len(pending) > 0 && inflight < maxInflight && pace.ready(inflight) {
			var batch []*appendReq
			batch, pending = cutBatch(pending)
			if len(batch) > 0 {
				inflight++
				pace.started()
				s.wg.Add(1)
				go func() {
					defer s.wg.Done()
					s.propose(batch)
					finished <- struct{}{}
				}()
			}
			continue
		}
		select {
		case r := <-s.reqc:
			pending = drain(s.reqc, append(pending, r))
		case <-pace.waiting():
			pace.elapsed()
		case <-finished:
			inflight--
		case <-s.stopc:
			for _, r := range pending {
				r.finish(opResult{}, errStopping)
			}
			return
		}
	}
}

// pacer spaces proposals that overlap by at least proposalGap. It is owned
// by the batcher goroutine.
type pacer struct {
	last  time.Time
	timer *time.Timer
	armed bool
}

func newPacer() *pacer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &pacer{timer: t}
}

// ready reports whether a proposal may start now with inflight others in
// flight; if not, it arms the timer that waiting fires on.
func (p *pacer) ready(inflight int) bool {
	wait := proposalGap - time.Since(p.last)
	if inflight == 0 || wait <= 0 {
		return true
	}
	if !p.armed {
		p.timer.Reset(wait)
		p.armed = true
	}
	return false
}

// started records that a proposal started now.
func (p *pacer) started() {
	p.last = time.Now()
	if p.armed {
		p.timer.Stop()
		p.armed = false
	}
}

// waiting fires when the gap has passed; it is nil (never ready) while the
// timer is not armed.
func (p *pacer) waiting() <-chan time.Time {
	if !p.armed {
		return nil
	}
	return p.timer.C
}

func (p *pacer) elapsed() { p.armed = false }

func (p *pacer) stop() { p.timer.Stop() }

// drain appends the requests already queued, without blocking.
func drain(reqc <-chan *appendReq, pending []*appendReq) []*appendReq {
	for {
		select {
		case r := <-reqc:
			pending = append(pending, r)
		default:
			return pending
		}
	}
}

// cutBatch takes requests from the front of pending up to maxBatchBytes,
// answering those whose caller has already given up.
func cutBatch(pending []*appendReq) (batch, rest []*appendReq) {
	size := 0
	i := 0
	now := time.Now()
	for ; i < len(pending); i++ {
		r := pending[i]
		if err := r.expired(now); err != nil {
			r.finish(opResult{}, err)
			continue
		}
		if len(batch) > 0 && size+r.size > maxBatchBytes {
			break
		}
		batch = append(batch, r)
		size += r.size
	}
	rest = append(pending[:0:0], pending[i:]...)
	return batch, rest
}

// propose commits one batch through Raft and answers its requests.
func (s *Server) propose(batch []*appendReq) {
	ops := make([]*appendOp, len(batch))
	size := 0
	for i, r := range batch {
		ops[i] = r.op
		size += r.size
	}
	s.metrics.batchRequests.Observe(float64(len(batch)))
	s.metrics.batchBytes.Observe(float64(size))
	res, err := s.proposeAndWait(encodeAppend(ops), proposalTimeout(batch))
	if err != nil {
		err = fmt.Errorf("proposing %d appends: %w", len(batch), err)
		for _, r := range batch {
			r.finish(opResult{}, err)
		}
		return
	}
	rs, err := decodeResults(res.Data, len(batch))
	if err == nil && res.Value != uint64(len(batch)) {
		err = fmt.Errorf("state machine answered %d of %d appends", res.Value, len(batch))
	}
	for i, r := range batch {
		if err != nil {
			r.finish(opResult{}, err)
		} else {
			r.finish(rs[i], nil)
		}
	}
}

// errLeaderChanged means the leader or term changed while a proposal was
// pending: it may have been lost (e.g. forwarded to a leader that died) or
// may still commit, so the caller should retry with the same key.
var errLeaderChanged = errors.New("leader changed while the proposal was pending; outcome unknown")

// proposeAndWait proposes cmd and waits until it is applied, the timeout
// passes, the leader changes, or the server stops.
func (s *Server) proposeAndWait(cmd []byte, timeout time.Duration) (sm.Result, error) {
	changed := s.leaders.changes()
	rs, err := s.nh.Propose(s.session, cmd, timeout)
	if err != nil {
		return sm.Result{}, err
	}
	select {
	case r := <-rs.AppliedC():
		defer rs.Release()
		return requestResult(r)
	case <-changed:
		return sm.Result{}, errLeaderChanged
	case <-s.stopc:
		return sm.Result{}, errStopping
	}
}

// requestResult converts a Dragonboat request outcome into a result or
// error, as NodeHost.SyncPropose does.
func requestResult(r dragonboat.RequestResult) (sm.Result, error) {
	switch {
	case r.Completed():
		return r.GetResult(), nil
	case r.Timeout():
		return sm.Result{}, dragonboat.ErrTimeout
	case r.Terminated():
		return sm.Result{}, dragonboat.ErrClusterClosed
	case r.Dropped():
		return sm.Result{}, dragonboat.ErrClusterNotReady
	case r.Rejected():
		return sm.Result{}, dragonboat.ErrRejected
	default:
		return sm.Result{}, dragonboat.ErrAborted
	}
}

// proposalTimeout is the latest deadline of the batch's callers, within
// [minProposalTimeout, maxProposalTimeout].
func proposalTimeout(batch []*appendReq) time.Duration {
	var latest time.Time
	for _, r := range batch {
		if r.deadline.IsZero() {
			return maxProposalTimeout
		}
		if r.deadline.After(latest) {
			latest = r.deadline
		}
	}
	return min(max(time.Until(latest), minProposalTimeout), maxProposalTimeout)
}
