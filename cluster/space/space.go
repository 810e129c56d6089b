package space

import (
	"fmt"
	"strings"
)

// Space names a hash space. A view instance serves one range of one space.
type Space string

const (
	// HashSP is the space of hash(subject, predicate).
	HashSP Space = "hashsp"
	// HashPO is the space of hash(predicate, object).
	HashPO Space = "hashpo"
)

// Spaces returns every known space, in a fixed order.
func Spaces() []Space {
	return []Space{HashSP, HashPO}
}

// Valid reports whether s is a known space.
func (s Space) Valid() bool {
	return s == HashSP || s == HashPO
}

// String returns the space's name.
func (s Space) String() string {
	return string(s)
}

// ParseSpace parses a space name such as "hashsp" (case-insensitive).
func ParseSpace(s string) (Space, error) {
	sp := Space(strings.ToLower(strings.TrimSpace(s)))
	if !sp.Valid() {
		return "", fmt.Errorf("space: unknown space %q (want %q or %q)", s, HashSP, HashPO)
	}
	return sp, nil
}
