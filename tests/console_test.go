package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
)

// The web console's browser tests (roles/apiserver/console) drive it in
// headless Chromium. Set AKUTAN_UPDATE_SCREENSHOTS=1 to also write the
// screenshots shown in the README to docs/console/.

// needChromium returns the path of Chromium: without it the test skips,
// unless CI is set, where .ci/run installs it.
func needChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("chromium is missing, and CI is set: .ci/run installs it (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium): skipping the web console's browser test")
	return ""
}

// browser is one headless Chromium tab.
type browser struct {
	t   *testing.T
	ctx context.Context
	dir string // where screenshots go

	mu     sync.Mutex
	errors []string // uncaught exceptions and console errors
}

func newBrowser(t *testing.T, chrome string) *browser {
	t.Helper()
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(chrome), chromedp.WindowSize(1400, 900),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to sandbox as root
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: ctx, dir: t.ArtifactDir()}
	t.Logf("console screenshots go to %s (kept with go test -artifacts)", b.dir)
	if err := chromedp.Do(ctx); err != nil { // start the browser, with no timeout
		cancel()
		cancelAlloc()
		t.Fatalf("starting chromium: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				b.mu.Lock()
				b.errors = append(b.errors, fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line))
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		<-done
	})
	return b
}

// do runs actions with a timeout.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v%s", what, err, b.pageErrors())
	}
}

// eval evaluates a JavaScript expression into out.
func (b *browser) eval(expr string, out any, opts ...chromedp.EvaluateOption) error {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, opts...))
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

// waitTrue waits until a JavaScript expression is true.
func (b *browser) waitTrue(what string, timeout time.Duration, expr string) {
	b.t.Helper()
	testutil.Eventually(b.t, timeout, 100*time.Millisecond, func() error {
		var ok bool
		if err := b.eval(expr, &ok); err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("waiting for %s: %s is not true yet%s", what, expr, b.pageErrors())
		}
		return nil
	})
}

func (b *browser) pageErrors() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errors) == 0 {
		return ""
	}
	return "\npage errors:\n" + strings.Join(b.errors, "\n")
}

