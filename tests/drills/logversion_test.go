package drills

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/tests/harness"
)

// TestDrillLogVersionChange drills "log entry version change", under load,
// as docs/operations.md's "Switching the log format version" does it. A
// view that supports only log format version 1 (--max-log-version 1, an
// old binary) serves beside dc3's hashpo view: `ctl log upgrade --to 2`
// against dc3's gossip pool must refuse, naming it. Once it is drained and
// stopped, the log itself still refuses, naming it (the log records every
// server that connected), until `ctl log forget-server` retires it; then
// `ctl log upgrade --to 2` is run against each cluster's pool in
// turn: the first appends the change, the others find the log already in
// version 2 (at the same index). Every server must go on (none exits)
// with writes and queries, and the old view, started again on its disk,
// must stop with an error instead of reading the log in a version it does
// not know. Time to healthy is from the change (the first upgrade's
// return) until every cluster is fully available and the load has had 50
// more writes acknowledged.
func TestDrillLogVersionChange(t *testing.T) {
	harness.SkipIfShort(t)
	dp, l := startLoaded(t)
	const d = 2
	old, oldAddr := dp.startView(t, d, "hashpo-v1", "hashpo", "1/1", "--max-log-version", "1")
	dp.waitCovered(t, d, "hashpo", 1, 2)

	upgrade := func(d int) (string, string, error) {
		return harness.Run(t, bin, "ctl", "log", "upgrade", "--to", "2", "--log", dp.logList,
			"--gossip-join", dp.seeds(d), "--cluster", dcName(d), "--gossip-wait", "2s")
	}
	out, errOut, err := upgrade(d)
	if err == nil || !strings.Contains(errOut, "refusing to switch the log to version 2") || !strings.Contains(errOut, oldAddr) {
		t.Fatalf("ctl log upgrade with a version-1 view in %s: %v\n%s%s", dcName(d), err, out, errOut)
	}
	t.Logf("refused while the old view serves: %s", firstLine(errOut))
	dp.drain(t, d, oldAddr)
	stop(t, old)
	// Stopped, the old view is still recorded in the log: refused, naming
	// it, with no gossip at all, until an operator retires it.
	name := "view/" + oldAddr
	_, errOut, err = harness.Run(t, bin, "ctl", "log", "upgrade", "--to", "2", "--log", dp.logList)
	if err == nil || !strings.Contains(errOut, name) || !strings.Contains(errOut, "supports up to version 1") {
		t.Fatalf("ctl log upgrade with the version-1 view stopped: %v\n%s", err, errOut)
	}
	t.Logf("refused while the old view is stopped: %s", firstLine(errOut))
	if out, errOut, err := harness.Run(t, bin, "ctl", "log", "forget-server", "--log", dp.logList, name); err != nil {
		t.Fatalf("ctl log forget-server %s: %v\n%s%s", name, err, out, errOut)
	}

	indexRE := regexp.MustCompile(`switches to it at index (\d+)`)
	switchVia := func(d int) string {
		out, errOut, err := upgrade(d)
		m := indexRE.FindStringSubmatch(out)
		if err != nil || m == nil {
			t.Fatalf("ctl log upgrade --to 2 against %s: %v\n%s%s", dcName(d), err, out, errOut)
		}
		t.Logf("against %s: %s", dcName(d), strings.TrimSpace(out))
		return m[1]
	}
	index := switchVia(0)
	changed := time.Now()
	waitAllUp(t, dp, 60*time.Second)
	l.waitMore(t, 50)
	healthy := time.Since(changed)
	for _, p := range dp.all() {
		if !p.Running() {
			t.Fatalf("a server exited after the switch to version 2:\n%s", p.Output())
		}
	}
	for d := 1; d < datacenters; d++ {
		if again := switchVia(d); again != index {
			t.Fatalf("the log switched to version 2 at index %s, then at %s", index, again)
		}
	}

	old.Restart(t)
	if err := old.Wait(60 * time.Second); err == nil || !strings.Contains(old.Output(), "version") {
		t.Fatalf("the version-1 view, started again after the switch: %v\n%s", err, old.Output())
	}
	t.Logf("the version-1 view, started again, stopped: %v", lastLine(old.Output()))
	finish(t, dp, l, "log-version-change", healthy)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}
