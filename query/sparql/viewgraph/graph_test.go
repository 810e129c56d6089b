package viewgraph_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/fanout"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/engine"
	"github.com/akutan-dev/akutan/query/engine/enginetest"
	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql/eval"
	"github.com/akutan-dev/akutan/query/sparql/viewgraph"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// calls records the lookups asked of the views: "kind n" per call.
type calls struct {
	engine.Views
	mu  sync.Mutex
	got []string
}

func (c *calls) note(kind string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, kind+" "+strings.Repeat("+", n))
}

func (c *calls) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.got
	c.got = nil
	slices.Sort(out)
	return out
}

func (c *calls) LookupS(ctx context.Context, index uint64, s []uint64, emit viewclient.Emit) error {
	c.note("S", len(s))
	return c.Views.LookupS(ctx, index, s, emit)
}

func (c *calls) LookupSP(ctx context.Context, index uint64, l []viewclient.SP, emit viewclient.Emit) error {
	c.note("SP", len(l))
	return c.Views.LookupSP(ctx, index, l, emit)
}

func (c *calls) LookupSPO(ctx context.Context, index uint64, l []viewclient.SPO, emit viewclient.Emit) error {
	c.note("SPO", len(l))
	return c.Views.LookupSPO(ctx, index, l, emit)
}

func (c *calls) LookupPO(ctx context.Context, index uint64, l []viewclient.PO, emit viewclient.Emit) error {
	c.note("PO", len(l))
	return c.Views.LookupPO(ctx, index, l, emit)
}

func (c *calls) LookupPOCmp(ctx context.Context, index uint64, l []*wire.POCmp, emit viewclient.Emit) error {
	c.note("POCmp", len(l))
	return c.Views.LookupPOCmp(ctx, index, l, emit)
}

func (c *calls) LookupP(ctx context.Context, index uint64, p []uint64, emit viewclient.Emit) error {
	c.note("P", len(p))
	return c.Views.LookupP(ctx, index, p, emit)
}

func (c *calls) Scan(ctx context.Context, index uint64, emit viewclient.Emit) error {
	c.note("Scan", 1)
	return c.Views.Scan(ctx, index, emit)
}

func load(t *testing.T, m rdf.Mapper, triples ...rdf.Triple) *enginetest.Views {
	t.Helper()
	v := enginetest.New()
	if err := v.InsertParsed(m.Insert(triples)); err != nil {
		t.Fatal(err)
	}
	return v
}

func ref(t rdf.Term) *rdf.Term { return &t }

// TestOneLookupPerKind: a batch asks each kind of lookup once, equal
// lookups once, and resolves names once per Match (and not again for
// names the Graph has seen).
func TestOneLookupPerKind(t *testing.T) {
	a, b, p, q := iri("a"), iri("b"), iri("p"), iri("q")
	one := lit("1", rdf.XSDInteger)
	v := load(t, rdf.Mapper{}, rdf.Triple{S: a, P: p, O: b}, rdf.Triple{S: a, P: q, O: one}, rdf.Triple{S: b, P: p, O: one},
		rdf.Triple{S: b, P: q, O: iri("c")})
	c := &calls{Views: v}
	g := viewgraph.New(c, v.Index())
	patterns := []eval.Pattern{
		{S: &a, P: &p, O: &b}, {S: &a, P: &p, O: &b}, {S: &a, P: &q, O: &one}, // SPO, two equal
		{S: &a, P: &p}, {S: &a, P: &p}, // SP
		{P: &p, O: &one},        // PO
		{S: &a}, {S: &a, O: &b}, // S
		{P: &q},       // P
		{O: &one}, {}, // Scan
	}
	got := matchAll(t, g, patterns)
	if len(got) != 3+2+1+3+2+2+4 {
		t.Errorf("%d matches:\n%s", len(got), join(got))
	}
	// Names: one batch of the patterns' IRIs (PO ++++), then one of the
	// KIDs the facts mention beyond them (SP +: c).
	want := []string{"P +", "PO +", "PO ++++", "S +", "SP +", "SP +", "SPO ++", "Scan +"}
	if calls := c.take(); !slices.Equal(calls, want) {
		t.Errorf("lookups: %q, want %q", calls, want)
	}
	matchAll(t, g, patterns)
	want = []string{"P +", "PO +", "S +", "SP +", "SPO ++", "Scan +"}
	if calls := c.take(); !slices.Equal(calls, want) {
		t.Errorf("lookups of the same batch again: %q, want %q (no names)", calls, want)
	}
}