// screenshot saves the viewport (or with full the whole page) as name under the test's artifact
// directory, and under docs/console/ with AKUTAN_UPDATE_SCREENSHOTS=1.
func (b *browser) screenshot(name string, full bool) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	shot := chromedp.CaptureScreenshot()
	if full {
		shot = chromedp.FullScreenshot(100) // 100: PNG
	}
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(b.dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", path)
	if os.Getenv("AKUTAN_UPDATE_SCREENSHOTS") == "1" {
		docs := filepath.Join("..", "docs", "console", name)
		if err := os.WriteFile(docs, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("updated %s", docs)
	}
}

// setQuery puts a query in the console's editor, as typing would.
func (b *browser) setQuery(lang, text, asOf string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => {
		const lang = document.getElementById('lang'); lang.value = %q; lang.dispatchEvent(new Event('change'));
		const text = document.getElementById('text'); text.value = %q; text.dispatchEvent(new Event('input'));
		document.getElementById('asof').value = %q;
		document.getElementById('results').replaceChildren();
		return true; })()`, lang, text, asOf)
	var ok bool
	if err := b.eval(js, &ok); err != nil {
		b.t.Fatalf("setting the query: %v", err)
	}
}

// resultRows waits for the results table and returns its cells (without
// the row numbers) and the status line.
func (b *browser) resultRows() ([][]string, string) {
	b.t.Helper()
	b.waitTrue("the results", 30*time.Second,
		`document.querySelector('#results table.results') !== null || document.querySelector('#results pre.error') !== null`)
	var out struct {
		Error  string
		Status string
		Rows   [][]string
	}
	err := b.eval(`({
		error: document.querySelector('#results pre.error')?.textContent ?? '',
		status: document.getElementById('query-status').textContent,
		rows: [...document.querySelectorAll('#results table.results tbody tr')].map(tr =>
			[...tr.querySelectorAll('td')].slice(1).map(td => td.textContent)),
	})`, &out)
	if err != nil {
		b.t.Fatal(err)
	}
	if out.Error != "" {
		b.t.Fatalf("the query failed in the console: %s", out.Error)
	}
	return out.Rows, out.Status
}

func sortedRows(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(r, "\t")
	}
	slices.Sort(out)
	return out
}

// TestConsole opens the web console of `akutan local` loaded with the
// example data in headless Chromium: a SPARQL query (and the same as of
// an index before the data), an Akutan-language query run with Ctrl-Enter,
// its plan, loading a gzipped N-Triples file, a CONSTRUCT, and the cluster
// page, with a screenshot of the query, plan and cluster pages.
func TestConsole(t *testing.T) {
	harness.SkipIfShort(t)
	chrome := needChromium(t)
	_, api, httpAddr := startLocal(t, filepath.Join(t.TempDir(), "data"))
	out := akutan(t, "insert", "--api", api, testdata("example_data.tsv"))
	t.Logf("%s", strings.TrimSpace(out))
	b := newBrowser(t, chrome)
	b.do("opening the console", chromedp.Navigate("http://"+httpAddr+"/"), chromedp.WaitVisible("#text"))
	b.waitTrue("the page's modules", 10*time.Second, `document.body.dataset.ready === 'true'`)

	// SPARQL, run with the Run button.
	const sparql = "SELECT ?person ?place ?state WHERE {\n  ?person <born> ?place .\n  ?place <locatedIn> ?state\n}\nORDER BY ?person\n"
	b.setQuery("sparql", sparql, "")
	b.do("running SPARQL", chromedp.Click("#run"))
	rows, status := b.resultRows()
	want := [][]string{
		{"<John_Scalzi>", "<Fairfield>", "<California>"},
		{"<Neal_Stephenson>", "<Forte_Meade>", "<Maryland>"},
		{"<William_Gibson>", "<Conway>", "<South_Carolina>"},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("SPARQL rows in the console: %q, want %q", rows, want)
	}
	if !strings.Contains(status, "3 rows") || !strings.Contains(status, "read at log index") {
		t.Errorf("SPARQL status line %q: want the row count and the log index", status)
	}
	b.screenshot("query.png", false)

	// The same as of log index 1, before the insert: no rows.
	b.setQuery("sparql", sparql, "1")
	b.do("running SPARQL as of index 1", chromedp.Click("#run"))
	if rows, status := b.resultRows(); len(rows) != 0 || !strings.Contains(status, "read at log index 1") {
		t.Errorf("SPARQL as of index 1: rows %q, status %q; want none, read at index 1", rows, status)
	}

	// A large answer comes in LIMIT/OFFSET blocks (here of 10 rows), the
	// next read at the same log index.
	if err := b.eval(`(localStorage.setItem('akutan.blockRows', '10'), true)`, new(bool)); err != nil {
		t.Fatal(err)
	}
	b.setQuery("sparql", "SELECT ?s ?p ?o WHERE { ?s ?p ?o }", "")
	b.do("running SPARQL in blocks", chromedp.Click("#run"))
	rows, status = b.resultRows()
	if len(rows) != 10 || !strings.Contains(status, "rows 1–10 of more") {
		t.Errorf("first block: %d rows, status %q; want 10 rows of more", len(rows), status)
	}
	b.do("reading the next block", chromedp.Click("#next-block"))
	b.waitTrue("the second block", 30*time.Second, `document.querySelector('#results td.rownum')?.textContent === '11'`)
	if rows, status := b.resultRows(); len(rows) != 10 || !strings.Contains(status, "rows 11–20") || !strings.Contains(status, "read at log index 2") {
		t.Errorf("second block: %d rows, status %q; want rows 11–20 read at index 2", len(rows), status)
	}
	if err := b.eval(`(localStorage.removeItem('akutan.blockRows'), true)`, new(bool)); err != nil {
		t.Fatal(err)
	}

	// The Akutan language, run with Ctrl-Enter.
	akutanQuery, err := os.ReadFile(testdata("opt_01.bql"))
	if err != nil {
		t.Fatal(err)
	}
	b.setQuery("akutan", string(akutanQuery), "")
	b.do("running the Akutan query with Ctrl-Enter", chromedp.Focus("#text"),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	rows, _ = b.resultRows()
	wantAkutan := []string{
		"<John_Scalzi>\t<Fairfield>\t<Bradford>",
		"<Neal_Stephenson>\t<Forte_Meade>\t",
		"<William_Gibson>\t<Conway>\t",
	}
	if got := sortedRows(rows); !slices.Equal(got, wantAkutan) {
		t.Errorf("Akutan-language rows in the console: %q, want %q", got, wantAkutan)
	}
	var history int
	if err := b.eval(`document.querySelectorAll('#history li').length`, &history); err != nil || history != 3 {
		t.Errorf("history lists %d queries (%v), want the 3 different ones", history, err)
	}

	// Its plan: a tree of operators with estimated and actual rows.
	b.do("explaining", chromedp.Click("#explain"))
	b.waitTrue("the plan", 30*time.Second, `document.querySelectorAll('#plan-out .plan-node').length >= 4`)
	var plan struct {
		Ops    []string
		Est    int
		Actual int
		Nested int
	}
	err = b.eval(`({
		ops: [...document.querySelectorAll('#plan-out .plan-node .op')].map(e => e.textContent),
		est: document.querySelectorAll('#plan-out .stat.est').length,
		actual: document.querySelectorAll('#plan-out .stat.rows').length,
		nested: document.querySelectorAll('#plan-out .plan-node .plan-node').length,
	})`, &plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Ops) < 4 || plan.Ops[0] != "LeftHashJoin" || plan.Est < 4 || plan.Actual < 4 || plan.Nested < 3 {
		t.Errorf("plan view: %+v; want a tree of 4 operators under LeftHashJoin (the optional), with estimated and actual rows", plan)
	}
	b.screenshot("plan.png", false)

	// Load: a gzipped N-Triples file, uploaded with progress; then a
	// CONSTRUCT using a remembered prefix shows the new facts as triples,
	// their IRIs shortened by it.
	b.do("opening the load page", chromedp.Click(`#tabs button[data-tab="load"]`))
	var ok bool
	err = b.eval(`(async () => {
		const ex = 'http://example.org/';
		const nt = '<' + ex + 'Ann_Leckie> <' + ex + 'born> <' + ex + 'Toledo> .\n<' + ex + 'Toledo> <' + ex + 'locatedIn> <' + ex + 'Ohio> .\n';
		const gz = await new Response(new Blob([nt]).stream().pipeThrough(new CompressionStream('gzip'))).blob();
		const dt = new DataTransfer();
		dt.items.add(new File([gz], 'leckie.nt.gz'));
		document.getElementById('load-file').files = dt.files;
		return true; })()`, &ok, chromedp.EvalAwaitPromise)
	if err != nil {
		t.Fatalf("choosing a file to load: %v", err)
	}
	b.do("uploading", chromedp.Click("#load-run"))
	b.waitTrue("the upload", 30*time.Second, `/inserted|:/.test(document.getElementById('load-status').textContent) &&
		!document.getElementById('load-status').classList.contains('busy')`)
	var loaded struct {
		Status   string
		Progress float64
	}
	if err := b.eval(`({status: document.getElementById('load-status').textContent, progress: document.getElementById('load-progress').value})`, &loaded); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(loaded.Status, "inserted 2 facts") || loaded.Progress != 1 {
		t.Errorf("load page: status %q, progress %v; want 2 facts inserted, the bar full", loaded.Status, loaded.Progress)
	}
	b.do("back to the query page", chromedp.Click(`#tabs button[data-tab="query"]`))
	err = b.eval(`(() => { const p = document.getElementById('prefixes');
		p.value += '\nPREFIX ex: <http://example.org/>'; p.dispatchEvent(new Event('change')); return true; })()`, &ok)
	if err != nil {
		t.Fatal(err)
	}
	b.setQuery("sparql", "CONSTRUCT { ?p ex:bornIn ?c } WHERE { ?p ex:born ?place . ?place ex:locatedIn ?c }", "")
	b.do("running a CONSTRUCT", chromedp.Click("#run"))
	rows, status = b.resultRows()
	if want := [][]string{{"ex:Ann_Leckie", "ex:bornIn", "ex:Ohio"}}; !slices.EqualFunc(rows, want, slices.Equal) || !strings.Contains(status, "1 triple") {
		t.Errorf("CONSTRUCT in the console: %q, status %q; want %q", rows, status, want)
	}

	// A SPARQL query's plan: the algebra, its patterns with estimates.
	b.setQuery("sparql", sparql, "")
	b.do("explaining SPARQL", chromedp.Click("#explain"))
	b.waitTrue("the SPARQL plan", 30*time.Second, `[...document.querySelectorAll('#plan-out .plan-node .op')].some(e => e.textContent === 'bgp') &&
		document.querySelectorAll('#plan-out .stat.est').length >= 2`)
	b.screenshot("plan-sparql.png", false)

	// The cluster: 8 views, 3 log replicas, the verdict.
	b.do("opening the cluster page", chromedp.Click(`#tabs button[data-tab="cluster"]`))
	b.waitTrue("8 up-to-date views and 3 log replicas", 60*time.Second, `
		document.querySelectorAll('#cluster-out table.views tbody tr[data-status="up-to-date"]').length === 8 &&
		document.querySelectorAll('#cluster-out table.log-replicas tbody tr').length === 3 &&
		document.querySelectorAll('#cluster-out .bar .seg').length >= 4 &&
		document.querySelector('#verdict') !== null`)
	var verdict string
	if err := b.eval(`document.querySelector('#verdict').dataset.verdict`, &verdict); err != nil || verdict == "" {
		t.Errorf("cluster page shows no verdict (%v)", err)
	}
	b.screenshot("cluster.png", true)
	if errs := b.pageErrors(); errs != "" {
		t.Errorf("the console reported errors:%s", errs)
	}
}

// TestConsoleShowsUncoveredRange kills -9 both views of one range in a
// multi-process cluster: the cluster page, left open, shows the range as
// uncovered within 10 s, without a reload.
func TestConsoleShowsUncoveredRange(t *testing.T) {
	harness.SkipIfShort(t)
	chrome := needChromium(t)
	c := startStatusCluster(t)
	waitViewsUpToDate(t, c.apiAddr, 6)
	b := newBrowser(t, chrome)
	b.do("opening the cluster page", chromedp.Navigate("http://"+c.apiHTTP+"/#cluster"))
	seg := fmt.Sprintf(`document.querySelector('#cluster-out .seg[data-space="hashpo"][data-range=%q]')`, lowerHalf)
	b.waitTrue("hashpo's lower half covered twice", 30*time.Second, seg+`?.dataset.upToDate === '2'`)
	if err := b.eval(`(window.notReloaded = true)`, new(bool)); err != nil {
		t.Fatal(err)
	}

	killed := time.Now()
	c.views["hashpo-1-r1"].Kill()
	c.views["hashpo-1-r2"].Kill()
	b.waitTrue("hashpo's lower half uncovered", 10*time.Second,
		seg+`?.classList.contains('uncovered') && window.notReloaded === true`)
	t.Logf("the console showed the range uncovered %v after kill -9", time.Since(killed).Round(10*time.Millisecond))
	var verdict string
	if err := b.eval(`document.querySelector('#verdict').dataset.verdict`, &verdict); err != nil || verdict != "unavailable" {
		t.Errorf("verdict %q (%v), want unavailable", verdict, err)
	}
	b.screenshot("cluster-uncovered.png", true)
}

// TestConsoleToken opens the console of `akutan local --tokens`: the page
// itself needs no token, a query without one is refused (the error shown),
// and with a read token typed in the token box queries and the cluster
// page work, also after a reload (the browser keeps the token).
func TestConsoleToken(t *testing.T) {
	harness.SkipIfShort(t)
	chrome := needChromium(t)
	lines := strings.Split(strings.TrimSpace(akutan(t, "ctl", "token", "--role", "read", "--name", "console")), "\n")
	if len(lines) != 2 {
		t.Fatalf("ctl token printed %q", lines)
	}
	tokens := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokens, []byte(lines[1]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addrs := harness.FreeAddrs(t, 2)
	harness.Start(t, bin, "local", "local", "--dir", filepath.Join(t.TempDir(), "data"),
		"--api-addr", addrs[0], "--http-addr", addrs[1], "--tokens", tokens)
	harness.WaitTCP(t, addrs[1], 60*time.Second)

	b := newBrowser(t, chrome)
	b.do("opening the console", chromedp.Navigate("http://"+addrs[1]+"/"), chromedp.WaitVisible("#text"))
	b.waitTrue("the page's modules", 10*time.Second, `document.body.dataset.ready === 'true'`)
	b.setQuery("sparql", "SELECT * WHERE { ?s ?p ?o } LIMIT 5", "")
	b.do("running SPARQL without a token", chromedp.Click("#run"))
	b.waitTrue("the refusal", 30*time.Second, `/401/.test(document.querySelector('#results pre.error')?.textContent ?? '')`)

	b.do("typing the token", chromedp.SendKeys("#token", lines[0]), chromedp.Click("#text"))
	b.setQuery("sparql", "SELECT * WHERE { ?s ?p ?o } LIMIT 5", "")
	testutil.Eventually(t, 60*time.Second, 500*time.Millisecond, func() error { // the cluster may still be starting
		b.do("running SPARQL with the token", chromedp.Click("#run"))
		b.waitTrue("an answer", 30*time.Second, `!document.getElementById('query-status').classList.contains('busy')`)
		var status string
		if err := b.eval(`document.getElementById('query-status').textContent`, &status); err != nil {
			return err
		}
		if !strings.Contains(status, "0 rows") {
			return fmt.Errorf("with the token: %q", status)
		}
		return nil
	})
	b.do("reloading the cluster page", chromedp.Navigate("http://"+addrs[1]+"/#cluster"), chromedp.Reload())
	b.waitTrue("8 views", 60*time.Second, `document.querySelectorAll('#cluster-out table.views tbody tr').length === 8`)
}
