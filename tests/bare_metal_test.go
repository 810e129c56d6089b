package tests

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/tests/harness"
)

// docBlock is one ```sh block of a doc; perMachine blocks (they set N=1)
// run once per machine.
type docBlock struct {
	line       int
	text       string
	perMachine bool
}

// perMachineLine marks a block run on each machine: it sets N, the
// machine's datacenter number.
var perMachineLine = regexp.MustCompile(`(?m)^N=1\b.*$`)

// shellBlocks returns the ```sh blocks of a markdown file, in order. Any
// other fenced block that looks like shell commands is refused, so that no
// command of the doc escapes the test.
func shellBlocks(t *testing.T, path string) []docBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []docBlock
	var cur *docBlock
	var body []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		fence := strings.HasPrefix(line, "```")
		switch {
		case cur == nil && fence:
			switch lang := strings.TrimSpace(strings.TrimPrefix(line, "```")); lang {
			case "sh":
				cur, body = &docBlock{line: n}, nil
			case "bash", "shell", "console", "":
				t.Fatalf("%s:%d: a ```%s block: commands go in ```sh blocks, which the test runs", path, n, lang)
			default:
				cur, body = &docBlock{line: -1}, nil // toml, text: not run
			}
		case cur != nil && fence:
			if cur.line > 0 {
				cur.text = strings.Join(body, "\n") + "\n"
				cur.perMachine = perMachineLine.MatchString(cur.text)
				blocks = append(blocks, *cur)
			}
			cur = nil
		case cur != nil:
			body = append(body, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

// docScript is the doc's blocks as one bash script: each per-machine
// block repeated with N=1, 2 and 3, each block announced on stderr.
func docScript(blocks []docBlock) string {
	var b strings.Builder
	for _, bl := range blocks {
		runs := []string{""}
		if bl.perMachine {
			runs = []string{"1", "2", "3"}
		}
		for _, n := range runs {
			text := bl.text
			where := "once"
			if n != "" {
				text = perMachineLine.ReplaceAllString(text, "N="+n)
				where = "machine " + n
			}
			fmt.Fprintf(&b, "echo '=== docs/bare-metal.md:%d (%s)' >&2\n%s", bl.line, where, text)
		}
	}
	return b.String()
}

// bareMetalPrelude stands in for the commands of the doc that need root
// or other machines; systemctl is tests/baremetal/systemctl on the PATH.
const bareMetalPrelude = `set -euo pipefail
set -x
useradd() { :; }
chown() { :; }
ufw() { :; }
rsync() { :; }
# install as root: -o and -g set the owner, which the test cannot.
install() {
  local args=()
  while (($#)); do
    case $1 in -o|-g) shift 2 ;; *) args+=("$1"); shift ;; esac
  done
  command install "${args[@]}"
}
journalctl() {
  local unit=""
  while (($#)); do
    case $1 in -u) unit=$2; shift 2 ;; *) shift ;; esac
  done
  tail -n 20 "$FAKE_SYSTEMD_ROOT/run/systemd/${unit%.service}.service.log"
}
`

// bareMetalPaths are the absolute paths of the doc that move under the
// test's root.
var bareMetalPaths = regexp.MustCompile(`/etc/akutan|/etc/systemd/system|/var/lib/akutan|/usr/local/bin`)

// bareMetalRewrite moves the doc's machines 10.0.N.1 onto loopback
// 127.0.N.1 (every 127/8 address is local on Linux, so the doc's ports
// stay) and its system paths under root.
func bareMetalRewrite(root, text string) string {
	text = strings.NewReplacer(`10.0.`, `127.0.`, `10\.0\.`, `127\.0\.`).Replace(text)
	return bareMetalPaths.ReplaceAllStringFunc(text, func(p string) string { return filepath.Join(root, p) })
}

// TestBareMetalDoc runs every command of docs/bare-metal.md, in order, on
// loopback: it installs the units and example configs of deploy/ under a
// temporary root (paths and addresses rewritten as the doc says), stands
// in for systemctl and the commands that need root, and runs the doc's
// blocks as one bash script, which fails at the first command that does.
// The doc's own checks (status --wait healthy after the first start,
// after adding a view and after each restart of the rolling restart; the
// query finding the fact written) are what it verifies.
func TestBareMetalDoc(t *testing.T) {
	harness.SkipIfShort(t)
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	repo, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	src := filepath.Join(root, "src")
	fake := filepath.Join(root, "fakebin")
	for _, d := range []string{"etc/systemd/system", "usr/local/bin", "home", "run/systemd"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The checkout the doc runs in: the binary and deploy/, rewritten.
	for _, sub := range []string{"deploy/config", "deploy/systemd"} {
		files, err := filepath.Glob(filepath.Join(repo, sub, "*"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(src, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(src, sub, filepath.Base(f)), []byte(bareMetalRewrite(root, string(data))), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "akutan"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(fake, "systemctl"), "./tests/baremetal/systemctl")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the systemctl stand-in: %v\n%s", err, out)
	}
	// Whatever the stand-in started is stopped when the test ends.
	t.Cleanup(func() { killServices(t, filepath.Join(root, "run", "systemd")) })

	blocks := shellBlocks(t, filepath.Join(repo, "docs", "bare-metal.md"))
	if len(blocks) < 5 {
		t.Fatalf("docs/bare-metal.md has %d sh blocks", len(blocks))
	}
	script := bareMetalPrelude + bareMetalRewrite(root, docScript(blocks))
	scriptPath := filepath.Join(root, "bare-metal.sh")
	if err := os.WriteFile(scriptPath, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", scriptPath)
	cmd.Dir = src
	cmd.Env = append(os.Environ(),
		"HOME="+filepath.Join(root, "home"),
		"PATH="+filepath.Join(root, "usr/local/bin")+":"+fake+":"+os.Getenv("PATH"),
		"FAKE_SYSTEMD_ROOT="+root)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docs/bare-metal.md (as %s) failed: %v\n%s", scriptPath, err, tailLines(string(out), 80))
	}
	// The query of the rolling restart's end found the fact.
	if !strings.Contains(string(out), "<Fairfield>") {
		t.Fatalf("the doc's query did not print <Fairfield>:\n%s", tailLines(string(out), 40))
	}
	t.Logf("ran %d blocks of docs/bare-metal.md:\n%s", len(blocks), tailLines(string(out), 60))
}

// killServices kills what the systemctl stand-in left running.
func killServices(t *testing.T, dir string) {
	pids, _ := filepath.Glob(filepath.Join(dir, "*.pid"))
	for _, p := range pids {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if t.Failed() {
		logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			t.Logf("%s:\n%s", filepath.Base(l), tailLines(string(b), 15))
		}
	}
}

// TestBareMetalDocBlocks checks, without running them, that every command
// of docs/bare-metal.md is in a ```sh block TestBareMetalDoc runs, and
// that the per-machine blocks are there.
func TestBareMetalDocBlocks(t *testing.T) {
	blocks := shellBlocks(t, filepath.Join("..", "docs", "bare-metal.md"))
	perMachine := 0
	for _, b := range blocks {
		if b.perMachine {
			perMachine++
		}
	}
	if len(blocks) < 5 || perMachine < 3 {
		t.Fatalf("%d sh blocks, %d per machine", len(blocks), perMachine)
	}
}
