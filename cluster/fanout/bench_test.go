package fanout_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
)

// BenchmarkRun measures what fanout itself costs per request: placing
// items, picking replicas, starting one goroutine per call, collecting
// outcomes and delivering. The call does no I/O, so this is the overhead
// added to every lookup on top of its RPCs.
//
//	go test ./cluster/fanout -run '^$' -bench BenchmarkRun -benchmem
func BenchmarkRun(b *testing.B) {
	half := uint64(math.MaxUint64 / 2)
	twoByTwo := []fanout.Target{
		{Addr: "a1", Range: space.Range{Start: 0, End: half}}, {Addr: "a2", Range: space.Range{Start: 0, End: half}},
		{Addr: "b1", Range: space.Range{Start: half + 1, End: math.MaxUint64}}, {Addr: "b2", Range: space.Range{Start: half + 1, End: math.MaxUint64}},
	}
	mixed := append(partitions(b, 2), partitions(b, 3)...)
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("points=%d/2x2", n), func(b *testing.B) { benchRun(b, twoByTwo, spread(n)) })
	}
	b.Run("cover/2way+3way", func(b *testing.B) { benchRun(b, mixed, []space.Range{space.Full()}) })
}

func benchRun(b *testing.B, targets []fanout.Target, items []space.Range) {
	f, err := fanout.New(fanout.Config{})
	if err != nil {
		b.Fatal(err)
	}
	delivered := 0
	call := func(context.Context, fanout.Target, []fanout.Unit) (fanout.Deliver, error) {
		return func(done []fanout.Unit) { delivered += len(done) }, nil
	}
	req := fanout.Request{Class: "bench", Items: items, Targets: func() []fanout.Target { return targets }, Call: call}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := f.Run(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if delivered < b.N*len(items) {
		b.Fatalf("delivered %d units for %d requests of %d items", delivered, b.N, len(items))
	}
}

// spread returns n point items spread over the space.
func spread(n int) []space.Range {
	out := make([]space.Range, n)
	for i := range out {
		out[i] = fanout.Point(uint64(i) * (math.MaxUint64 / uint64(n)))
	}
	return out
}

func partitions(b *testing.B, n int) []fanout.Target {
	var out []fanout.Target
	for i := 1; i <= n; i++ {
		r, err := space.Partition(i, n)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, fanout.Target{Addr: fmt.Sprintf("p%d-%d", i, n), Range: r})
	}
	return out
}
