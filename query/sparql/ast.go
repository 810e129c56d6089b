package sparql

import (
	"fmt"

	"github.com/akutan-dev/akutan/query/rdf"
)

// Position is a place in the query text, both counting from 1; columns
// count characters.
type Position = rdf.Position

// SyntaxError is a parse error and where it is. Msg says what was expected
// and what was found.
type SyntaxError struct {
	Pos Position
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

// TermKind says what a Term is.
type TermKind uint8

// The kinds of term. Var appears only in patterns and expressions.
const (
	IRI TermKind = iota + 1
	Blank
	Literal
	Var
)

// Term is an RDF term or a variable, exactly as written after prefix and
// base resolution. Value is the full IRI, the blank node label (without
// "_:"), the literal's lexical form or the variable's name (without ? or
// $). A literal always has a Datatype: xsd:string when plain,
// rdf:langString when Lang is set, xsd:integer, xsd:decimal, xsd:double or
// xsd:boolean for the short forms, whose lexical form is kept as written.
//
// Blank nodes from `[]`, `[ ... ]` and collections get labels "genid<N>";
// a written label that starts with "genid" becomes "genid-<label>", so the
// two never collide (the same scheme as the Turtle reader of query/rdf).
type Term struct {
	Kind     TermKind
	Value    string
	Datatype string
	Lang     string
}

// RDF returns the term as an rdf.Term; it must not be a variable.
func (t Term) RDF() rdf.Term {
	switch t.Kind {
	case IRI:
		return rdf.NewIRI(t.Value)
	case Blank:
		return rdf.NewBlank(t.Value)
	}
	return rdf.NewLiteral(t.Value, t.Datatype, t.Lang)
}

// IsZero reports whether t is unset, as for the default graph of a quad.
func (t Term) IsZero() bool { return t.Kind == 0 }

// Prologue holds the BASE and PREFIX declarations in force. Every IRI in
// the tree is already resolved against them.
type Prologue struct {
	Base     string
	Prefixes map[string]string
}

// Form is a query form.
type Form uint8

// The query forms.
const (
	Select Form = iota + 1
	Construct
	Ask
	Describe
)

// Query is a parsed query, or a sub-select (then Prologue and the dataset
// are empty).
type Query struct {
	Prologue
	Form Form

	// SELECT: Star for `*`, otherwise Projection in order.
	Distinct, Reduced bool
	Star              bool
	Projection        []Projection

	// CONSTRUCT: Template; for CONSTRUCT WHERE it is the WHERE pattern's
	// triples (ShortConstruct is set).
	Template       []TriplePattern
	ShortConstruct bool

	// DESCRIBE: the resources, or Star.
	DescribeTerms []Term

	From, FromNamed []string

	// Where is nil only for a DESCRIBE without a WHERE clause.
	Where *Group

	GroupBy []GroupCondition
	Having  []Expr
	OrderBy []OrderCondition
	Limit   int64 // -1 when absent
	Offset  int64 // 0 when absent
	Values  *Values
}

// Projection is one item of a SELECT list: a variable, or (Expr AS Var).
type Projection struct {
	Var  string
	Expr Expr // nil for a plain variable
}

// GroupCondition is one GROUP BY item: an expression, optionally bound to
// Var with AS. A plain variable is an ExprTerm of kind Var.
type GroupCondition struct {
	Expr Expr
	Var  string
}

// OrderCondition is one ORDER BY item.
type OrderCondition struct {
	Expr       Expr
	Descending bool
}

// Group is a group graph pattern: its elements in the order written.
// Adjacent triples form one *BGP element; a FILTER anywhere applies to the
// whole group (section 18.2.2 collects them).
type Group struct {
	Elements []Pattern
}

// Pattern is one element of a group: *BGP, *Group, *Optional, *Union,
// *Minus, *GraphPattern, *Service, *Filter, *Bind, *Values or *SubQuery.
type Pattern interface{ pattern() }

// BGP is a block of triple patterns, some of which may have paths.
type BGP struct{ Triples []TriplePattern }

// TriplePattern is subject, predicate, object. Path is nil for a plain
// predicate (an IRI or a variable in Predicate); otherwise Predicate is
// unset and Path is the property path.
type TriplePattern struct {
	Subject, Predicate, Object Term
	Path                       Path
}

// Optional is OPTIONAL { ... }.
type Optional struct{ Group *Group }

// Union is { ... } UNION { ... } UNION ...: two or more alternatives.
type Union struct{ Alternatives []*Group }

// Minus is MINUS { ... }.
type Minus struct{ Group *Group }

// GraphPattern is GRAPH name { ... }; Name is an IRI or a variable.
type GraphPattern struct {
	Name  Term
	Group *Group
}

// Service is SERVICE [SILENT] name { ... }.
type Service struct {
	Silent bool
	Name   Term
	Group  *Group
}

// Filter is FILTER constraint.
type Filter struct{ Expr Expr }

// Bind is BIND (Expr AS ?Var).
type Bind struct {
	Expr Expr
	Var  string
}

// Values is an inline data block. Each row has one entry per variable; a
// nil entry is UNDEF.
type Values struct {
	Vars []string
	Rows [][]*Term
}

// SubQuery is a nested SELECT.
type SubQuery struct{ Query *Query }

func (*BGP) pattern()          {}
func (*Group) pattern()        {}
func (*Optional) pattern()     {}
func (*Union) pattern()        {}
func (*Minus) pattern()        {}
func (*GraphPattern) pattern() {}
func (*Service) pattern()      {}
func (*Filter) pattern()       {}
func (*Bind) pattern()         {}
func (*Values) pattern()       {}
func (*SubQuery) pattern()     {}

// Path is a property path: *PathLink, *PathInverse, *PathSequence,
// *PathAlternative, *PathRepeat or *PathNegated.
type Path interface{ path() }

// PathLink is one IRI (or `a`).
type PathLink struct{ IRI string }

// PathInverse is ^path.
type PathInverse struct{ Path Path }

// PathSequence is path / path / ...
type PathSequence struct{ Steps []Path }

// PathAlternative is path | path | ...
type PathAlternative struct{ Choices []Path }

// PathRepeat is path?, path* or path+ (Op is '?', '*' or '+').
type PathRepeat struct {
	Path Path
	Op   byte
}

// PathNegated is !(iri | ^iri | ...): Forward and Inverse hold the IRIs
// excluded in each direction.
type PathNegated struct{ Forward, Inverse []string }

func (*PathLink) path()        {}
func (*PathInverse) path()     {}
func (*PathSequence) path()    {}
func (*PathAlternative) path() {}
func (*PathRepeat) path()      {}
func (*PathNegated) path()     {}

// Expr is an expression: *ExprTerm, *ExprBinary, *ExprUnary, *ExprIn,
// *ExprCall, *ExprExists or *ExprAggregate.
type Expr interface{ expr() }

// ExprTerm is a variable, IRI or literal.
type ExprTerm struct{ Term Term }

// ExprBinary is Left Op Right; Op is one of || && = != < > <= >= + - * /.
type ExprBinary struct {
	Op          string
	Left, Right Expr
}

// ExprUnary is Op Arg; Op is one of ! + -.
type ExprUnary struct {
	Op  string
	Arg Expr
}

// ExprIn is Arg [NOT] IN (List...).
type ExprIn struct {
	Arg  Expr
	List []Expr
	Not  bool
}

// ExprCall is a built-in call (Name upper-cased, as STR or REGEX; IRI is
// empty) or a call of a function by IRI, such as a cast (Name empty).
// Distinct is the DISTINCT of a custom aggregate call f(DISTINCT ...).
type ExprCall struct {
	Name     string
	IRI      string
	Args     []Expr
	Distinct bool
}

// ExprExists is [NOT] EXISTS { ... }.
type ExprExists struct {
	Not   bool
	Group *Group
}

// ExprAggregate is COUNT, SUM, MIN, MAX, AVG, SAMPLE or GROUP_CONCAT.
// Arg is nil for COUNT(*). Separator is set for GROUP_CONCAT; it is " "
// when not written.
type ExprAggregate struct {
	Name      string
	Distinct  bool
	Arg       Expr
	Separator string
}

func (*ExprTerm) expr()      {}
func (*ExprBinary) expr()    {}
func (*ExprUnary) expr()     {}
func (*ExprIn) expr()        {}
func (*ExprCall) expr()      {}
func (*ExprExists) expr()    {}
func (*ExprAggregate) expr() {}
