package gossip

import (
	"fmt"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/internal/testutil"
)

// TestRestartedNodeMetaReachesPeers restarts a node under the same name and
// address, as a crashed server comes back, and changes its meta while it is
// still refuting the pool's memory of its previous run. Memberlist drops an
// update that races with that refutation; the peers must still see the
// newest meta.
func TestRestartedNodeMetaReachesPeers(t *testing.T) {
	first := start(t, Config{Name: "n0"}, Meta{Role: "api"})
	addr := freeAddr(t)
	cfg := Config{Name: "n1", BindAddr: addr, Join: []string{first.Addr()}}
	old := start(t, cfg, Meta{Role: "view", AppliedIndex: 1})
	testutil.Eventually(t, 10*time.Second, 20*time.Millisecond, func() error {
		return sees(first, map[string]Meta{"n0": {Role: "api"}, "n1": {Role: "view", AppliedIndex: 1}})
	})
	for round := range 5 {
		if err := old.Stop(); err != nil { // no Leave: a crash
			t.Fatal(err)
		}
		restarted := start(t, cfg, Meta{Role: "view", State: "booting"})
		want := Meta{Role: "view", AppliedIndex: uint64(100 + round), Serving: true}
		for i := range 20 { // changes while the restart is being refuted
			m := want
			if i < 19 {
				m.AppliedIndex = uint64(i)
			}
			if err := restarted.SetMeta(m); err != nil {
				t.Fatal(err)
			}
			time.Sleep(5 * time.Millisecond)
		}
		testutil.Eventually(t, 5*time.Second, 20*time.Millisecond, func() error {
			if err := sees(first, map[string]Meta{"n0": {Role: "api"}, "n1": want}); err != nil {
				return fmt.Errorf("round %d: %w", round, err)
			}
			return nil
		})
		old = restarted
	}
}
