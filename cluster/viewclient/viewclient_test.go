package viewclient_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/roles/viewserver/viewtest"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// TestMidReshard: each space is served by a 2-way and a 3-way partitioning
// at once, with one view of each already gone, so view ranges do not line
// up. Every lookup type must return each fact exactly once.
func TestMidReshard(t *testing.T) {
	sp, po := space.HashSP, space.HashPO
	c := viewtest.Start(t,
		viewtest.Partition(t, sp, 1, 2), viewtest.Partition(t, sp, 2, 2),
		viewtest.Partition(t, sp, 1, 3), viewtest.Partition(t, sp, 2, 3), viewtest.Partition(t, sp, 3, 3),
		viewtest.Partition(t, po, 1, 2), viewtest.Partition(t, po, 2, 2),
		viewtest.Partition(t, po, 1, 3), viewtest.Partition(t, po, 2, 3), viewtest.Partition(t, po, 3, 3))
	facts := c.Insert(t, testTriples())
	index := facts[0].Index
	views := c.Views()
	views[0].Stop(true) // hashsp 1/2: only the 3-way views serve [0, 1/3)
	views[8].Stop(true) // hashpo 2/3: only the 2-way views serve [1/3, 2/3)
	vc := newClient(t, c)
	ctx := timeout(t, 20*time.Second)

	lookupSP(t, ctx, vc, index, facts)
	checkLookupS(t, ctx, vc, index, facts)
	checkLookupSPO(t, ctx, vc, index, facts)
	checkLookupPO(t, ctx, vc, index, facts)
	checkLookupPOCmp(t, ctx, vc, index, facts)
	checkLookupP(t, ctx, vc, index, facts)
	checkScan(t, ctx, vc, index, facts)
}

func checkLookupS(t *testing.T, ctx context.Context, vc *viewclient.Client, index uint64, facts []storage.Fact) {
	t.Helper()
	subj := allSubjects()
	var rec recorder
	if err := vc.LookupS(ctx, index, subj, rec.emit); err != nil {
		t.Fatalf("LookupS: %v", err)
	}
	checkSame(t, "LookupS", rec.sorted(), expect(facts, len(subj), func(i int, f storage.Fact) bool {
		return f.Subject == subj[i]
	}))
}

func checkLookupSPO(t *testing.T, ctx context.Context, vc *viewclient.Client, index uint64, facts []storage.Fact) {
	t.Helper()
	lookups := make([]viewclient.SPO, 0, len(facts))
	for _, f := range facts {
		lookups = append(lookups, viewclient.SPO{Subject: f.Subject, Predicate: f.Predicate, Object: f.Object})
	}
	var rec recorder
	if err := vc.LookupSPO(ctx, index, lookups, rec.emit); err != nil {
		t.Fatalf("LookupSPO: %v", err)
	}
	checkSame(t, "LookupSPO", rec.sorted(), expect(facts, len(lookups), func(i int, f storage.Fact) bool {
		l := lookups[i]
		return f.Subject == l.Subject && f.Predicate == l.Predicate && f.Object == l.Object
	}))
}

func checkLookupPO(t *testing.T, ctx context.Context, vc *viewclient.Client, index uint64, facts []storage.Fact) {
	t.Helper()
	var lookups []viewclient.PO
	for p := uint64(firstPredicate); p < firstPredicate+predicates; p++ {
		for o := uint64(3000); o < 3000+sharedObjects; o++ {
			lookups = append(lookups, viewclient.PO{Predicate: p, Object: storage.AEntity(o)})
		}
	}
	var rec recorder
	if err := vc.LookupPO(ctx, index, lookups, rec.emit); err != nil {
		t.Fatalf("LookupPO: %v", err)
	}
	checkSame(t, "LookupPO", rec.sorted(), expect(facts, len(lookups), func(i int, f storage.Fact) bool {
		return f.Predicate == lookups[i].Predicate && f.Object == lookups[i].Object
	}))
}

