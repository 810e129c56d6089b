package fanout_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/cluster/viewclient/viewtest"
	"github.com/akutan-dev/akutan/wire"
)

// statusCalls makes fanout calls that ask a real view for its Status and
// check that it serves every unit given to it. It records what each call
// delivered and how calls ended.
type statusCalls struct {
	t *testing.T
	c *viewtest.Cluster

	mu        sync.Mutex
	conns     map[string]*grpc.ClientConn
	delivered map[int][]space.Range // item -> delivered unit ranges
	cancelled int                   // calls that ended because their context did
}

func newStatusCalls(t *testing.T, c *viewtest.Cluster) *statusCalls {
	s := &statusCalls{t: t, c: c, conns: map[string]*grpc.ClientConn{}, delivered: map[int][]space.Range{}}
	t.Cleanup(func() {
		for _, conn := range s.conns {
			conn.Close()
		}
	})
	return s
}

func (s *statusCalls) targets() []fanout.Target {
	var out []fanout.Target
	for _, m := range s.c.Members() {
		out = append(out, fanout.Target{Addr: m.Meta.GRPCAddr, Range: m.Meta.Range(), DC: m.Meta.DC, Applied: m.Meta.AppliedIndex})
	}
	return out
}

func (s *statusCalls) view(addr string) (wire.ViewClient, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conn := s.conns[addr]
	if conn == nil {
		var err error
		if conn, err = grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
			return nil, err
		}
		s.conns[addr] = conn
	}
	return wire.NewViewClient(conn), nil
}

func (s *statusCalls) call(ctx context.Context, t fanout.Target, units []fanout.Unit) (fanout.Deliver, error) {
	v, err := s.view(t.Addr)
	if err != nil {
		return nil, err
	}
	rep, err := v.Status(ctx, &wire.ViewStatusRequest{})
	if ctx.Err() != nil {
		s.mu.Lock()
		s.cancelled++
		s.mu.Unlock()
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		if u.Range.Start < rep.RangeStart || u.Range.End > rep.RangeEnd {
			s.t.Errorf("unit %v sent to view %s serving %x-%x", u, t.Addr, rep.RangeStart, rep.RangeEnd)
		}
	}
	return func(done []fanout.Unit) {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, u := range done {
			s.delivered[u.Item] = append(s.delivered[u.Item], u.Range)
		}
	}, nil
}

func (s *statusCalls) request(items []space.Range) fanout.Request {
	return fanout.Request{Class: "Status", Items: items, Targets: s.targets, Call: s.call}
}

