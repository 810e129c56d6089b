package gossip

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/akutan-dev/akutan/internal/testutil"
)

// TestMembershipSummary checks that a pool starting together logs one
// info line per node once its membership settles, not one per member.
func TestMembershipSummary(t *testing.T) {
	var buf syncBuffer
	log := zerolog.New(&buf).Level(zerolog.InfoLevel)
	first := start(t, Config{Name: "s1", Logger: log}, Meta{Role: "api"})
	nodes := []*Node{first}
	for _, name := range []string{"s2", "s3", "s4"} {
		nodes = append(nodes, start(t, Config{Name: name, Join: []string{first.Addr()}, Logger: log}, Meta{Role: "api"}))
	}
	testutil.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		if n := countLines(buf.String(), "gossip membership settled", `"members":4,"joined":3`); n < len(nodes) {
			return fmt.Errorf("%d nodes logged a settled membership of 4, want %d:\n%s", n, len(nodes), buf.String())
		}
		return nil
	})
	out := buf.String()
	for _, noisy := range []string{"gossip member joined", "gossip joined"} {
		if strings.Contains(out, noisy) {
			t.Errorf("%q logged at info level:\n%s", noisy, out)
		}
	}
	// A graceful leave is summed up too; the node that left logs nothing
	// more after it.
	if err := nodes[3].Leave(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		if n := countLines(buf.String(), "gossip membership settled", `"members":3,"left":1,"left_names":["s4"]`); n < 3 {
			return fmt.Errorf("%d nodes logged s4 leaving, want 3:\n%s", n, buf.String())
		}
		return nil
	})
	if strings.Contains(buf.String(), "gossip member left") {
		t.Errorf("a graceful leave logged at info level:\n%s", buf.String())
	}
}

// countLines counts the lines holding every one of subs.
func countLines(out string, subs ...string) int {
	n := 0
	for _, line := range strings.Split(out, "\n") {
		all := true
		for _, s := range subs {
			all = all && strings.Contains(line, s)
		}
		if all {
			n++
		}
	}
	return n
}
