package planner

import (
	"fmt"
	"strings"

	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
)

// OpKind is a physical operator.
type OpKind int

// The physical operators.
const (
	// OpUnit produces one row with nothing bound: the input of a query
	// whose patterns are all optional.
	OpUnit OpKind = iota + 1
	// OpEmpty produces nothing: a pattern names an entity that does not
	// exist.
	OpEmpty
	// OpValues binds the variable of an <in> comparison to each value.
	OpValues
	// OpLookup looks up (or infers) one pattern with nothing bound.
	OpLookup
	// OpLoopJoin reads batches of Left rows and looks up Pattern with
	// each row's bindings, many lookups per RPC.
	OpLoopJoin
	// OpHashJoin runs Left and Right in parallel and joins them on
	// JoinVars through a hash table of one side.
	OpHashJoin
	// OpSelect keeps the rows that pass every filter.
	OpSelect
)

// Access is how a pattern's facts are found.
type Access int

// The access methods: view lookups of stored facts, and transitive
// inferences built from them breadth-first.
const (
	LookupSPO    Access = iota + 1 // subject, predicate and object known
	LookupSP                       // subject and predicate known
	LookupPO                       // predicate and object known
	LookupS                        // only the subject known
	LookupP                        // only the predicate known: a predicate scan (LookupPOCmp ANY)
	LookupPOCmp                    // predicate known, object compared: a range scan
	InferSPO                       // chain from a known subject to a known object, searching forward
	InferSPOBack                   // the same, searching backward from the object
	InferSP                        // chains from a known subject
	InferPO                        // chains to a known object
	InferPOCmp                     // chains to objects in a range: a range scan, then backward
	InferP                         // all chains of a predicate: a scan closed in memory
)

func (a Access) String() string {
	switch a {
	case LookupSPO:
		return "LookupSPO"
	case LookupSP:
		return "LookupSP"
	case LookupPO:
		return "LookupPO"
	case LookupS:
		return "LookupS"
	case LookupP:
		return "LookupP"
	case LookupPOCmp:
		return "LookupPOCmp"
	case InferSPO:
		return "InferSPO"
	case InferSPOBack:
		return "InferSPO(backward)"
	case InferSP:
		return "InferSP"
	case InferPO:
		return "InferPO"
	case InferPOCmp:
		return "InferPOCmp"
	case InferP:
		return "InferP"
	}
	return fmt.Sprintf("Access(%d)", int(a))
}

// Node is one operator of a physical plan.
type Node struct {
	Op OpKind
	// Pattern is the pattern an OpLookup, OpLoopJoin (its right side),
	// OpValues or OpEmpty works on.
	Pattern *Pattern
	Access  Access
	// Pushed are the comparisons an OpLookup answers with a range scan
	// (LookupPOCmp or InferPOCmp): one, or a <gte> and <lt> pair.
	Pushed []*Pattern
	// Filters are an OpSelect's comparisons.
	Filters     []*Pattern
	Left, Right *Node
	// JoinVars are the variables both sides of an OpHashJoin bind (the
	// bound variables of an OpLoopJoin's pattern).
	JoinVars []int
	// Outer makes a join keep the left rows that match nothing (an
	// optional pattern), with the right side's variables unbound.
	Outer bool
	// BuildRight makes an OpHashJoin hash the right side and stream the
	// left through it; otherwise it hashes the left.
	BuildRight bool
	// LinkScanAbove is, for an inference, the frontier size above which a
	// breadth-first level should read all the predicate's entity-valued
	// facts (the only links chains can have) in one scan and finish in
	// memory, rather than look up every frontier node.
	LinkScanAbove int
	// Bound are the variables the rows have after this node.
	Bound            VarSet
	EstRows, EstCost float64
}

