package testutil

import "testing"

// A small range is handed out whole without repeating a port, which is what
// a test asking for several addresses before it binds any relies on.
func TestPortRangeNeverRepeats(t *testing.T) {
	r := PortRange{Base: 24990, Span: 8}
	seen := make(map[int]bool)
	for range 4 {
		p := r.Port(t)
		if p < r.Base || p >= r.Base+r.Span {
			t.Fatalf("port %d outside %d-%d", p, r.Base, r.Base+r.Span-1)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
	}
}