// TestPrepareResolvesOnce: Prepare resolves the names of all patterns in
// one batch, and estimating them afterwards asks the views nothing.
func TestPrepareResolvesOnce(t *testing.T) {
	a, b, p, q := iri("a"), iri("b"), iri("p"), iri("q")
	v := load(t, rdf.Mapper{}, rdf.Triple{S: a, P: p, O: b}, rdf.Triple{S: b, P: q, O: a})
	c := &calls{Views: v}
	g := viewgraph.New(c, v.Index())
	patterns := []eval.Pattern{{P: &p, O: &b}, {S: &b, P: &q}, {P: &q, O: &a}}
	g.Prepare(context.Background(), patterns)
	if calls := c.take(); !slices.Equal(calls, []string{"PO ++++"}) {
		t.Fatalf("Prepare's lookups: %q, want one batch of the 4 names", calls)
	}
	for _, pt := range patterns {
		g.Estimate(context.Background(), pt, eval.Bound{})
	}
	if calls := c.take(); len(calls) != 0 {
		t.Fatalf("estimates after Prepare asked the views %q, want nothing", calls)
	}
}

// TestBlankNodes: an entity without a name is the blank node b<KID>, and a
// pattern with that label finds it; a load's blank node is its label, and
// the label of an unnamed entity's KID does not name an entity that has a
// name.
func TestBlankNodes(t *testing.T) {
	p := iri("p")
	v := load(t, rdf.Mapper{}, rdf.Triple{S: rdf.NewBlank("x"), P: p, O: rdf.NewBlank("y")})
	if err := v.InsertParsed(rdf.Mapper{LoadID: "L"}.Insert([]rdf.Triple{{S: rdf.NewBlank("z"), P: p, O: iri("a")}})); err != nil {
		t.Fatal(err)
	}
	g := viewgraph.New(v, v.Index())
	var triples []rdf.Triple
	err := g.Match(context.Background(), []eval.Pattern{{P: &p}}, func(_ int, tr rdf.Triple) error {
		triples = append(triples, tr)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(triples) != 2 {
		t.Fatalf("got %v, want 2 triples", triples)
	}
	slices.SortFunc(triples, func(x, y rdf.Triple) int { return strings.Compare(x.S.Value, y.S.Value) })
	unnamed, named := triples[0], triples[1]
	if unnamed.S.Kind != rdf.Blank || !strings.HasPrefix(unnamed.S.Value, "b") || unnamed.O.Kind != rdf.Blank || unnamed.S == unnamed.O {
		t.Errorf("unnamed entities came back as %v", unnamed)
	}
	if want := rdf.NewBlank("load-L-z"); named.S != want {
		t.Errorf("the load's blank node came back as %v, want %v", named.S, want)
	}
	// A fresh Graph, so that nothing is cached: the labels resolve.
	g = viewgraph.New(v, v.Index())
	got := matchAll(t, g, []eval.Pattern{{S: ref(unnamed.S)}, {O: ref(unnamed.O)}, {S: ref(named.S)}})
	want := []string{matchString(0, unnamed), matchString(1, unnamed), matchString(2, named)}
	if !slices.Equal(got, want) {
		t.Errorf("matching the blank nodes: got\n%swant\n%s", join(got), join(want))
	}
	// The KID of a named entity, as a label, names nothing.
	kidOfP := v.Entity(p.Value)
	label := rdf.NewBlank("b" + strconv.FormatUint(kidOfP, 10))
	if got := matchAll(t, viewgraph.New(v, v.Index()), []eval.Pattern{{P: &label}}); len(got) != 0 {
		t.Errorf("the label of a named entity's KID matched %v", got)
	}
}

// TestEmitErrorStops: an error from emit ends Match and is returned.
func TestEmitErrorStops(t *testing.T) {
	p := iri("p")
	v := load(t, rdf.Mapper{}, rdf.Triple{S: iri("a"), P: p, O: iri("b")}, rdf.Triple{S: iri("b"), P: p, O: iri("c")})
	stop := errors.New("enough")
	n := 0
	err := viewgraph.New(v, v.Index()).Match(context.Background(), []eval.Pattern{{P: &p}}, func(int, rdf.Triple) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("Match with a failing emit: %v after %d triples, want %v after 1", err, n, stop)
	}
}

// TestBadTerm: a term of no known kind is an error naming the pattern and
// the position, not a panic.
func TestBadTerm(t *testing.T) {
	v := load(t, rdf.Mapper{}, rdf.Triple{S: iri("a"), P: iri("p"), O: iri("b")})
	err := viewgraph.New(v, v.Index()).Match(context.Background(), []eval.Pattern{{}, {O: &rdf.Term{Value: "x"}}}, func(int, rdf.Triple) error {
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "pattern 1: object") {
		t.Fatalf("Match with a term of kind 0: %v, want an error naming pattern 1's object", err)
	}
}

// TestViewsFail: a lookup the views cannot answer fails the Match with
// the views' error.
func TestViewsFail(t *testing.T) {
	p := iri("p")
	v := load(t, rdf.Mapper{}, rdf.Triple{S: iri("a"), P: p, O: iri("b")})
	g := viewgraph.New(v, v.Index())
	matchAll(t, g, []eval.Pattern{{P: &p}}) // names are cached now
	v.Fail(space.HashPO, space.Full())
	err := g.Match(context.Background(), []eval.Pattern{{P: &p}, {}}, func(int, rdf.Triple) error { return nil })
	if !errors.Is(err, fanout.ErrUncovered) || !strings.Contains(err.Error(), "LookupP") {
		t.Fatalf("Match with HashPO down: %v, want ErrUncovered from LookupP", err)
	}
}

// TestAsOfIndex: the Graph reads as of its index.
func TestAsOfIndex(t *testing.T) {
	p := iri("p")
	v := load(t, rdf.Mapper{}, rdf.Triple{S: iri("a"), P: p, O: iri("b")})
	before := v.Index()
	if err := v.InsertParsed(rdf.Mapper{}.Insert([]rdf.Triple{{S: iri("c"), P: p, O: iri("d")}})); err != nil {
		t.Fatal(err)
	}
	if got := matchAll(t, viewgraph.New(v, before), []eval.Pattern{{}, {P: &p}, {S: ref(iri("c"))}}); len(got) != 2 {
		t.Errorf("as of %d: %v, want the first fact for the first two patterns", before, got)
	}
	if got := matchAll(t, viewgraph.New(v, v.Index()), []eval.Pattern{{}, {P: &p}, {S: ref(iri("c"))}}); len(got) != 5 {
		t.Errorf("as of %d: %v, want 5 matches", v.Index(), got)
	}
}

// TestLiterals: each kind of stored literal comes back in its XSD type's
// canonical form, and a pattern with that form finds it.
func TestLiterals(t *testing.T) {
	s, p := iri("s"), iri("p")
	day := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		o    storage.Object
		want rdf.Term
	}{
		{storage.AString("x", ""), lit("x", rdf.XSDString)},
		{storage.AString("chat", "fr"), rdf.NewLiteral("chat", "", "fr")},
		{storage.AInt64(-12, 0), lit("-12", rdf.XSDInteger)},
		{storage.AFloat64(1.5, 0), lit("1.5E0", rdf.XSDDouble)},
		{storage.AFloat64(1e6, 0), lit("1.0E6", rdf.XSDDouble)},
		{storage.AFloat64(-0.00125, 0), lit("-1.25E-3", rdf.XSDDouble)},
		{storage.AFloat64(math.Inf(-1), 0), lit("-INF", rdf.XSDDouble)},
		{storage.ABool(false), lit("false", rdf.XSDBoolean)},
		{storage.ATimestamp(day, storage.PrecisionYear), lit("2024", rdf.XSDNS+"gYear")},
		{storage.ATimestamp(day, storage.PrecisionMonth), lit("2024-02", rdf.XSDNS+"gYearMonth")},
		{storage.ATimestamp(day, storage.PrecisionDay), lit("2024-02-29", rdf.XSDNS+"date")},
		{storage.ATimestamp(day.Add(90*time.Minute+5*time.Second), storage.PrecisionSecond), lit("2024-02-29T01:30:05Z", rdf.XSDNS+"dateTime")},
		{storage.ATimestamp(day.Add(250*time.Millisecond), storage.PrecisionNanosecond), lit("2024-02-29T00:00:00.25Z", rdf.XSDNS+"dateTime")},
	} {
		v := enginetest.New()
		v.Add(v.Entity(s.Value), v.Entity(p.Value), tc.o)
		got := matchAll(t, viewgraph.New(v, v.Index()), []eval.Pattern{{}, {S: &s, P: &p, O: &tc.want}, {O: &tc.want}})
		want := rdf.Triple{S: s, P: p, O: tc.want}
		if w := []string{matchString(0, want), matchString(1, want), matchString(2, want)}; !slices.Equal(got, w) {
			t.Errorf("object %v: got\n%swant\n%s", tc.o, join(got), join(w))
		}
		if back := rdf.LiteralObject(tc.want); storage.CompareObjects(back, tc.o) != 0 || back.Kind != tc.o.Kind {
			t.Errorf("object %v: its term %v reads back as %v", tc.o, tc.want, back)
		}
	}
}

// TestExactTerms: literals of equal value but different terms are found by
// value and told apart by term, and come back exactly as stored.
func TestExactTerms(t *testing.T) {
	s, p := iri("s"), iri("p")
	terms := []rdf.Term{
		lit("1", rdf.XSDInteger),
		lit("01", rdf.XSDInteger),
		lit("1.50", rdf.XSDDecimal),
		lit("1.5E0", rdf.XSDDouble),
		lit("x", "http://ex/dt"),
		lit("2020-01-01T00:00:00+02:00", rdf.XSDNS+"dateTime"),
	}
	v := enginetest.New()
	for _, term := range terms {
		v.Add(v.Entity(s.Value), v.Entity(p.Value), rdf.LiteralObject(term))
	}
	for _, term := range terms {
		got := matchAll(t, viewgraph.New(v, v.Index()), []eval.Pattern{{S: &s, P: &p, O: &term}, {P: &p, O: &term}, {O: &term}})
		want := rdf.Triple{S: s, P: p, O: term}
		if w := []string{matchString(0, want), matchString(1, want), matchString(2, want)}; !slices.Equal(got, w) {
			t.Errorf("pattern %v: got\n%swant\n%s", term, join(got), join(w))
		}
	}
	all := matchAll(t, viewgraph.New(v, v.Index()), []eval.Pattern{{S: &s, P: &p}})
	var w []string
	for _, term := range terms {
		w = append(w, matchString(0, rdf.Triple{S: s, P: p, O: term}))
	}
	slices.Sort(w)
	if !slices.Equal(all, w) {
		t.Errorf("all objects: got\n%swant\n%s", join(all), join(w))
	}
}

// TestNameCacheLimit: a Graph whose name cache holds only a few entities
// (as an export's does) matches exactly what an unbounded one does, over
// more entities than a chunk of matches.
func TestNameCacheLimit(t *testing.T) {
	var triples []rdf.Triple
	for i := range 3000 {
		triples = append(triples, rdf.Triple{S: iri("s" + strconv.Itoa(i)), P: iri("p" + strconv.Itoa(i%7)), O: iri("o" + strconv.Itoa(i%1500))})
	}
	v := load(t, rdf.Mapper{}, triples...)
	want := matchAll(t, viewgraph.New(v, v.Index()), []eval.Pattern{{}})
	got := matchAll(t, viewgraph.New(v, v.Index(), viewgraph.WithNameCacheLimit(10)), []eval.Pattern{{}})
	slices.Sort(want)
	slices.Sort(got)
	if len(want) != 3000 || !slices.Equal(got, want) {
		t.Fatalf("with a cache of 10 names: %d matches, without a limit %d (want 3000); first: %v / %v", len(got), len(want), got[:1], want[:1])
	}
}
