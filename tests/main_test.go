package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
	"github.com/rs/zerolog"
)

// bin is the akutan binary built once for this package's tests.
var bin string

func TestMain(m *testing.M) { os.Exit(harness.RunWithBinary(m, &bin)) }

func testdata(name string) string { return filepath.Join("testdata", name) }

// akutan runs one client command and fails the test if it fails.
func akutan(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := harness.Run(t, bin, args...)
	if err != nil {
		t.Fatalf("akutan %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// queryTSV runs a query file against api and returns the TSV output.
func queryTSV(t *testing.T, api string, file string, extra ...string) string {
	t.Helper()
	args := append([]string{"query", "--api", api, "--format", "tsv"}, extra...)
	return akutan(t, append(args, testdata(file))...)
}

// waitForQuery retries queries that need every range of both spaces until
// they succeed: servers come up in any order and the API finds views
// through gossip.
func waitForQuery(t *testing.T, api string) {
	t.Helper()
	testutil.Eventually(t, 60*time.Second, 250*time.Millisecond, func() error {
		for _, q := range []string{"SELECT * WHERE { #1 ?p ?o }", "SELECT * WHERE { ?s <HasExternalID> ?name } LIMIT 1"} {
			_, errOut, err := harness.Run(t, bin, "query", "--api", api, "--timeout", "5s", "-e", q)
			if err != nil {
				return fmt.Errorf("%v: %s", err, errOut)
			}
		}
		return nil
	})
}

const fp01Want = "person\tplace\n<John_Scalzi>\t<Fairfield>\n"

// watchGossip joins the cluster's gossip through seed from the test
// process, as a member of role "test", until the test ends.
func watchGossip(t *testing.T, name, seed string) *gossip.Node {
	t.Helper()
	node, err := gossip.Start(context.Background(), gossip.Config{
		Name: name, BindAddr: harness.FreeAddr(t), Join: []string{seed}, Logger: zerolog.Nop(),
	}, gossip.Meta{Role: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Leave(time.Second); node.Stop() })
	return node
}