// Children returns the node's inputs.
func (n *Node) Children() []*Node {
	var out []*Node
	for _, c := range []*Node{n.Left, n.Right} {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

// Walk visits the plan in pre-order with each node's depth.
func (n *Node) Walk(fn func(n *Node, depth int)) { n.walk(0, fn) }

func (n *Node) walk(depth int, fn func(*Node, int)) {
	fn(n, depth)
	for _, c := range n.Children() {
		c.walk(depth+1, fn)
	}
}

// Namer formats KIDs as names for plan text; it may return "".
type Namer func(kid uint64) string

// Label describes the node on one line, the way Explain prints it.
func (n *Node) Label(vars []string, name Namer) string {
	f := formatter{vars: vars, name: name}
	switch n.Op {
	case OpUnit:
		return "Unit"
	case OpEmpty:
		return "Empty " + f.pattern(n.Pattern, VarSet{}) + " (names a missing entity)"
	case OpValues:
		return "Values " + f.term(n.Pattern.S, VarSet{}) + " " + f.set(n.Pattern.Set)
	case OpLookup:
		return n.Access.String() + "(" + f.pattern(n.Pattern, VarSet{}) + f.pushed(n.Pushed) + ")"
	case OpLoopJoin:
		kind := "LoopJoin"
		if n.Outer {
			kind = "LeftLoopJoin"
		}
		bound := n.Left.Bound
		return fmt.Sprintf("%s %s %s(%s)", kind, f.varList(n.JoinVars), n.Access, f.pattern(n.Pattern, bound))
	case OpHashJoin:
		kind := "HashJoin"
		if n.Outer {
			kind = "LeftHashJoin"
		}
		build := "build left"
		if n.BuildRight {
			build = "build right"
		}
		return fmt.Sprintf("%s %s (%s)", kind, f.varList(n.JoinVars), build)
	case OpSelect:
		var parts []string
		for _, c := range n.Filters {
			parts = append(parts, f.comparison(c))
		}
		return "Select " + strings.Join(parts, " && ")
	}
	return fmt.Sprintf("Op(%d)", int(n.Op))
}

// Explain prints the plan as an indented tree with estimates.
func (n *Node) Explain(vars []string, name Namer) string {
	var b strings.Builder
	n.Walk(func(m *Node, depth int) {
		fmt.Fprintf(&b, "%s%s  [rows %s, cost %s]\n", strings.Repeat("  ", depth), m.Label(vars, name), Num(m.EstRows), Num(m.EstCost))
	})
	return b.String()
}

// Num prints an estimate compactly.
func Num(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.3g", x)
	case x >= 100 || x == float64(int64(x)):
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.2g", x)
}

// formatter prints patterns: ?x for a variable the operator binds, $x for
// one bound by its input (as in a loop join's right side).
type formatter struct {
	vars []string
	name Namer
}

func (f formatter) term(t Term, bound VarSet) string {
	switch {
	case t.IsVar():
		sigil := "?"
		if bound.Has(t.Var) {
			sigil = "$"
		}
		if t.Var < len(f.vars) {
			return sigil + f.vars[t.Var]
		}
		return fmt.Sprintf("%s%d", sigil, t.Var)
	case t.IsAbsent():
		return "_"
	}
	return parser.FormatObject(t.Val, f.name)
}

func (f formatter) pattern(p *Pattern, bound VarSet) string {
	fields := []string{f.term(p.ID, bound), f.term(p.S, bound), f.term(p.P, bound), f.term(p.O, bound)}
	if p.Optional {
		fields[2] += "?"
	}
	return strings.Join(fields, " ")
}

func (f formatter) set(values []storage.Object) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = parser.FormatObject(v, f.name)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (f formatter) comparison(c *Pattern) string {
	if c.Op == parser.OpIn {
		return f.term(c.S, VarSet{}) + " in " + f.set(c.Set)
	}
	return f.term(c.S, VarSet{}) + " " + opSymbol(c.Op) + " " + f.term(c.O, VarSet{})
}

func (f formatter) pushed(cmps []*Pattern) string {
	var b strings.Builder
	for _, c := range cmps {
		b.WriteString(" " + opSymbol(c.Op) + " " + f.term(c.O, VarSet{}))
	}
	return b.String()
}

func (f formatter) varList(vs []int) string {
	if len(vs) == 0 {
		return "(cross)"
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = f.term(Variable(v), VarSet{})
	}
	return strings.Join(parts, " ")
}

func opSymbol(op parser.Op) string {
	switch op {
	case parser.OpEq:
		return "="
	case parser.OpNotEqual:
		return "!="
	case parser.OpGt:
		return ">"
	case parser.OpGte:
		return ">="
	case parser.OpLt:
		return "<"
	case parser.OpLte:
		return "<="
	case parser.OpIn:
		return "in"
	}
	return "?"
}
