package results

import (
	"fmt"

	"github.com/akutan-dev/akutan/query/rdf"
)

// Solution binds variable names (without '?') to RDF terms. A variable
// that is absent is unbound.
type Solution map[string]rdf.Term

// Results is a whole query answer: the solutions of a SELECT query in
// order, or the boolean of an ASK query. Readers and tests use it; a
// server streams through a Writer instead so that the answer never sits
// in memory.
type Results struct {
	// Vars names the result variables (without '?') in order.
	Vars []string
	// Solutions are the rows of a SELECT answer, in order.
	Solutions []Solution
	// IsBoolean marks the answer of an ASK query; Boolean is its value
	// and Vars and Solutions are empty.
	IsBoolean bool
	Boolean   bool
}

// NewBoolean returns the answer of an ASK query.
func NewBoolean(b bool) *Results { return &Results{IsBoolean: true, Boolean: b} }

// Writer writes one answer in one format as it is produced. For a SELECT
// answer call Begin once, Write for each solution, then End; for an ASK
// answer call only WriteBoolean. Output may be buffered until End or
// WriteBoolean returns.
type Writer interface {
	Begin(vars []string) error
	Write(s Solution) error
	End() error
	WriteBoolean(b bool) error
}

// WriteAll writes a whole answer through w.
func WriteAll(w Writer, r *Results) error {
	if r.IsBoolean {
		return w.WriteBoolean(r.Boolean)
	}
	if err := w.Begin(r.Vars); err != nil {
		return err
	}
	for i, s := range r.Solutions {
		if err := w.Write(s); err != nil {
			return fmt.Errorf("writing solution %d: %w", i+1, err)
		}
	}
	return w.End()
}

// checkVar reports a variable name that no format could write back.
func checkVar(name string) error {
	if name == "" {
		return fmt.Errorf("empty variable name")
	}
	for _, r := range name {
		if r == '\t' || r == '\n' || r == '\r' || r == ',' || r == '"' || r == '?' || r == '$' || r == ' ' {
			return fmt.Errorf("variable name %q has a character %q that SPARQL variable names cannot have", name, r)
		}
	}
	return nil
}
