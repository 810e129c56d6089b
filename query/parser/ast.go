package parser

import (
	"fmt"

	"github.com/akutan-dev/akutan/storage"
)

// Position is a place in the input, both counting from 1.
type Position struct {
	Line, Col int
}

func (p Position) String() string { return fmt.Sprintf("line %d, column %d", p.Line, p.Col) }

// Error is a parse error with the position where the input went wrong.
type Error struct {
	Pos Position
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

// Term is one field of a quad.
type Term interface{ isTerm() }

// Variable is `?name`.
type Variable struct{ Name string }

// Entity is an entity given by external name: `<name>` has Name "name",
// the QName `rdf:type` has Name "rdf:type".
type Entity struct{ Name string }

// KID is an entity given by internal ID: `#1052`.
type KID struct{ ID uint64 }

// BlankNode is `_:name`, allowed in inserts only.
type BlankNode struct{ Name string }

// Literal is a typed literal. Value.Unit is always 0: the unit, when the
// literal has one (`65^^<inch>`), is Unit, an *Entity or *KID still to be
// resolved.
type Literal struct {
	Value storage.Object
	Unit  Term
}

// Operator is a comparison or set predicate: `<gt>`, `<in>`, ...
type Operator struct{ Op Op }

// Set is `{ a, b, c }`, the object of an `<in>` pattern.
type Set struct{ Values []Term }

func (*Variable) isTerm()  {}
func (*Entity) isTerm()    {}
func (*KID) isTerm()       {}
func (*BlankNode) isTerm() {}
func (*Literal) isTerm()   {}
func (*Operator) isTerm()  {}
func (*Set) isTerm()       {}

// Op is an operator predicate.
type Op int

// The operators and their spellings in the language.
const (
	OpEq       Op = iota + 1 // <eq>
	OpNotEqual               // <notEqual>
	OpGt                     // <gt>
	OpGte                    // <gte>
	OpLt                     // <lt>
	OpLte                    // <lte>
	OpIn                     // <in>
)

// Quad is one fact pattern: [ID] Subject Predicate Object.
type Quad struct {
	Pos       Position
	ID        Term // nil when the pattern has no fact-ID field
	Subject   Term
	Predicate Term
	Object    Term
	Optional  bool // predicate had a trailing `?`
}

// Form is the kind of query.
type Form int

// The query forms.
const (
	FormSelect Form = iota + 1 // SELECT ... WHERE { ... }
	FormAsk                    // ASK WHERE { ... }
	FormFacts                  // bare fact patterns: returns the matching facts
)

// SelectItem is one column of a SELECT: a variable, or an aggregate bound
// to a new variable.
type SelectItem struct {
	Var   *Variable  // the output variable
	Count *Aggregate // non-nil for (COUNT(...) AS ?var)
}

// Aggregate is COUNT(?x) (Of set) or COUNT(*) (Of nil).
type Aggregate struct {
	Of *Variable
}

// OrderKey is one key of ORDER BY.
type OrderKey struct {
	Var  *Variable
	Desc bool
}

// Query is a parsed query.
type Query struct {
	Form     Form
	Distinct bool
	Star     bool         // SELECT *
	Select   []SelectItem // empty when Star
	Where    []*Quad
	OrderBy  []OrderKey
	Limit    *uint64
	Offset   uint64
}

// Insert is parsed TSV insert (or delete) data: one quad per fact line.
// A quad's ID, when set, is the *Variable that captures the fact's ID for
// later lines.
type Insert struct {
	Facts []*Quad
}

// Update is a parsed update request: facts to delete, then facts to insert.
// Either may be empty.
type Update struct {
	Delete *Insert
	Insert *Insert
}
