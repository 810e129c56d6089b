package cli

import (
	"testing"

	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/roles/apiserver"
)

// A draining view still serves: verify compares it; booting and silent
// views are listed but not compared.
func TestGroupViewsComparesDrainingViews(t *testing.T) {
	view := func(name string, serving bool, state string) apiserver.Member {
		return apiserver.Member{Name: name, Meta: gossip.Meta{Role: "view", Space: "hashsp", RangeEnd: 1<<64 - 1,
			GRPCAddr: name + ":1", Serving: serving, State: state}}
	}
	groups := groupViews([]apiserver.Member{
		view("a", true, ""), view("b", true, gossip.StateDraining), view("c", false, "booting"), view("d", false, ""),
	})
	if len(groups) != 1 {
		t.Fatalf("%d groups, want 1", len(groups))
	}
	var compared []string
	for _, r := range groups[0].serving() {
		compared = append(compared, r.name)
	}
	if len(compared) != 2 || compared[0] != "a" || compared[1] != "b" {
		t.Fatalf("compared %v, want a and b", compared)
	}
	if st := groups[0].replicas[3].state; st != "not serving" {
		t.Fatalf("silent view's state %q", st)
	}
}
