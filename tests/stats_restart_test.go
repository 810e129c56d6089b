package tests

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
)

// lubmQ3 is LUBM's query 3 in the Akutan language: the planner's choice
// for it depends on statistics (blind, it starts from every Publication).
const lubmQ3 = `SELECT ?X WHERE {
  ?X <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#Publication>
  ?X <http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#publicationAuthor> <http://www.Department0.University0.edu/AssistantProfessor0>
}`

// planIndexRE matches the log index a plan names, which moves with writes.
var planIndexRE = regexp.MustCompile(`log index \d+`)

// explainPlan runs q with --explain and returns the chosen plan with its
// estimates (without what the operators then did, or the log index).
func explainPlan(api, q string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, errOut, err := harness.RunContext(ctx, bin, "query", "--api", api, "--timeout", "10s", "--explain", "-e", q)
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, errOut)
	}
	plan, _, ok := strings.Cut(out, "Executed:")
	if !ok {
		return "", fmt.Errorf("explain output has no executed plan:\n%s", out)
	}
	return planIndexRE.ReplaceAllString(plan, "log index N"), nil
}

// TestFirstQueryAfterRestartUsesStatistics checks that the first query
// answered after `akutan local` restarts is planned with the statistics
// the views saved, exactly as before the restart, rather than blind.
func TestFirstQueryAfterRestartUsesStatistics(t *testing.T) {
	harness.SkipIfShort(t)
	p, api, _ := startLocal(t, filepath.Join(t.TempDir(), "data"))
	if _, errOut, err := loadCLI(t, "--api", api, lubmFile(t, "lubm-1.nt.gz")); err != nil {
		t.Fatalf("loading LUBM-1: %v: %s", err, errOut)
	}
	// Once a load has ended, the views scan their stores again and the
	// API server fetches the new statistics within seconds (not at their
	// 30 s intervals): the plan is then built on the loaded data, which
	// starts from the one author's publications (a blind plan hash-joins
	// every Publication with them).
	loaded := time.Now()
	testutil.Eventually(t, 20*time.Second, 250*time.Millisecond, func() error {
		plan, err := explainPlan(api, lubmQ3)
		if err != nil {
			return err
		}
		if !strings.Contains(plan, "\nLoopJoin ?X ") || !strings.Contains(plan, "\n  InferPO(_ ?X <http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#publicationAuthor>") {
			return fmt.Errorf("plan not built on the loaded data yet:\n%s", plan)
		}
		return nil
	})
	t.Logf("the plan was built on the loaded data %v after the load", time.Since(loaded).Round(100*time.Millisecond))
	var before string
	testutil.Eventually(t, 90*time.Second, 2*time.Second, func() error {
		plan, err := explainPlan(api, lubmQ3)
		if err != nil {
			return err
		}
		if plan != before {
			before = plan
			return fmt.Errorf("plan not settled yet:\n%s", plan)
		}
		return nil
	})
	if err := p.Stop(); err != nil {
		t.Fatalf("stopping local: %v", err)
	}
	p.Restart(t)
	var first string
	testutil.Eventually(t, 60*time.Second, 100*time.Millisecond, func() error {
		var err error
		first, err = explainPlan(api, lubmQ3)
		return err
	})
	if first != before {
		t.Fatalf("the first query after the restart was planned differently:\nbefore the restart:\n%s\nfirst after it:\n%s", before, first)
	}
	t.Logf("plan before and right after the restart:\n%s", first)
}
