package fn

import (
	"strings"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
)

// Accumulator computes one aggregate over a group's solutions.
type Accumulator interface {
	// Add adds the value of the aggregate's argument in one solution
	// (err wraps ErrType when the argument had no value there; COUNT(*)
	// passes a zero Term).
	Add(t rdf.Term, err error)
	// Result is the aggregate's value; an error wrapping ErrType leaves it
	// unbound.
	Result() (rdf.Term, error)
}

// NewAccumulator returns an accumulator for a, honouring DISTINCT and
// GROUP_CONCAT's separator.
//
// The set functions of section 18.5.1 treat errors differently: COUNT
// counts only the values without error; SUM, AVG and GROUP_CONCAT become
// an error when any value is one (or is not a number, or not a literal,
// respectively); MIN, MAX and SAMPLE pass over errors and are unbound
// only when no value is left. DISTINCT drops a value that is the same RDF
// term as one already added; COUNT(DISTINCT *) must be given one Add per
// distinct solution by the caller, since a zero Term never repeats.
func NewAccumulator(a *sparql.ExprAggregate) Accumulator {
	if a == nil {
		return &failed{}
	}
	var inner Accumulator
	switch a.Name {
	case "COUNT":
		inner = &count{}
	case "SUM":
		inner = &sum{total: integerNumber(0)}
	case "AVG":
		inner = &sum{total: integerNumber(0), average: true}
	case "MIN":
		inner = &extreme{sign: -1}
	case "MAX":
		inner = &extreme{sign: 1}
	case "SAMPLE":
		inner = &sample{}
	case "GROUP_CONCAT":
		inner = &groupConcat{separator: a.Separator}
	default:
		return &failed{name: a.Name}
	}
	if a.Distinct {
		return &distinct{inner: inner, seen: map[rdf.Term]bool{}}
	}
	return inner
}

// distinct passes each term on once.
type distinct struct {
	inner Accumulator
	seen  map[rdf.Term]bool
}

func (d *distinct) Add(t rdf.Term, err error) {
	if err == nil && t.Kind != 0 {
		key := t
		key.Lang = strings.ToLower(key.Lang)
		if d.seen[key] {
			return
		}
		d.seen[key] = true
	}
	d.inner.Add(t, err)
}

func (d *distinct) Result() (rdf.Term, error) { return d.inner.Result() }

// failed is an aggregate this package does not know.
type failed struct{ name string }

func (*failed) Add(rdf.Term, error) {}
func (f *failed) Result() (rdf.Term, error) {
	return rdf.Term{}, typeErrorf("unknown aggregate %q", f.name)
}

type count struct{ n int64 }

func (c *count) Add(_ rdf.Term, err error) {
	if err == nil {
		c.n++
	}
}

func (c *count) Result() (rdf.Term, error) { return integerNumber(c.n).term(), nil }

// sum is SUM, or AVG when average is set: the total with the promotions
// of +, divided by the count for AVG. Both are 0 over no values.
type sum struct {
	total   number
	n       int64
	err     error
	average bool
}

func (s *sum) Add(t rdf.Term, err error) {
	if s.err != nil {
		return
	}
	if err != nil {
		s.err = err
		return
	}
	n, ok := numberOf(t)
	if !ok {
		s.err = typeErrorf("%s of %s, which is not a number", s.name(), describe(t))
		return
	}
	s.total, s.err = arithmetic("+", s.total, n)
	s.n++
}

func (s *sum) name() string {
	if s.average {
		return "AVG"
	}
	return "SUM"
}

func (s *sum) Result() (rdf.Term, error) {
	if s.err != nil {
		return rdf.Term{}, s.err
	}
	if !s.average || s.n == 0 {
		return s.total.term(), nil
	}
	avg, err := arithmetic("/", s.total, integerNumber(s.n))
	if err != nil {
		return rdf.Term{}, err
	}
	return avg.term(), nil
}

// extreme is MIN (sign -1) or MAX (sign 1) in the ORDER BY order.
type extreme struct {
	best  rdf.Term
	found bool
	sign  int
}

func (x *extreme) Add(t rdf.Term, err error) {
	if err != nil || t.Kind == 0 {
		return
	}
	if !x.found || OrderCompare(&t, &x.best)*x.sign > 0 {
		x.best, x.found = t, true
	}
}

func (x *extreme) Result() (rdf.Term, error) {
	if !x.found {
		return rdf.Term{}, typeErrorf("MIN or MAX of no values")
	}
	return x.best, nil
}

// sample keeps the first value.
type sample struct {
	value rdf.Term
	found bool
}

func (s *sample) Add(t rdf.Term, err error) {
	if err == nil && t.Kind != 0 && !s.found {
		s.value, s.found = t, true
	}
}

func (s *sample) Result() (rdf.Term, error) {
	if !s.found {
		return rdf.Term{}, typeErrorf("SAMPLE of no values")
	}
	return s.value, nil
}

// groupConcat joins the lexical forms of literals into a simple literal.
type groupConcat struct {
	separator string
	b         strings.Builder
	n         int
	err       error
}

func (g *groupConcat) Add(t rdf.Term, err error) {
	if g.err != nil {
		return
	}
	if err != nil {
		g.err = err
		return
	}
	if t.Kind != rdf.Literal {
		g.err = typeErrorf("GROUP_CONCAT of %s, which is not a literal", describe(t))
		return
	}
	if g.n > 0 {
		g.b.WriteString(g.separator)
	}
	g.b.WriteString(t.Value)
	g.n++
}

func (g *groupConcat) Result() (rdf.Term, error) {
	if g.err != nil {
		return rdf.Term{}, g.err
	}
	return stringTerm(g.b.String()), nil
}
