package planner

import (
	"fmt"
	"math/bits"

	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/storage"
)

// Term is one field of a pattern: a variable (Var >= 0) or, when Var < 0,
// the constant Val; a Term with Var < 0 and no Val is absent (a pattern
// without a fact-ID field).
type Term struct {
	Var int
	Val storage.Object
}

// Variable returns the term for variable number v.
func Variable(v int) Term { return Term{Var: v} }

// Constant returns the term for a constant value.
func Constant(o storage.Object) Term { return Term{Var: -1, Val: o} }

// Absent returns the term of a missing field.
func Absent() Term { return Term{Var: -1} }

// IsVar reports whether t is a variable.
func (t Term) IsVar() bool { return t.Var >= 0 }

// IsAbsent reports whether t is a missing field.
func (t Term) IsAbsent() bool { return t.Var < 0 && t.Val.Kind == 0 }

// Pattern is a resolved fact pattern (Op == 0) or comparison (Op != 0).
type Pattern struct {
	Pos parser.Position
	// ID is the fact-ID field: a variable, a constant or absent. UserID
	// says the query gave it; only then does the pattern match stored
	// facts alone (inferred facts have no ID). The engine may give a
	// pattern a hidden ID variable (UserID false) to report fact IDs.
	ID      Term
	UserID  bool
	S, P, O Term
	Op      parser.Op
	// Set holds the values of an <in> comparison (Op == OpIn).
	Set      []storage.Object
	Optional bool
	// Missing means a constant names an entity that does not exist, so
	// the pattern matches nothing.
	Missing bool
}

// IsFact reports whether p is a fact pattern rather than a comparison.
func (p *Pattern) IsFact() bool { return p.Op == 0 }

// Infers reports whether a fact pattern also matches facts implied by
// chains of stored facts: every constant predicate is transitive, unless
// the query asks for the fact ID, which only stored facts have.
func (p *Pattern) Infers() bool { return p.IsFact() && !p.UserID && !p.P.IsVar() }

// Terms lists a fact pattern's fields in ID, subject, predicate, object
// order.
func (p *Pattern) Terms() []Term { return []Term{p.ID, p.S, p.P, p.O} }

// Vars returns the variables a pattern mentions.
func (p *Pattern) Vars() VarSet {
	var s VarSet
	for _, t := range p.Terms() {
		if t.IsVar() {
			s = s.With(t.Var)
		}
	}
	return s
}

// Query is what the planner plans: the patterns of a WHERE clause, with
// variables numbered 0..len(Vars)-1.
type Query struct {
	Vars     []string
	Patterns []*Pattern
	// Hidden marks variables the engine added (bare-form fact IDs); they
	// bind only within their own pattern.
	Hidden VarSet
}

// VarSet is a set of variable numbers.
type VarSet struct{ words []uint64 }

// With returns s plus v.
func (s VarSet) With(v int) VarSet {
	w := make([]uint64, max(len(s.words), v/64+1))
	copy(w, s.words)
	w[v/64] |= 1 << (v % 64)
	return VarSet{words: w}
}

// Has reports whether v is in s.
func (s VarSet) Has(v int) bool {
	return v >= 0 && v/64 < len(s.words) && s.words[v/64]&(1<<(v%64)) != 0
}

// Union returns s ∪ o.
func (s VarSet) Union(o VarSet) VarSet {
	a, b := s.words, o.words
	if len(a) < len(b) {
		a, b = b, a
	}
	w := append([]uint64(nil), a...)
	for i, x := range b {
		w[i] |= x
	}
	return VarSet{words: w}
}

// Intersect returns s ∩ o.
func (s VarSet) Intersect(o VarSet) VarSet {
	n := min(len(s.words), len(o.words))
	w := make([]uint64, n)
	for i := range w {
		w[i] = s.words[i] & o.words[i]
	}
	return VarSet{words: w}
}

// Minus returns s \ o.
func (s VarSet) Minus(o VarSet) VarSet {
	w := append([]uint64(nil), s.words...)
	for i := range w {
		if i < len(o.words) {
			w[i] &^= o.words[i]
		}
	}
	return VarSet{words: w}
}

// SubsetOf reports whether s ⊆ o.
func (s VarSet) SubsetOf(o VarSet) bool { return s.Minus(o).Empty() }

// Empty reports whether s has no members.
func (s VarSet) Empty() bool {
	for _, w := range s.words {
		if w != 0 {
			return false
		}
	}
	return true
}

// Members lists s in increasing order.
func (s VarSet) Members() []int {
	var out []int
	for i, w := range s.words {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			out = append(out, i*64+b)
			w &^= 1 << b
		}
	}
	return out
}

// Error is a planning error at a position in the query.
type Error struct {
	Pos parser.Position
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }
