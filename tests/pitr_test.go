package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/boot"
	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/logarchive"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/tests/harness"
)

// logAddrsOf reads the log replicas' addresses that `akutan local` prints.
func logAddrsOf(t *testing.T, p *harness.Process) string {
	t.Helper()
	re := regexp.MustCompile(`log replicas serving gRPC on (\S+)`)
	var addrs string
	testutil.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		m := re.FindStringSubmatch(p.Output())
		if m == nil {
			return fmt.Errorf("akutan local has not printed its log replicas' addresses")
		}
		addrs = m[1]
		return nil
	})
	return addrs
}

// rangeDigests runs `ctl verify` until every range is compared at index
// (the views applied it) and returns each range's digest ("SPACE RANGE"
// -> digest) and one replica's address per range.
func rangeDigests(t *testing.T, api string, index uint64) (digests, replicas map[string]string) {
	t.Helper()
	testutil.Eventually(t, 60*time.Second, 250*time.Millisecond, func() error {
		out, errOut, err := harness.Run(t, bin, "ctl", "verify", "--api", api)
		if err != nil {
			return fmt.Errorf("ctl verify: %v %s%s", err, out, errOut)
		}
		digests, replicas = map[string]string{}, map[string]string{}
		for _, line := range strings.Split(out, "\n")[1:] {
			f := strings.Fields(line)
			if len(f) != 6 {
				continue
			}
			if f[2] != strconv.FormatUint(index, 10) {
				return fmt.Errorf("%s %s compared at index %s, not %d yet", f[0], f[1], f[2], index)
			}
			digests[f[0]+" "+f[1]], replicas[f[0]+" "+f[1]] = f[4], f[3]
		}
		if len(digests) != 4 {
			return fmt.Errorf("ctl verify printed %d ranges:\n%s", len(digests), out)
		}
		return nil
	})
	return digests, replicas
}

// digestsAt asks one replica of each range for its digest as of index.
func digestsAt(t *testing.T, replicas map[string]string, index uint64) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := map[string]string{}
	for rng, addr := range replicas {
		reply, err := boot.AskDigest(ctx, addr, index)
		if err != nil {
			t.Fatalf("asking %s (%s) for its digest at %d: %v", addr, rng, index, err)
		}
		out[rng] = fmt.Sprintf("%016x", reply.Digest)
	}
	return out
}

func sortedKeys(m map[string]string) string {
	var lines []string
	for k, v := range m {
		lines = append(lines, k+" "+v)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// pitrAnswers are the answers compared between the original and a
// restored database.
func pitrAnswers(t *testing.T, api string) map[string]string {
	t.Helper()
	sparql := func(q string) string {
		return akutan(t, "sparql", "--api", api, "--format", "tsv", "--timeout", "2m", "-e", q)
	}
	const ub = "PREFIX ub: <http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#> "
	return map[string]string{
		"facts": sparql("SELECT ?s ?o WHERE { ?s <http://t/pitr/p> ?o } ORDER BY ?o"),
		"lubm1": sparql(ub + "SELECT ?x WHERE { ?x a ub:GraduateStudent . ?x ub:takesCourse <http://www.Department0.University0.edu/GraduateCourse0> } ORDER BY ?x"),
		"lubm4": sparql(ub + "SELECT ?x ?n ?e WHERE { ?x a ub:AssociateProfessor . ?x ub:worksFor <http://www.Department0.University0.edu> . ?x ub:name ?n . ?x ub:emailAddress ?e } ORDER BY ?x"),
		"name":  sparql(ub + "SELECT ?n WHERE { <http://www.University0.edu> ub:name ?n }"),
		"preds": predicateCounts(t, api),
	}
}

// startRestored starts `akutan local` restored from bk and the log
// archive, with extra flags, and waits until it answers.
func startRestored(t *testing.T, name, bk, archive string, extra ...string) (p *harness.Process, api, dir string) {
	addrs := harness.FreeAddrs(t, 2)
	dir = filepath.Join(t.TempDir(), name)
	args := append([]string{"local", "--dir", dir, "--restore-from", bk, "--log-archive", archive,
		"--api-addr", addrs[0], "--http-addr", addrs[1]}, extra...)
	p = harness.Start(t, bin, name, args...)
	harness.WaitTCP(t, addrs[0], 90*time.Second)
	waitForQuery(t, addrs[0])
	return p, addrs[0], dir
}

// TestPointInTimeRecovery loads LUBM-1, backs it up, then inserts and
// deletes while archiving the log; it kills the whole local cluster
// (kill -9) and deletes its directory, restores a new one from the backup
// plus the archive, and gets the same answers and the same `ctl verify`
// digests; and a restore to an index between the two deletes holds
// exactly the data of that index (the first deletion done, the second
// not), with the original's digests at that index, and takes new writes
// right after it.
func TestPointInTimeRecovery(t *testing.T) {
	harness.SkipIfShort(t)
	dir := filepath.Join(t.TempDir(), "orig")
	p, api, _ := startLocal(t, dir)
	logs := logAddrsOf(t, p)
	if _, errOut, err := loadCLI(t, "--api", api, lubmFile(t, "lubm-1.nt.gz")); err != nil {
		t.Fatalf("loading LUBM-1: %v\n%s", err, errOut)
	}
	bk := filepath.Join(t.TempDir(), "bk")
	akutan(t, "ctl", "backup", "--api", api, "--to", bk)
	archive := filepath.Join(t.TempDir(), "archive")
	update := func(text string) uint64 {
		return lastIndexOf(t, akutan(t, "sparql-update", "--api", api, "-e", text))
	}
	archiveLog := func() {
		akutan(t, "ctl", "log", "archive", "--log", logs, "--to", archive, "--segment-entries", "2")
	}
	const ub = "PREFIX ub: <http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#> "
	archiveLog() // the load, before the backup's index too: replay starts after it
	update(`INSERT DATA { <http://t/pitr/a> <http://t/pitr/p> "A" . <http://t/pitr/b> <http://t/pitr/p> "B" . <http://t/pitr/c> <http://t/pitr/p> "C" }`)
	archiveLog()
	del1 := update(ub + `DELETE DATA { <http://t/pitr/a> <http://t/pitr/p> "A" . <http://www.University0.edu> ub:name "University0" }`)
	update(`INSERT DATA { <http://t/pitr/d> <http://t/pitr/p> "D" }`)
	archiveLog()
	del2 := update(`DELETE DATA { <http://t/pitr/b> <http://t/pitr/p> "B" }`)
	last := update(`INSERT DATA { <http://t/pitr/e> <http://t/pitr/p> "E" }`)
	archiveLog()

	want := pitrAnswers(t, api)
	if !strings.Contains(want["facts"], `"C"`) || strings.Contains(want["facts"], `"A"`) || strings.Contains(want["facts"], `"B"`) ||
		strings.Contains(want["name"], "University0") || strings.Count(want["lubm1"], "\n") < 2 {
		t.Fatalf("the original answers %v", want)
	}
	wantDigests, replicas := rangeDigests(t, api, last)
	at := del2 - 1 // after the first delete, before the second
	wantAt := digestsAt(t, replicas, at)
	p.Kill()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	_, full, _ := startRestored(t, "full", bk, archive)
	t.Logf("restored to the archive's end (%d) in %v", last, time.Since(start).Round(time.Millisecond))
	got := pitrAnswers(t, full)
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("restored %s = %q, want %q", k, got[k], want[k])
		}
	}
	if gotDigests, _ := rangeDigests(t, full, last); sortedKeys(gotDigests) != sortedKeys(wantDigests) {
		t.Errorf("restored digests at %d:\n%s\nwant:\n%s", last, sortedKeys(gotDigests), sortedKeys(wantDigests))
	}

	start = time.Now()
	pAt, mid, atDir := startRestored(t, "at", bk, archive, "--to-index", fmt.Sprint(at))
	t.Logf("restored to index %d (deletes at %d and %d) in %v", at, del1, del2, time.Since(start).Round(time.Millisecond))
	testutil.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		if !strings.Contains(pAt.Output(), fmt.Sprintf("the database is as of index %d", at)) {
			return fmt.Errorf("akutan local --to-index has not printed that the database is as of index %d", at)
		}
		return nil
	})
	gotAt := pitrAnswers(t, mid)
	if wantFacts := "?s\t?o\n<http://t/pitr/b>\t\"B\"\n<http://t/pitr/c>\t\"C\"\n<http://t/pitr/d>\t\"D\"\n"; gotAt["facts"] != wantFacts {
		t.Errorf("restored to %d: facts %q, want %q", at, gotAt["facts"], wantFacts)
	}
	if gotAt["name"] != want["name"] || gotAt["lubm1"] != want["lubm1"] {
		t.Errorf("restored to %d: name %q, lubm1 %q; want %q, %q", at, gotAt["name"], gotAt["lubm1"], want["name"], want["lubm1"])
	}
	gotAtDigests, _ := rangeDigests(t, mid, at)
	if sortedKeys(gotAtDigests) != sortedKeys(wantAt) {
		t.Errorf("digests restored to %d:\n%s\nthe original's at %d:\n%s", at, sortedKeys(gotAtDigests), at, sortedKeys(wantAt))
	}
	// Writable: new writes continue after the index.
	if next := lastIndexOf(t, akutan(t, "sparql-update", "--api", mid, "-e", `INSERT DATA { <http://t/pitr/f> <http://t/pitr/p> "F" }`)); next != at+1 {
		t.Errorf("the first write after restoring to %d got index %d", at, next)
	}
	// The old archive is another history from at+1 on: archiving the
	// restored log into it is refused, before and once the restored log
	// is as long.
	midLogs := logAddrsOf(t, pAt)
	for i := 0; ; i++ {
		_, errOut, err := harness.Run(t, bin, "ctl", "log", "archive", "--log", midLogs, "--to", archive)
		if err == nil || !strings.Contains(errOut, "another history") {
			t.Fatalf("archiving the restored log into the original's archive: %v %q; want a refusal", err, errOut)
		}
		if i == 3 {
			break
		}
		akutan(t, "sparql-update", "--api", mid, "-e", fmt.Sprintf(`INSERT DATA { <http://t/pitr/g> <http://t/pitr/p> %d }`, i))
	}
	// A restart (after kill -9) finds the replay done and keeps the writes
	// made since;
	// another --to-index on the same directory is refused.
	before := pitrAnswers(t, mid)["facts"]
	pAt.Kill()
	pAt.Restart(t)
	harness.WaitTCP(t, mid, 60*time.Second)
	waitForQuery(t, mid)
	if after := pitrAnswers(t, mid)["facts"]; after != before || !strings.Contains(after, `"F"`) {
		t.Errorf("after a restart the database restored to %d holds %q, before it %q", at, after, before)
	}
	pAt.Kill()
	_, errOut, err := harness.Run(t, bin, "local", "--dir", atDir, "--restore-from", bk, "--log-archive", archive,
		"--to-index", fmt.Sprint(at-1), "--api-addr", harness.FreeAddr(t), "--http-addr", "127.0.0.1:0")
	if err == nil || !strings.Contains(errOut, fmt.Sprintf("is restored to index %d", at)) {
		t.Fatalf("restarting with another --to-index: %v %q; want a refusal", err, errOut)
	}
}

// TestReplayIntoSeparateLog restores a separate-process deployment to a
// point in time: a new log started after the backup's index (`akutan log
// --restore-from`), `akutan ctl log replay` of the archived entries after
// it up to --to-index, views seeded from the backup, then the API server;
// it answers as of that index. A damaged archive is refused by the
// replay and by `akutan local --log-archive`, naming the file.
func TestReplayIntoSeparateLog(t *testing.T) {
	harness.SkipIfShort(t)
	p, api, _ := startLocal(t, filepath.Join(t.TempDir(), "data"))
	logs := logAddrsOf(t, p)
	akutan(t, "insert", "--api", api, testdata("example_data.tsv"))
	bk := filepath.Join(t.TempDir(), "bk")
	akutan(t, "ctl", "backup", "--api", api, "--to", bk)
	var indexes []uint64
	for i := range 4 {
		out := akutan(t, "sparql-update", "--api", api, "-e", fmt.Sprintf(`INSERT DATA { <http://t/r/s> <http://t/r/p> %d }`, i))
		indexes = append(indexes, lastIndexOf(t, out))
	}
	archive := filepath.Join(t.TempDir(), "archive")
	akutan(t, "ctl", "log", "archive", "--log", logs, "--to", archive, "--segment-entries", "3")
	at := indexes[2]
	const ask = "SELECT ?o WHERE { <http://t/r/s> <http://t/r/p> ?o } ORDER BY ?o"

	dir := t.TempDir()
	addrs := harness.FreeAddrs(t, 2*2+3)
	viewGRPC, viewGossip := addrs[0:2], addrs[2:4]
	apiAddr, apiGossip, apiHTTP := addrs[4], addrs[5], addrs[6]
	logList := startRestoredLog(t, dir, bk)
	var out string
	testutil.Eventually(t, 60*time.Second, 250*time.Millisecond, func() error {
		var errOut string
		var err error
		out, errOut, err = harness.Run(t, bin, "ctl", "log", "replay", "--log", logList, "--restore-from", bk,
			"--log-archive", archive, "--to-index", fmt.Sprint(at))
		if err != nil {
			return fmt.Errorf("%v: %s", err, errOut)
		}
		return nil
	})
	if !strings.Contains(out, fmt.Sprintf("the log is as of index %d", at)) {
		t.Fatalf("ctl log replay printed %q", out)
	}
	for i, space := range []string{"hashsp", "hashpo"} {
		harness.Start(t, bin, "view-"+space, "view", "--space", space, "--partition", "1/1",
			"--dir", filepath.Join(dir, "view-"+space), "--grpc-addr", viewGRPC[i], "--log", logList, "--restore-from", bk,
			"--gossip-addr", viewGossip[i], "--gossip-join", apiGossip)
	}
	harness.Start(t, bin, "api", "api", "--grpc-addr", apiAddr, "--http-addr", apiHTTP, "--log", logList,
		"--gossip-addr", apiGossip, "--gossip-join", strings.Join(viewGossip, ","))
	harness.WaitTCP(t, apiAddr, 60*time.Second)
	waitForQuery(t, apiAddr)
	if got, want := akutan(t, "sparql", "--api", apiAddr, "--format", "tsv", "-e", ask), "?o\n0\n1\n2\n"; got != want {
		t.Fatalf("restored to %d: %q, want %q", at, got, want)
	}
	if got := queryTSV(t, apiAddr, "fp_01.bql"); got != fp01Want {
		t.Fatalf("restored fp_01 = %q, want %q", got, fp01Want)
	}

	// A damaged segment: refused before anything is created, naming it.
	segs, err := logarchive.List(archive)
	if err != nil || len(segs) < 2 {
		t.Fatalf("the archive holds %v, %v", segs, err)
	}
	victim := segs[len(segs)-1].Path
	b, err := os.ReadFile(victim)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(victim, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"local", "--dir", filepath.Join(t.TempDir(), "d"), "--restore-from", bk, "--log-archive", archive,
			"--api-addr", harness.FreeAddr(t), "--http-addr", "127.0.0.1:0"},
		{"ctl", "log", "replay", "--log", logList, "--restore-from", bk, "--log-archive", archive},
	} {
		out, errOut, err := harness.Run(t, bin, args...)
		if err == nil || !strings.Contains(out+errOut, filepath.Base(victim)) {
			t.Fatalf("akutan %s over a damaged archive: %v, %q; want a refusal naming %s", args[0], err, out+errOut, filepath.Base(victim))
		}
	}
}

// undecidedAt finds, in the archive, the first update transaction that
// was committed by a decision entry (not automatically), and returns its
// index, its decision's index and the marker it wrote; ok is false if
// there is none.
func undecidedAt(t *testing.T, archive string) (tx, decision uint64, marker string, ok bool) {
	t.Helper()
	segs, err := logarchive.List(archive)
	if err != nil {
		t.Fatal(err)
	}
	markers := map[uint64]string{}
	for _, seg := range segs {
		err := logarchive.ReadSegment(seg, func(index uint64, data []byte) error {
			if d, ok := logentry.DecisionOf(index, data); ok {
				if m, ok := markers[d.Tx]; ok && d.Commit && tx == 0 {
					tx, decision, marker = d.Tx, index, m
				}
				delete(markers, d.Tx)
				return nil
			}
			e, err := logentry.Decode(data)
			if err != nil || e.GetUpdate() == nil {
				return nil
			}
			u, err := logentry.UpdateFacts(index, e.GetUpdate())
			if err != nil || u.AutoCommits() {
				return nil
			}
			for _, f := range u.Inserts {
				if f.Object.Kind == storage.KindString && strings.HasPrefix(f.Object.Str, "w") {
					markers[index] = f.Object.Str
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return tx, decision, marker, tx != 0
}

// TestRestoreToIndexAbortsUndecided restores to an index at which a
// transaction that the original committed later was still undecided: the
// restored database answers without it once its API server's transaction
// timer aborted it (the abort lands after the index), while the original
// has it.
func TestRestoreToIndexAbortsUndecided(t *testing.T) {
	harness.SkipIfShort(t)
	p, api, httpAddr := startLocal(t, filepath.Join(t.TempDir(), "orig"))
	logs := logAddrsOf(t, p)
	akutan(t, "sparql-update", "--api", api, "-e", `INSERT DATA { <http://t/c> <http://t/holder> "start" }`)
	bk := filepath.Join(t.TempDir(), "bk")
	akutan(t, "ctl", "backup", "--api", api, "--to", bk)
	// An update commits by a decision entry only when other entries came
	// between its read index and its own; on a slow machine 40 contended
	// updates may all land back to back, so write more until one did.
	archive := filepath.Join(t.TempDir(), "archive")
	var tx, decision uint64
	var marker string
	for round := 1; ; round++ {
		// Each round's markers are its own: a marker a writer repeated in
		// a later round would already exist, committed before the index
		// the test restores to, and answer the query there.
		writes := startContendedWrites("http://"+httpAddr+"/sparql", 8, fmt.Sprintf("r%d.", round))
		testutil.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
			if n := writes.count(); n < 40 {
				return fmt.Errorf("%d updates acknowledged", n)
			}
			return nil
		})
		writes.stop()
		akutan(t, "ctl", "log", "archive", "--log", logs, "--to", archive)
		var ok bool
		if tx, decision, marker, ok = undecidedAt(t, archive); ok {
			break
		}
		if round == 5 {
			t.Fatal("no transaction committed by a decision entry after 5 rounds of contended updates")
		}
		t.Logf("round %d: every update committed automatically; writing more", round)
	}
	ask := fmt.Sprintf(`SELECT ?w WHERE { ?w <http://t/wrote> %q }`, marker)
	if got := akutan(t, "sparql", "--api", api, "--format", "tsv", "-e", ask); strings.Count(got, "\n") != 2 {
		t.Fatalf("the original answers %q for the marker of transaction %d (committed at %d)", got, tx, decision)
	}

	at := decision - 1
	addrs := harness.FreeAddrs(t, 2)
	restored := harness.Start(t, bin, "at", "local", "--dir", filepath.Join(t.TempDir(), "at"), "--restore-from", bk,
		"--log-archive", archive, "--to-index", fmt.Sprint(at), "--tx-timeout", "1s", "--api-addr", addrs[0], "--http-addr", addrs[1])
	harness.WaitTCP(t, addrs[0], 60*time.Second)
	waitForQuery(t, addrs[0])
	if got := akutan(t, "sparql", "--api", addrs[0], "--format", "tsv", "--timeout", "30s", "-e", ask); got != "?w\n" {
		t.Fatalf("restored to %d (transaction %d undecided there): %q; want no answer", at, tx, got)
	}
	// The abort is in the restored log, after the index.
	lc, err := logclient.New(strings.Split(logAddrsOf(t, restored), ","))
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var abortedAt uint64
	errFound := fmt.Errorf("found")
	err = lc.Read(ctx, at+1, func(index uint64, data []byte) error {
		if d, ok := logentry.DecisionOf(index, data); ok && d.Tx == tx {
			if d.Commit {
				return fmt.Errorf("transaction %d committed at %d in the restored log", tx, index)
			}
			abortedAt = index
			return errFound
		}
		return nil
	})
	if err != errFound {
		t.Fatalf("looking for the abort of transaction %d after %d: %v", tx, at, err)
	}
	t.Logf("transaction %d (committed at %d in the original) aborted at %d in the database restored to %d", tx, decision, abortedAt, at)
}

// TestReplayVersionChange restores a database whose log switched format
// version after the backup: the archived version change is replayed
// through the log's version-change path at its index, and the entries
// after it that need the new version (an annotated literal) are accepted
// and read back exactly.
func TestReplayVersionChange(t *testing.T) {
	harness.SkipIfShort(t)
	c := startCluster(t, "--http-addr", harness.FreeAddr(t)) // a new separate log starts in version 1
	logs := strings.Join(c.logAddrs, ",")
	akutan(t, "insert", "--api", c.apiAddr, testdata("example_data.tsv"))
	bk := filepath.Join(t.TempDir(), "bk")
	akutan(t, "ctl", "backup", "--api", c.apiAddr, "--log", logs, "--to", bk) // these log replicas do not gossip
	akutan(t, "ctl", "log", "upgrade", "--to", "3", "--log", logs)
	akutan(t, "sparql-update", "--api", c.apiAddr, "-e",
		`INSERT DATA { <http://t/v/s> <http://t/v/p> "01"^^<http://www.w3.org/2001/XMLSchema#integer> }`)
	archive := filepath.Join(t.TempDir(), "archive")
	akutan(t, "ctl", "log", "archive", "--log", logs, "--to", archive)
	const ask = "SELECT ?o WHERE { <http://t/v/s> <http://t/v/p> ?o }"
	want := akutan(t, "sparql", "--api", c.apiAddr, "--format", "tsv", "-e", ask)
	if want != "?o\n01\n" { // the lexical form kept: an annotation, valid from version 3

		t.Fatalf("the original answers %q", want)
	}

	p, api, _ := startRestored(t, "restored", bk, archive)
	testutil.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		if !strings.Contains(p.Output(), "1 format changes") {
			return fmt.Errorf("akutan local has not printed a replayed format change")
		}
		return nil
	})
	if got := akutan(t, "sparql", "--api", api, "--format", "tsv", "-e", ask); got != want {
		t.Fatalf("restored: %q, want %q", got, want)
	}
	if got := queryTSV(t, api, "fp_01.bql"); got != fp01Want {
		t.Fatalf("restored fp_01 = %q, want %q", got, fp01Want)
	}
}