func checkLookupPOCmp(t *testing.T, ctx context.Context, vc *viewclient.Client, index uint64, facts []storage.Fact) {
	t.Helper()
	var lookups []*wire.POCmp
	for p := uint64(firstPredicate); p < firstPredicate+predicates; p++ {
		lookups = append(lookups, &wire.POCmp{Predicate: p, Op: wire.CmpOp_CMP_ANY})
	}
	var rec recorder
	if err := vc.LookupPOCmp(ctx, index, lookups, rec.emit); err != nil {
		t.Fatalf("LookupPOCmp: %v", err)
	}
	checkSame(t, "LookupPOCmp", rec.sorted(), expect(facts, len(lookups), func(i int, f storage.Fact) bool {
		return f.Predicate == lookups[i].Predicate
	}))
}

func checkLookupP(t *testing.T, ctx context.Context, vc *viewclient.Client, index uint64, facts []storage.Fact) {
	t.Helper()
	var asked []uint64
	for p := uint64(firstPredicate); p < firstPredicate+predicates+1; p++ { // the last has no facts
		asked = append(asked, p)
	}
	var rec recorder
	if err := vc.LookupP(ctx, index, asked, rec.emit); err != nil {
		t.Fatalf("LookupP: %v", err)
	}
	checkSame(t, "LookupP", rec.sorted(), expect(facts, len(asked), func(i int, f storage.Fact) bool {
		return f.Predicate == asked[i]
	}))
}

func checkScan(t *testing.T, ctx context.Context, vc *viewclient.Client, index uint64, facts []storage.Fact) {
	t.Helper()
	var rec recorder
	if err := vc.Scan(ctx, index, rec.emit); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	checkSame(t, "Scan", rec.sorted(), expect(facts, 1, func(int, storage.Fact) bool { return true }))
}

// TestDeadReplicaIsRetried: a replica that died but is still listed (gossip
// has not noticed yet) costs retries, never a failed lookup.
func TestDeadReplicaIsRetried(t *testing.T) {
	c := viewtest.Start(t, viewtest.Partition(t, space.HashSP, 1, 2), viewtest.Partition(t, space.HashSP, 1, 2),
		viewtest.Partition(t, space.HashSP, 2, 2), viewtest.Partition(t, space.HashSP, 2, 2))
	facts := c.Insert(t, testTriples())
	views := c.Views()
	views[0].Stop(false)
	views[3].Stop(false)
	vc := newClient(t, c)
	ctx := timeout(t, 20*time.Second)
	for range 10 {
		lookupSP(t, ctx, vc, facts[0].Index, facts)
		checkLookupS(t, ctx, vc, facts[0].Index, facts)
	}
	if s := vc.Stats(); s.Failures == 0 || s.Retries == 0 {
		t.Fatalf("stats %+v: want failures and retries", s)
	}
}

// TestReplacedViewIsFound: when every replica of a range has failed, the
// client backs off, re-reads the membership and finds the view that
// replaced the dead one.
func TestReplacedViewIsFound(t *testing.T) {
	spec := viewtest.Partition(t, space.HashSP, 1, 1)
	c := viewtest.Start(t, spec)
	facts := c.Insert(t, testTriples())
	old := c.Views()[0]
	old.Stop(false)
	cfg := fanout.Config{Rounds: 8, Backoff: 20 * time.Millisecond}
	vc := newClient(t, c, viewclient.WithFanoutConfig(cfg))
	done := make(chan error, 1)
	go func() {
		done <- vc.LookupSP(timeout(t, 20*time.Second), facts[0].Index, spLookups(), func(int, storage.Fact) {})
	}()
	time.Sleep(30 * time.Millisecond) // let the first round fail
	c.Add(t, spec)
	old.Unlist()
	if err := <-done; err != nil {
		t.Fatalf("LookupSP while the view was replaced: %v", err)
	}
	lookupSP(t, timeout(t, 20*time.Second), vc, facts[0].Index, facts)
}

// TestNoViewFails: a range nobody serves fails with ErrUncovered after
// the retry rounds, without waiting for the deadline.
func TestNoViewFails(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out every retry round and the patience (seconds)")
	}
	c := viewtest.Start(t, viewtest.Partition(t, space.HashSP, 1, 2))
	vc := newClient(t, c)
	start := time.Now()
	err := vc.LookupS(timeout(t, 20*time.Second), 0, allSubjects(), func(int, storage.Fact) {})
	if !errors.Is(err, fanout.ErrUncovered) {
		t.Fatalf("LookupS over half a space = %v, want ErrUncovered", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("failing took %v", d)
	}
}