// checkTiled fails unless each item's delivered ranges tile it exactly.
func (s *statusCalls) checkTiled(items []space.Range) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, it := range items {
		got := slices.Clone(s.delivered[i])
		slices.SortFunc(got, func(a, b space.Range) int { return cmpUint(a.Start, b.Start) })
		next := it.Start
		for _, r := range got {
			if r.Start != next || r.End > it.End {
				s.t.Fatalf("item %d %v: delivered %v: gap or overlap at %x", i, it, got, next)
			}
			next = r.End + 1
		}
		if len(got) == 0 || got[len(got)-1].End != it.End {
			s.t.Fatalf("item %d %v: delivered %v does not reach the end", i, it, got)
		}
	}
	s.delivered = map[int][]space.Range{}
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func newFanout(t *testing.T, cfg fanout.Config) *fanout.Fanout {
	t.Helper()
	f, err := fanout.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// items returns the whole space and n points spread over it.
func items(n int) []space.Range {
	out := []space.Range{space.Full()}
	for i := range n {
		out = append(out, fanout.Point(uint64(i)*(math.MaxUint64/uint64(n))))
	}
	return out
}

// TestRunTilesMidReshard: with a 2-way and a 3-way partitioning, one view
// of each gone, every item is delivered exactly once, in pieces that each
// lie inside the view that answered them.
func TestRunTilesMidReshard(t *testing.T) {
	sp := space.HashSP
	c := viewtest.Start(t, viewtest.Partition(t, sp, 1, 2), viewtest.Partition(t, sp, 2, 2),
		viewtest.Partition(t, sp, 1, 3), viewtest.Partition(t, sp, 2, 3), viewtest.Partition(t, sp, 3, 3))
	c.Views()[1].Stop(true)
	c.Views()[2].Stop(false) // dead but still listed: calls to it fail
	s := newStatusCalls(t, c)
	f := newFanout(t, fanout.Config{})
	its := items(50)
	for range 10 {
		if err := f.Run(timeout(t, 10*time.Second), s.request(its)); err != nil {
			t.Fatal(err)
		}
		s.checkTiled(its)
	}
	if st := f.Stats(); st.Failures == 0 || st.Retries == 0 {
		t.Fatalf("stats %+v: want failed calls to the dead view, retried", st)
	}
}

// TestRunHedgesHungReplica: a replica that never answers is raced after
// the hedge delay; the hedge wins, the hung call is cancelled, and each
// item is delivered once.
func TestRunHedgesHungReplica(t *testing.T) {
	whole := viewtest.Partition(t, space.HashSP, 1, 1)
	hung := whole
	hung.Proxied = true
	c := viewtest.Start(t, whole, hung)
	c.Views()[1].Blackhole(t)
	s := newStatusCalls(t, c)
	f := newFanout(t, fanout.Config{})
	its := items(20)
	for range 20 {
		start := time.Now()
		if err := f.Run(timeout(t, 20*time.Second), s.request(its)); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("a hedged request took %v", d)
		}
		s.checkTiled(its)
	}
	st := f.Stats()
	if st.Hedges == 0 || st.HedgesWon != st.Hedges {
		t.Fatalf("stats %+v: want hedges, all won", st)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancelled != int(st.Hedges) {
		t.Fatalf("%d calls were cancelled, want one per hedge (%d)", s.cancelled, st.Hedges)
	}
}

// TestRunDeadline: when no replica answers, the request's deadline ends it
// and every call it made has returned by then.
func TestRunDeadline(t *testing.T) {
	spec := viewtest.Partition(t, space.HashSP, 1, 1)
	spec.Proxied = true
	c := viewtest.Start(t, spec, spec)
	for _, v := range c.Views() {
		v.Blackhole(t)
	}
	s := newStatusCalls(t, c)
	f := newFanout(t, fanout.Config{})
	start := time.Now()
	err := f.Run(timeout(t, 200*time.Millisecond), s.request(items(5)))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Run returned %v after a 200ms deadline", d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := f.Stats(); s.cancelled != int(st.RPCs) {
		t.Fatalf("%d of %d calls had returned when Run did", s.cancelled, st.RPCs)
	}
}

// TestRunWithoutHedging: with hedging off, a slow replica's answer is
// waited for.
func TestRunWithoutHedging(t *testing.T) {
	const delay = 200 * time.Millisecond
	whole := viewtest.Partition(t, space.HashSP, 1, 1)
	slow := whole
	slow.Proxied = true
	c := viewtest.Start(t, whole, slow)
	c.Views()[1].Slow(t, delay)
	s := newStatusCalls(t, c)
	f := newFanout(t, fanout.Config{DisableHedging: true})
	var slowest time.Duration
	for range 20 {
		start := time.Now()
		if err := f.Run(timeout(t, 20*time.Second), s.request([]space.Range{fanout.Point(7)})); err != nil {
			t.Fatal(err)
		}
		slowest = max(slowest, time.Since(start))
	}
	if slowest < delay {
		t.Fatalf("slowest request took %v: the slow replica (%v) was never waited for", slowest, delay)
	}
	if st := f.Stats(); st.Hedges != 0 {
		t.Fatalf("stats %+v: hedged with hedging off", st)
	}
}

// TestRunRejectsBadItems: an invalid range is an error, not a panic.
func TestRunRejectsBadItems(t *testing.T) {
	f := newFanout(t, fanout.Config{})
	err := f.Run(context.Background(), fanout.Request{Items: []space.Range{{Start: 2, End: 1}},
		Targets: func() []fanout.Target { return nil },
		Call:    func(context.Context, fanout.Target, []fanout.Unit) (fanout.Deliver, error) { return nil, nil }})
	if err == nil {
		t.Fatal("Run accepted an invalid item")
	}
	if err := f.Run(context.Background(), fanout.Request{Items: items(1)}); err == nil {
		t.Fatal("Run accepted a request without Targets and Call")
	}
}
