package fn

import (
	"testing"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
)

func integer(s string) rdf.Term { return rdf.NewLiteral(s, rdf.XSDInteger, "") }
func decimal(s string) rdf.Term { return rdf.NewLiteral(s, rdf.XSDDecimal, "") }
func double(s string) rdf.Term  { return rdf.NewLiteral(s, rdf.XSDDouble, "") }
func plain(s string) rdf.Term   { return rdf.NewLiteral(s, rdf.XSDString, "") }

// errValue stands for a solution where the aggregate's argument had no
// value.
var errValue = rdf.Term{Kind: 255}

func TestAggregates(t *testing.T) {
	count := &sparql.ExprAggregate{Name: "COUNT", Arg: &sparql.ExprTerm{}}
	for _, c := range []struct {
		name   string
		agg    *sparql.ExprAggregate
		values []rdf.Term
		want   string
	}{
		{"count skips errors", count, []rdf.Term{integer("1"), errValue, integer("2")}, `"2"^^xsd:integer`},
		{"count of nothing", count, nil, `"0"^^xsd:integer`},
		{"count(*)", &sparql.ExprAggregate{Name: "COUNT"}, []rdf.Term{{}, {}, {}}, `"3"^^xsd:integer`},
		{"count(distinct *) leaves distinct rows to the caller", &sparql.ExprAggregate{Name: "COUNT", Distinct: true}, []rdf.Term{{}, {}}, `"2"^^xsd:integer`},
		{"count distinct", &sparql.ExprAggregate{Name: "COUNT", Distinct: true, Arg: &sparql.ExprTerm{}},
			[]rdf.Term{integer("1"), integer("1"), decimal("1.0"), errValue}, `"2"^^xsd:integer`},
		{"sum of integers", &sparql.ExprAggregate{Name: "SUM"}, []rdf.Term{integer("1"), integer("2"), integer("3")}, `"6"^^xsd:integer`},
		// aggregates/agg-sum-01 and agg-sum-02
		{"sum of decimals", &sparql.ExprAggregate{Name: "SUM"}, []rdf.Term{decimal("1.0"), decimal("2.2"), decimal("3.5")}, `"6.7"^^xsd:decimal`},
		{"sum promotes", &sparql.ExprAggregate{Name: "SUM"}, []rdf.Term{integer("1"), decimal("2.2")}, `"3.2"^^xsd:decimal`},
		{"sum to double", &sparql.ExprAggregate{Name: "SUM"}, []rdf.Term{double("2E-1"), decimal("2.2")}, `"2.4000000000000004E0"^^xsd:double`},
		{"sum of nothing", &sparql.ExprAggregate{Name: "SUM"}, nil, `"0"^^xsd:integer`},
		{"sum with an error", &sparql.ExprAggregate{Name: "SUM"}, []rdf.Term{integer("1"), errValue}, "error"},
		{"sum of a string", &sparql.ExprAggregate{Name: "SUM"}, []rdf.Term{integer("1"), plain("2")}, "error"},
		{"sum distinct", &sparql.ExprAggregate{Name: "SUM", Distinct: true}, []rdf.Term{integer("1"), integer("1"), integer("2")}, `"3"^^xsd:integer`},
		{"avg of integers", &sparql.ExprAggregate{Name: "AVG"}, []rdf.Term{integer("1"), integer("2"), integer("3"), integer("4")}, `"2.5"^^xsd:decimal`},
		{"avg of decimals", &sparql.ExprAggregate{Name: "AVG"}, []rdf.Term{decimal("1.0"), decimal("2.2"), decimal("3.5")}, `"2.233333333333333333"^^xsd:decimal`},
		{"avg of doubles", &sparql.ExprAggregate{Name: "AVG"}, []rdf.Term{double("1"), integer("2")}, `"1.5E0"^^xsd:double`},
		{"avg of nothing", &sparql.ExprAggregate{Name: "AVG"}, nil, `"0"^^xsd:integer`},
		{"avg with a blank node", &sparql.ExprAggregate{Name: "AVG"}, []rdf.Term{integer("1"), rdf.NewBlank("b2")}, "error"}, // aggregates/agg-err-01
		{"avg distinct", &sparql.ExprAggregate{Name: "AVG", Distinct: true}, []rdf.Term{integer("1"), integer("1"), integer("2")}, `"1.5"^^xsd:decimal`},
		{"min by value", &sparql.ExprAggregate{Name: "MIN"}, []rdf.Term{integer("3"), decimal("1.5"), integer("2")}, `"1.5"^^xsd:decimal`},
		{"min in ORDER BY order", &sparql.ExprAggregate{Name: "MIN"}, []rdf.Term{integer("1"), rdf.NewBlank("b2"), plain("a")}, "_:b2"},
		{"max in ORDER BY order", &sparql.ExprAggregate{Name: "MAX"}, []rdf.Term{integer("1"), plain("a"), rdf.NewIRI("http://x/")}, `"a"`},
		{"max skips errors", &sparql.ExprAggregate{Name: "MAX"}, []rdf.Term{errValue, integer("3"), double("3.0E4")}, `"3.0E4"^^xsd:double`},
		{"max of nothing", &sparql.ExprAggregate{Name: "MAX"}, nil, "error"},
		{"min of errors", &sparql.ExprAggregate{Name: "MIN"}, []rdf.Term{errValue}, "error"},
		{"max distinct", &sparql.ExprAggregate{Name: "MAX", Distinct: true}, []rdf.Term{integer("2"), integer("2")}, `"2"^^xsd:integer`},
		{"sample", &sparql.ExprAggregate{Name: "SAMPLE"}, []rdf.Term{errValue, integer("5"), integer("6")}, `"5"^^xsd:integer`},
		{"sample of nothing", &sparql.ExprAggregate{Name: "SAMPLE"}, nil, "error"},
		// aggregates/agg-groupconcat-1
		{"group_concat", &sparql.ExprAggregate{Name: "GROUP_CONCAT", Separator: " "}, []rdf.Term{integer("1"), integer("22")}, `"1 22"`},
		{"group_concat distinct", &sparql.ExprAggregate{Name: "GROUP_CONCAT", Separator: ",", Distinct: true},
			[]rdf.Term{plain("a"), plain("a"), rdf.NewLiteral("b", "", "en")}, `"a,b"`},
		{"group_concat of nothing", &sparql.ExprAggregate{Name: "GROUP_CONCAT", Separator: " "}, nil, `""`},
		{"group_concat of an IRI", &sparql.ExprAggregate{Name: "GROUP_CONCAT"}, []rdf.Term{rdf.NewIRI("http://x/")}, "error"},
		{"group_concat with an error", &sparql.ExprAggregate{Name: "GROUP_CONCAT"}, []rdf.Term{plain("a"), errValue}, "error"},
		{"unknown aggregate", &sparql.ExprAggregate{Name: "MEDIAN"}, []rdf.Term{integer("1")}, "error"},
		{"nil aggregate", nil, []rdf.Term{integer("1")}, "error"},
	} {
		acc := NewAccumulator(c.agg)
		for _, v := range c.values {
			if v == errValue {
				acc.Add(rdf.Term{}, typeErrorf("no value"))
			} else {
				acc.Add(v, nil)
			}
		}
		if got := show(acc.Result()); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}