// TestPrefersLocalDC: equally fresh replicas in the local datacenter get
// every call, spread over both of them.
func TestPrefersLocalDC(t *testing.T) {
	local, remote := viewtest.Partition(t, space.HashSP, 1, 1), viewtest.Partition(t, space.HashSP, 1, 1)
	local.DC, remote.DC = "here", "there"
	c := viewtest.Start(t, local, local, remote, remote)
	facts := c.Insert(t, testTriples())
	vc := newClient(t, c, viewclient.WithLocalDC("here"))
	for range 30 {
		lookupSP(t, timeout(t, 20*time.Second), vc, facts[0].Index, facts)
	}
	views := c.Views()
	for i, v := range views {
		n := v.LookupRPCs(t)
		if v.DC == "here" && n == 0 {
			t.Errorf("local view %d got no call: choice is not random", i)
		}
		if v.DC == "there" && n != 0 {
			t.Errorf("remote view %d got %d calls", i, n)
		}
	}
}

// TestMetricsRegistered: the fanout counters reach the registry.
func TestMetricsRegistered(t *testing.T) {
	c := viewtest.Start(t, viewtest.Partition(t, space.HashSP, 1, 1))
	facts := c.Insert(t, testTriples())
	reg := prometheus.NewRegistry()
	vc := newClient(t, c, viewclient.WithRegisterer(reg))
	lookupSP(t, timeout(t, 20*time.Second), vc, facts[0].Index, facts)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			found[f.GetName()] += m.GetCounter().GetValue()
		}
	}
	for _, name := range []string{"akutan_fanout_rpcs_total", "akutan_fanout_retries_total", "akutan_fanout_hedges_total", "akutan_fanout_hedges_won_total"} {
		if _, ok := found[name]; !ok {
			t.Errorf("metric %s is not registered", name)
		}
	}
	if found["akutan_fanout_rpcs_total"] < 1 {
		t.Errorf("akutan_fanout_rpcs_total = %v", found["akutan_fanout_rpcs_total"])
	}
	if _, err := viewclient.New(c.Members, viewclient.WithRegisterer(reg)); err == nil {
		t.Error("registering the metrics twice on one registry succeeded")
	}
}

// TestHungReplicaIsHedged: a replica whose answers are swallowed (its
// connection stays open) is raced by a hedge, which wins. Each lookup
// returns only once its calls have, so this also proves that a real
// lookup stream ends when fanout cancels the losing call, which fake
// calls in the fanout tests cannot.
func TestHungReplicaIsHedged(t *testing.T) {
	whole := viewtest.Partition(t, space.HashSP, 1, 1)
	hung := whole
	hung.Proxied = true
	c := viewtest.Start(t, whole, hung)
	facts := c.Insert(t, testTriples())
	c.Views()[1].Blackhole(t)
	vc := newClient(t, c)
	for range 20 {
		lookupSP(t, timeout(t, 20*time.Second), vc, facts[0].Index, facts)
	}
	// A loaded machine may also hedge a call to the healthy replica,
	// which the hung one never wins; hedges past the hung one must win.
	if s := vc.Stats(); s.HedgesWon == 0 {
		t.Fatalf("stats %+v: want hedges that won", s)
	}
}

// Targets marks views whose gossip State is draining, for fanout to avoid.
func TestTargetsMarkDrainingViews(t *testing.T) {
	members := []gossip.Member{
		{Name: "a", Meta: gossip.Meta{Role: "view", Space: "hashsp", GRPCAddr: "a:1", Serving: true, RangeEnd: 1<<64 - 1}},
		{Name: "b", Meta: gossip.Meta{Role: "view", Space: "hashsp", GRPCAddr: "b:1", Serving: true, RangeEnd: 1<<64 - 1,
			State: gossip.StateDraining}},
	}
	vc, err := viewclient.New(func() []gossip.Member { return members })
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	got := vc.Targets(space.HashSP)
	if len(got) != 2 || got[0].Draining || !got[1].Draining {
		t.Fatalf("targets %+v: want a not draining, b draining", got)
	}
}
