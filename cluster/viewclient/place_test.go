package viewclient

import (
	"testing"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/storage"
)

// TestLookupsGoWhereTheirFactsLive: each point lookup is sent to the point
// of its space that holds the facts it finds, so a view asked about it
// has them.
func TestLookupsGoWhereTheirFactsLive(t *testing.T) {
	f := storage.Fact{ID: 7, Subject: 1, Predicate: 2, Object: storage.AString("x", "en")}
	for _, tc := range []struct {
		name  string
		point Point
		space space.Space
	}{
		{"SP", SP{Subject: f.Subject, Predicate: f.Predicate}, space.HashSP},
		{"SPO", SPO{Subject: f.Subject, Predicate: f.Predicate, Object: f.Object}, space.HashSP},
		{"PO", PO{Predicate: f.Predicate, Object: f.Object}, space.HashPO},
	} {
		if tc.point.Space() != tc.space || tc.point.Hash() != tc.space.Hash(f) {
			t.Errorf("%s lookup at %s %x, want %s %x where its fact lives",
				tc.name, tc.point.Space(), tc.point.Hash(), tc.space, tc.space.Hash(f))
		}
	}
	sp, points := Place([]PO{{Predicate: 2, Object: f.Object}, {Predicate: 3, Object: f.Object}})
	if sp != space.HashPO || len(points) != 2 || points[0] != space.HashPO.Hash(f) || points[1] == points[0] {
		t.Errorf("Place = %s %x, want HashPO and each lookup's own point", sp, points)
	}
	if sp, points := Place[SP](nil); sp != space.HashSP || len(points) != 0 {
		t.Errorf("Place of no SP lookups = %s %x, want HashSP and no points", sp, points)
	}
}
