package viewgraph_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/engine/enginetest"
	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
	"github.com/akutan-dev/akutan/query/sparql/eval"
	"github.com/akutan-dev/akutan/query/sparql/results"
	"github.com/akutan-dev/akutan/query/sparql/viewgraph"
)

// collector is a results.Writer that keeps the solutions, formatted.
type collector struct{ rows []string }

func (c *collector) Begin([]string) error { return nil }
func (c *collector) End() error           { return nil }
func (c *collector) WriteBoolean(b bool) error {
	c.rows = append(c.rows, fmt.Sprint(b))
	return nil
}

func (c *collector) Write(s results.Solution) error {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "?%s=%+v ", k, s[k])
	}
	c.rows = append(c.rows, b.String())
	return nil
}

func xsd(lex, local string) rdf.Term { return lit(lex, rdf.XSDNS+local) }

// rangeObjects are the objects of the random graphs of TestRangePushdown:
// every way a literal can be stored (int64, float64, a decimal or integer
// kept as a typed string, ill-typed and unknown literals, strings,
// language strings, booleans, timestamps) and entities.
var rangeObjects = func() []rdf.Term {
	var out []rdf.Term
	add := func(local string, lexes ...string) {
		for _, l := range lexes {
			out = append(out, xsd(l, local))
		}
	}
	add("integer", "1", "01", "-5", "+7", "0", "-0", "42", "5", "9223372036854775807", "-9223372036854775808",
		"9223372036854775808", "-9223372036854775809", "123456789012345678901234567890", "9007199254740993",
		"9007199254740992", " 6 ", "abc", "1.5")
	add("int", "7", "-2147483648")
	add("byte", "300", "-3")
	add("nonPositiveInteger", "-3", "3")
	add("unsignedLong", "18446744073709551615", "5")
	add("decimal", "1.50", "0.1", "2.5", "-2.5", "1234567890.123456789012345678901234567891",
		"0.30000000000000000000000000000000000001", "5", "5.0", ".5", "-0.0", "100000000000000000000000.5",
		"4.999999999999999999999999999", "5.000000000000000000000000001", "1.2.3")
	add("double", "1e0", "2.5E0", "1.5E0", "5E0", "INF", "-INF", "NaN", "1e-50", "3.5e38", "-1e300",
		"4.9e-324", "9.223372036854775807E18", "-9.3E18", "x", "0x10")
	add("float", "0.1", "1e39", "1e-50", "3.4028236e38", "2.5", "-INF", "NaN", "5", "4.9999999", "-1e-46")
	add("string", "abc", "5", "", "a", "ab", "b", "a\x00", "a\x00b", "é", "Z", "\U0001F600", "abd")
	add("boolean", "true", "1", "false")
	add("dateTime", "2024-02-29T10:11:12Z", "2024-02-29T10:11:12", "2024-02-29T10:11:12.5+14:00",
		"2024-02-29T10:11:12-14:00", "2024-02-29T23:00:00", "2024-03-01T00:00:00Z", "2024-02-29T24:00:00Z",
		"2024-02-28T20:11:12Z", "2024-02-29T10:11:12.1234567891Z", "-0044-03-15T12:00:00Z", "0000-01-01T00:00:00Z",
		"123456789-01-01T00:00:00Z", "2024-02-30T00:00:00Z", "1969-12-31T23:59:59.999999999Z", "bad")
	add("date", "2024-02-29")
	add("gYear", "2024")
	out = append(out, rdf.NewLiteral("5", "", "en"), rdf.NewLiteral("x", "", "fr"),
		lit("5", "http://example.org/t"), lit("1.5", "http://example.org/t"), iri("a"), iri("b"))
	return out
}()

