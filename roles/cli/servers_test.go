package cli

import (
	"strings"
	"testing"
)

// TestCheckBootFrom: --boot-from-cluster and --boot-seed come together and
// name another cluster than the view's own.
func TestCheckBootFrom(t *testing.T) {
	for _, tc := range []struct {
		from  string
		seeds []string
		want  string // in the error; "" for none
	}{
		{"", nil, ""},
		{"dc1", []string{"h:1", "h:2"}, ""},
		{"", []string{"h:1"}, "--boot-seed needs --boot-from-cluster"},
		{"dc1", nil, "needs --boot-seed"},
		{"dc2", []string{"h:1"}, "names the view's own cluster"},
	} {
		err := checkBootFrom(tc.from, tc.seeds, "dc2")
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("checkBootFrom(%q, %q): %v, want %q", tc.from, tc.seeds, err, tc.want)
		}
	}
	// A view with neither --cluster nor --dc (own cluster "") and no
	// --boot-from-cluster is fine.
	if err := checkBootFrom("", nil, ""); err != nil {
		t.Errorf("checkBootFrom with no cluster at all: %v", err)
	}
}
