package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/engine/enginetest"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/query/planner"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// partitioned is the example graph served by n views per space, one per
// equal partition, as a view client would list them (engine.Topology).
type partitioned struct {
	*enginetest.Views
	n int
}

func (p partitioned) Targets(sp space.Space) []fanout.Target {
	out := make([]fanout.Target, p.n)
	for i := range out {
		r, _ := space.Partition(i+1, p.n)
		out[i] = fanout.Target{Addr: fmt.Sprintf("%s-%d", sp, i), Range: r}
	}
	return out
}

// partitionsHit counts the partitions of p that hold the given points.
func (p partitioned) partitionsHit(points []uint64) int {
	hit := map[int]bool{}
	for _, h := range points {
		for i := range p.n {
			if r, _ := space.Partition(i+1, p.n); r.Contains(h) {
				hit[i] = true
			}
		}
	}
	return len(hit)
}

// explained runs text with Explain and returns the header's plan and the
// last chunk's operator statistics and analysis.
func explained(t *testing.T, v engine.Views, index uint64, text string, opts ...engine.Option) (plan string, ops []engine.OperatorStats, analysis string) {
	t.Helper()
	q, err := parser.ParseQuery(text)
	if err != nil {
		t.Fatal(err)
	}
	err = engine.New(v, opts...).Stream(context.Background(), q, index, engine.Options{Explain: true}, func(c *engine.Chunk) error {
		if c.Plan != "" {
			plan = c.Plan
		}
		if c.Operators != nil {
			ops, analysis = c.Operators, c.Analysis
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return plan, ops, analysis
}

// TestOperatorStats: EXPLAIN reports, per operator, the rows it produced,
// its lookup calls, the lookups in them, and the view RPCs they needed:
// one per partition a call's lookups fall in (each point lookup placed as
// the view client places it), every partition for a covering scan.
func TestOperatorStats(t *testing.T) {
	v := partitioned{Views: newExample(t), n: 4}
	var tvs []uint64
	for _, name := range []string{"NU7100", "QN65Q6FNAF", "N5300", "OLED55"} {
		tvs = append(tvs, v.Entity(name))
	}
	size, typ := v.Entity("size"), v.Entity("rdf:type")
	// The loop join looks up each TV's size; the search for TVs looks up
	// <TV>, then each TV as the object of a longer chain.
	var sizeLookups, typeLookups []uint64
	for _, tv := range tvs {
		sizeLookups = append(sizeLookups, space.HashSP.Hash(storage.Fact{Subject: tv, Predicate: size}))
		typeLookups = append(typeLookups, space.HashPO.Hash(storage.Fact{Predicate: typ, Object: storage.AEntity(tv)}))
	}
	for _, tc := range []struct {
		query     string
		loopBatch int
		want      []string // per operator: label, rows, calls, lookups, rpcs
	}{
		{"SELECT ?o WHERE { ?f <NU7100> <size> ?o }", 1024, []string{
			"LookupSP(?f <NU7100> <size> ?o) rows 1 calls 1 lookups 1 rpcs 1",
		}},
		{"SELECT ?s ?o WHERE { ?f ?s <size> ?o }", 1024, []string{
			"LookupP(?f ?s <size> ?o) rows 4 calls 1 lookups 1 rpcs 4",
		}},
		{"SELECT ?tv ?s WHERE { ?tv rdf:type <TV> . ?f ?tv <size> ?s }", 1024, []string{
			fmt.Sprintf("LoopJoin ?tv LookupSP(?f $tv <size> ?s) rows 4 calls 1 lookups 4 rpcs %d", v.partitionsHit(sizeLookups)),
			fmt.Sprintf("InferPO(_ ?tv rdf:type <TV>) rows 4 calls 2 lookups 5 rpcs %d", 1+v.partitionsHit(typeLookups)),
		}},
	} {
		_, ops, analysis := explained(t, v, v.Index(), tc.query, engine.WithLoopBatch(tc.loopBatch))
		var got []string
		for _, op := range ops {
			got = append(got, fmt.Sprintf("%s rows %d calls %d lookups %d rpcs %d", op.Label, op.Rows, op.Calls, op.Lookups, op.RPCs))
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s (loop batch %d):\n got %q\nwant %q", tc.query, tc.loopBatch, got, tc.want)
		}
		if lines := strings.Split(strings.TrimSuffix(analysis, "\n"), "\n"); len(lines) != len(ops) ||
			!strings.HasPrefix(lines[0], ops[0].Label+"  [est rows ") || !strings.Contains(lines[0], fmt.Sprintf("| rows %d, rpcs %d, lookups %d, time ", ops[0].Rows, ops[0].RPCs, ops[0].Lookups)) {
			t.Errorf("%s: analysis does not show each operator's work:\n%s", tc.query, analysis)
		}
	}
}

// TestExplainPlan: the explained plan starts with the output stage and
// then prints the operator tree with estimates, indented by depth.
func TestExplainPlan(t *testing.T) {
	v := newExample(t)
	plan, _, _ := explained(t, v, v.Index(),
		"SELECT DISTINCT ?person WHERE { ?person <born> ?place . ?place <locatedIn> <USA> } ORDER BY DESC(?person) OFFSET 1 LIMIT 2")
	want := "Project person | Distinct | OrderBy DESC(?person) | Offset 1 | Limit 2\n" +
		"LoopJoin ?place InferPO(_ ?person <born> $place)  [rows 400, cost 590]\n" +
		"  InferPO(_ ?place <locatedIn> <USA>)  [rows 20, cost 118]\n"
	if plan != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", plan, want)
	}
}

// TestStatisticsChooseTheSearch: with statistics saying <locatedIn> fans
// out from subjects and narrows towards objects, a chain between two
// known ends is searched backward, and answers the same.
func TestStatisticsChooseTheSearch(t *testing.T) {
	v := newExample(t)
	located := v.Entity("locatedIn")
	st := planner.NewStats([]*wire.StatsReply{
		{Space: "hashsp", RangeEnd: ^uint64(0), Ready: true, Facts: 1000,
			Predicates: []*wire.PredicateCount{{Predicate: located, Facts: 1000, Keys: 10}}},
		{Space: "hashpo", RangeEnd: ^uint64(0), Ready: true, Facts: 1000,
			Predicates: []*wire.PredicateCount{{Predicate: located, Facts: 1000, Keys: 1000, EntityObjects: 1000}}},
	})
	stats := engine.WithStats(func() *planner.Stats { return st })
	for query, want := range map[string]string{
		"ASK WHERE { <Fairfield> <locatedIn> <USA> }":   "true",
		"ASK WHERE { <USA> <locatedIn> <Fairfield> }":   "false",
		"ASK WHERE { <Conway> <locatedIn> <Ohio> }":     "false",
		"ASK WHERE { <Bradford> <locatedIn> <Ohio> }":   "true",
		"ASK WHERE { <Forte_Meade> <locatedIn> <USA> }": "true",
	} {
		if plan := plan(t, v, query, stats); !strings.Contains(plan, "InferSPO(backward)(") {
			t.Fatalf("%s: want a backward search:\n%s", query, plan)
		}
		if _, rows, err := answer(t, v, v.Index(), query, stats); err != nil || strings.Join(rows, ",") != want {
			t.Fatalf("%s = %q, %v; want %s", query, rows, err, want)
		}
	}
}