// rangeConstants are the constants of the random FILTERs: numbers of each
// type, at and around the edges of int64 and float32, and some that are
// not numbers at all (which no lookup may use).
var rangeConstants = []string{
	"5", "-5", "0", "01", "7", "9223372036854775807", "9223372036854775806", "9223372036854775808",
	"-9223372036854775808", "-9223372036854775809", "123456789012345678901234567890",
	"9007199254740993", "4.5", "5.0", "0.1", "-0.0", "2.5", "1234567890.123456789012345678901234567891",
	"5.000000000000000000000000001", "4.999999999999999999999999999",
	`"5"^^<http://www.w3.org/2001/XMLSchema#int>`, `"300"^^<http://www.w3.org/2001/XMLSchema#byte>`,
	"1e0", "2.5e0", "5e0", "0e0", "-1e300", "1e-50", "3.5e38", "9.223372036854775807E18",
	`"INF"^^<http://www.w3.org/2001/XMLSchema#double>`, `"-INF"^^<http://www.w3.org/2001/XMLSchema#double>`,
	`"NaN"^^<http://www.w3.org/2001/XMLSchema#double>`, `"0.1"^^<http://www.w3.org/2001/XMLSchema#float>`,
	`"1e39"^^<http://www.w3.org/2001/XMLSchema#float>`, `"-1e39"^^<http://www.w3.org/2001/XMLSchema#float>`,
	`"1e-50"^^<http://www.w3.org/2001/XMLSchema#float>`, `"5"^^<http://www.w3.org/2001/XMLSchema#float>`,
	`"3.4028235e38"^^<http://www.w3.org/2001/XMLSchema#float>`, `"abc"^^<http://www.w3.org/2001/XMLSchema#integer>`,
	`"5"`, `"abc"`, `"a"`, `"ab"`, `""`, `"b"`, `"é"`, `"a\u0000"`, `"\U0001F600"`,
	`"abc"^^<http://www.w3.org/2001/XMLSchema#string>`, `"5"@en`, `"abc"@en`, "true",
	`"2024-02-29T10:11:12Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>`,
	`"2024-02-29T10:11:12"^^<http://www.w3.org/2001/XMLSchema#dateTime>`,
	`"2024-02-29T00:00:00+14:00"^^<http://www.w3.org/2001/XMLSchema#dateTime>`,
	`"2024-02-29T20:11:12-14:00"^^<http://www.w3.org/2001/XMLSchema#dateTime>`,
	`"2024-02-29T10:11:12.1234567891Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>`,
	`"-0044-03-15T12:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>`,
	`"0000-01-01T00:00:00"^^<http://www.w3.org/2001/XMLSchema#dateTime>`,
	`"123456789-01-01T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>`,
	`"1970-01-01T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>`,
	`"2024-02-29"^^<http://www.w3.org/2001/XMLSchema#date>`,
	`"5"^^<http://example.org/t>`,
}

// TestRangePushdown: for random graphs and random FILTERs comparing an
// object with constants, the answers over the views (where the FILTER's
// comparisons narrow the lookups to range scans) are exactly the answers
// over a MemGraph of the same triples (where nothing is pushed): over
// every kind of literal, and over each kind the scans treat apart.
func TestRangePushdown(t *testing.T) {
	graphs := 600
	if testing.Short() {
		graphs = 200
	}
	t.Run("all", func(t *testing.T) { differential(t, rand.New(rand.NewPCG(5, 8)), graphs, rangeObjects, rangeConstants) })
	for _, c := range []struct {
		name, datatype string
	}{{"numbers", "nteger"}, {"numbers", "decimal"}, {"numbers", "double"}, {"numbers", "float"},
		{"strings", "string"}, {"dateTimes", "dateTime"}} { // "nteger": integer and nonPositiveInteger
		var objects []rdf.Term
		for _, o := range rangeObjects {
			if o.Kind != rdf.Literal || strings.HasSuffix(o.Datatype, c.datatype) || o.Lang != "" || c.datatype == "string" && o.Datatype == "http://example.org/t" {
				objects = append(objects, o)
			}
		}
		var constants []string
		for _, k := range rangeConstants {
			isString := strings.HasPrefix(k, `"`) && (strings.HasSuffix(k, `"`) || strings.HasSuffix(k, "string>"))
			isDateTime := strings.HasSuffix(k, "dateTime>")
			isNumber := !isString && !isDateTime && !strings.Contains(k, "@") && !strings.HasSuffix(k, "date>")
			if c.name == "strings" && isString || c.name == "dateTimes" && isDateTime || c.name == "numbers" && isNumber {
				constants = append(constants, k)
			}
		}
		t.Run(c.name+"-"+c.datatype, func(t *testing.T) {
			differential(t, rand.New(rand.NewPCG(5, uint64(len(objects)))), graphs/4, objects, constants)
		})
	}
}

