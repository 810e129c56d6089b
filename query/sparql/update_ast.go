package sparql

// Update is a request of one or more update operations, applied in order.
type Update struct {
	Operations []Operation
}

// Operation is one update operation: *InsertData, *DeleteData,
// *DeleteWhere, *Modify, *Load, *Clear, *Drop, *Create, *Add, *Move or
// *Copy. Each carries the prologue in force where it was written.
type Operation interface{ operation() }

// Quad is a triple pattern in a graph; Graph is zero for the default
// graph, otherwise an IRI or a variable.
type Quad struct {
	Graph Term
	TriplePattern
}

// InsertData is INSERT DATA { quads }: ground, blank nodes allowed.
type InsertData struct {
	Prologue
	Quads []Quad
}

// DeleteData is DELETE DATA { quads }: ground, no blank nodes.
type DeleteData struct {
	Prologue
	Quads []Quad
}

// DeleteWhere is DELETE WHERE { quads }: the quads are both the pattern and
// the template.
type DeleteWhere struct {
	Prologue
	Quads []Quad
}

// Modify is [WITH iri] DELETE {...} INSERT {...} USING ... WHERE {...};
// Delete or Insert may be empty but not both absent.
type Modify struct {
	Prologue
	With              string
	Delete, Insert    []Quad
	HasDelete         bool
	HasInsert         bool
	Using, UsingNamed []string
	Where             *Group
}

// Load is LOAD [SILENT] <source> [INTO GRAPH <graph>].
type Load struct {
	Prologue
	Silent bool
	Source string
	Into   string // empty for the default graph
}

// GraphTarget names the graphs an operation acts on.
type GraphTarget struct {
	Kind GraphTargetKind
	IRI  string // for TargetGraph
}

// GraphTargetKind says which graphs a GraphTarget means.
type GraphTargetKind uint8

// The graph targets: DEFAULT, NAMED, ALL, or one graph by IRI.
const (
	TargetDefault GraphTargetKind = iota + 1
	TargetNamed
	TargetAll
	TargetGraph
)

// Clear is CLEAR [SILENT] target.
type Clear struct {
	Prologue
	Silent bool
	Target GraphTarget
}

// Drop is DROP [SILENT] target.
type Drop struct {
	Prologue
	Silent bool
	Target GraphTarget
}

// Create is CREATE [SILENT] GRAPH <iri>.
type Create struct {
	Prologue
	Silent bool
	Graph  string
}

// Transfer holds the operands of ADD, MOVE and COPY; From and To are
// TargetDefault or TargetGraph.
type Transfer struct {
	Prologue
	Silent   bool
	From, To GraphTarget
}

// Add is ADD [SILENT] from TO to.
type Add struct{ Transfer }

// Move is MOVE [SILENT] from TO to.
type Move struct{ Transfer }

// Copy is COPY [SILENT] from TO to.
type Copy struct{ Transfer }

func (*InsertData) operation()  {}
func (*DeleteData) operation()  {}
func (*DeleteWhere) operation() {}
func (*Modify) operation()      {}
func (*Load) operation()        {}
func (*Clear) operation()       {}
func (*Drop) operation()        {}
func (*Create) operation()      {}
func (*Add) operation()         {}
func (*Move) operation()        {}
func (*Copy) operation()        {}
