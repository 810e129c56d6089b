package viewserver

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/roles/logserver/logtest"
	"github.com/akutan-dev/akutan/wire"
)

// viewClient connects to s until the test ends.
func viewClient(t *testing.T, s *Server) wire.ViewClient {
	t.Helper()
	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()), wire.CallOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return wire.NewViewClient(conn)
}

// scanned is what a lookup stream sent: matches per lookup and chunks.
type scanned struct {
	perLookup map[uint32]int
	chunks    int
}

func readScan(st interface {
	Recv() (*wire.LookupChunk, error)
}, err error) (scanned, error) {
	out := scanned{perLookup: map[uint32]int{}}
	if err != nil {
		return out, err
	}
	for {
		c, err := st.Recv()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if len(c.Matches) > chunkMatches {
			return out, fmt.Errorf("a chunk of %d matches, over %d", len(c.Matches), chunkMatches)
		}
		out.chunks++
		for _, m := range c.Matches {
			out.perLookup[m.Lookup]++
		}
	}
}

// TestScans: LookupP and Scan stream every fact of a predicate and of the
// view, as of the index asked, in chunks; each is served only by views of
// its space.
func TestScans(t *testing.T) {
	lc := logtest.Start(t, 1)
	subjects := func(from, n uint64) []uint64 {
		out := make([]uint64, n)
		for i := range out {
			out[i] = from + uint64(i)
		}
		return out
	}
	first := appendFacts(t, lc, subjects(1000, 300)...)
	last := appendFacts(t, lc, subjects(2000, 1200)...)
	sp := startView(t, Config{Space: space.HashSP, Range: space.Full(), Dir: t.TempDir(), LogAddrs: lc.Addrs()})
	po := startView(t, Config{Space: space.HashPO, Range: space.Full(), Dir: t.TempDir(), LogAddrs: lc.Addrs()})
	waitUntil(t, fmt.Sprintf("both views serve at %d", last), func() bool {
		return sp.Serving() && sp.Applied() >= last && po.Serving() && po.Applied() >= last
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	spc, poc := viewClient(t, sp), viewClient(t, po)

	for _, tc := range []struct {
		index uint64
		want  int
	}{{first, 300}, {last, 1500}} {
		got, err := readScan(poc.LookupP(ctx, &wire.LookupPRequest{Index: tc.index, Predicates: []uint64{78, 77}}))
		if err != nil {
			t.Fatalf("LookupP at %d: %v", tc.index, err)
		}
		if got.perLookup[0] != 0 || got.perLookup[1] != tc.want || len(got.perLookup) > 2 {
			t.Errorf("LookupP at %d: matches per lookup %v, want %d for lookup 1 only", tc.index, got.perLookup, tc.want)
		}
		if atLeast := (tc.want + chunkMatches - 1) / chunkMatches; got.chunks < atLeast {
			t.Errorf("LookupP at %d: %d chunks, want at least %d", tc.index, got.chunks, atLeast)
		}
		got, err = readScan(spc.Scan(ctx, &wire.ScanRequest{Index: tc.index}))
		if err != nil {
			t.Fatalf("Scan at %d: %v", tc.index, err)
		}
		if got.perLookup[0] != tc.want || len(got.perLookup) != 1 {
			t.Errorf("Scan at %d: matches per lookup %v, want %d for lookup 0", tc.index, got.perLookup, tc.want)
		}
	}

	if _, err := readScan(spc.LookupP(ctx, &wire.LookupPRequest{Index: last, Predicates: []uint64{77}})); status.Code(err) != codes.InvalidArgument {
		t.Errorf("LookupP of a HashSP view: %v, want InvalidArgument", err)
	}
	if _, err := readScan(poc.Scan(ctx, &wire.ScanRequest{Index: last})); status.Code(err) != codes.InvalidArgument {
		t.Errorf("Scan of a HashPO view: %v, want InvalidArgument", err)
	}
}