// differential runs random FILTERs comparing objects with constants over
// graphs random graphs of the objects, over the views and over a MemGraph.
func differential(t *testing.T, r *rand.Rand, graphs int, objects []rdf.Term, constants []string) {
	queries := 20
	ops := []string{"<", "<=", ">", ">=", "="}
	subjects := []rdf.Term{iri("a"), iri("b"), iri("c"), iri("d"), iri("e")}
	p, q := iri("p"), iri("q")
	ctx := context.Background()
	answers, pushed := 0, 0
	for gi := range graphs {
		var loaded, held []rdf.Triple
		seen := map[rdf.Triple]bool{}
		for range r.IntN(40) {
			tr := rdf.Triple{S: pick(r, subjects), P: p, O: pick(r, objects)}
			if r.IntN(4) == 0 {
				tr.P = q
			}
			h := rdf.Triple{S: stored(tr.S), P: stored(tr.P), O: stored(tr.O)}
			if seen[h] {
				continue
			}
			seen[h] = true
			loaded, held = append(loaded, tr), append(held, h)
		}
		v := enginetest.New()
		if err := v.InsertParsed(rdf.Mapper{LoadID: loadID}.Insert(loaded)); err != nil {
			t.Fatal(err)
		}
		c := &calls{Views: v}
		views := viewgraph.New(c, v.Index())
		mem := eval.NewMemGraph(held)
		for range queries {
			var conj []string
			for range 1 + r.IntN(2) {
				op, k := pick(r, ops), pick(r, constants)
				if r.IntN(2) == 0 {
					conj = append(conj, fmt.Sprintf("?o %s %s", op, k))
				} else {
					conj = append(conj, fmt.Sprintf("%s %s ?o", k, op))
				}
			}
			where := "?s <http://example.org/p> ?o"
			switch r.IntN(4) {
			case 0:
				where += " . ?s <http://example.org/q> ?x"
			case 1:
				where += " . ?o2 <http://example.org/q> ?o"
			}
			text := fmt.Sprintf("SELECT * WHERE { %s FILTER(%s) }", where, strings.Join(conj, " && "))
			query, err := sparql.ParseQuery(text, "")
			if err != nil {
				t.Fatalf("%s: %v", text, err)
			}
			run := func(g eval.Graph) []string {
				var out collector
				if err := eval.Run(ctx, query, g, eval.Output{Solutions: &out}, eval.Options{Batch: 1 + r.IntN(4)}); err != nil {
					t.Fatalf("%s: %v", text, err)
				}
				slices.Sort(out.rows)
				return out.rows
			}
			got, want := run(views), run(mem)
			if !slices.Equal(got, want) {
				var g []string
				for _, h := range held {
					g = append(g, rdf.FormatTriple(h))
				}
				t.Fatalf("graph %d: %s\ngraph:\n%s\nover the views:\n%s\nover a MemGraph:\n%s",
					gi, text, join(g), join(got), join(want))
			}
			answers += len(got)
			for _, call := range c.take() {
				if strings.HasPrefix(call, "POCmp") {
					pushed++
				}
			}
		}
	}
	if answers < graphs || pushed < graphs {
		t.Fatalf("%d answers, %d range scans in all: the test hardly tests", answers, pushed)
	}
	t.Logf("%d answers, %d batches of range scans", answers, pushed)
}

// TestRangePushdownUsed: a numeric FILTER on the object of a pattern with
// only its predicate known becomes one batch of range scans (LookupPOCmp)
// instead of the predicate's every fact (LookupP), and Explain shows it.
func TestRangePushdownUsed(t *testing.T) {
	p := iri("p")
	var triples []rdf.Triple
	for i := range 20 {
		triples = append(triples, rdf.Triple{S: iri(fmt.Sprint("s", i)), P: p, O: xsd(fmt.Sprint(i), "integer")})
	}
	triples = append(triples, rdf.Triple{S: iri("big"), P: p, O: xsd("123456789012345678901234567890", "integer")},
		rdf.Triple{S: iri("half"), P: p, O: xsd("5.5", "decimal")})
	v := load(t, rdf.Mapper{}, triples...)
	c := &calls{Views: v}
	text := `SELECT ?s WHERE { ?s <http://example.org/p> ?o FILTER(?o > 5 && ?o <= 7.5) }`
	query, err := sparql.ParseQuery(text, "")
	if err != nil {
		t.Fatal(err)
	}
	var out collector
	if err := eval.Run(context.Background(), query, viewgraph.New(c, v.Index()), eval.Output{Solutions: &out}, eval.Options{}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out.rows)
	var want []string
	for _, s := range []string{"half", "s6", "s7"} {
		want = append(want, fmt.Sprintf("?s=%+v ", iri(s)))
	}
	if !slices.Equal(out.rows, want) {
		t.Errorf("answers %q, want %q", out.rows, want)
	}
	// Names (PO), then one batch of three range scans: plain strings,
	// int64s, float64s; then the names of the subjects of what they find:
	// the integers 4 to 8 (the scans are a little wider than the FILTER),
	// 5.5 and the integer beyond int64, a typed string.
	if got, wantCalls := c.take(), []string{"PO +", "POCmp +++", "SP +++++++"}; !slices.Equal(got, wantCalls) {
		t.Errorf("lookups %q, want %q", got, wantCalls)
	}
	if ex := eval.Explain(query); !strings.Contains(ex, `[object filter ?o > "5"^^<http://www.w3.org/2001/XMLSchema#integer> && ?o <= "7.5"^^`) {
		t.Errorf("Explain does not show the pushed range:\n%s", ex)
	}
	// A string comparison is one range scan of the plain strings; one
	// with another literal is not pushed.
	for _, c2 := range []struct{ filter, want string }{{`?o > "5"`, "POCmp +"}, {`?o > "5"@en`, "P +"}} {
		query, err = sparql.ParseQuery(`SELECT ?s WHERE { ?s <http://example.org/p> ?o FILTER(`+c2.filter+`) }`, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := eval.Run(context.Background(), query, viewgraph.New(c, v.Index()), eval.Output{Solutions: &out}, eval.Options{}); err != nil {
			t.Fatal(err)
		}
		got := c.take()
		other := map[string]string{"P +": "POCmp +", "POCmp +": "P +"}[c2.want]
		if !slices.Contains(got, c2.want) || slices.Contains(got, other) {
			t.Errorf("lookups for FILTER(%s): %q, want a %s", c2.filter, got, c2.want)
		}
	}
}
