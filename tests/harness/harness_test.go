package harness

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/internal/testutil"
)

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("RepoRoot %s: %v", root, err)
	}
	if _, err := os.Stat(filepath.Join(root, "tests", "harness")); err != nil {
		t.Fatalf("RepoRoot %s does not hold tests/harness: %v", root, err)
	}
}

func TestFreeAddrs(t *testing.T) {
	addrs := FreeAddrs(t, 20)
	seen := make(map[string]bool)
	for _, a := range append(addrs, FreeAddr(t)) {
		if seen[a] {
			t.Fatalf("address %s handed out twice", a)
		}
		seen[a] = true
	}
	l, err := net.Listen("tcp", addrs[0])
	if err != nil {
		t.Fatalf("FreeAddr gave an address that cannot be bound: %v", err)
	}
	defer l.Close()
	WaitTCP(t, addrs[0], 5*time.Second)
}

func TestProcessKillAndRestart(t *testing.T) {
	p := Start(t, "sleep", "sleeper", "30")
	if !p.Running() || p.Pid() <= 0 {
		t.Fatal("sleep is not running")
	}
	first := p.Pid()
	if err := p.Wait(100 * time.Millisecond); err == nil || !isTimeout(err) {
		t.Fatalf("Wait on a running process = %v, want a timeout", err)
	}
	p.Kill()
	if p.Running() {
		t.Fatal("still running after Kill")
	}
	if err := p.Wait(time.Second); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("Wait after Kill = %v, want a killed status", err)
	}
	p.Restart(t)
	if !p.Running() || p.Pid() == first {
		t.Fatal("Restart did not start a new process")
	}
	if err := p.Stop(); err == nil { // sleep dies of SIGINT
		t.Fatal("Stop of sleep: want a signal exit status")
	}
	if n := strings.Count(p.Output(), "=== harness: start"); n != 2 {
		t.Fatalf("log has %d start markers, want 2:\n%s", n, p.Output())
	}
}

func TestKillReachesChildren(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	p := Start(t, "sh", "parent", "-c", "sleep 30 & echo child $!; wait")
	var child int
	testutil.Eventually(t, 5*time.Second, 10*time.Millisecond, func() error {
		_, err := fmt.Sscanf(p.Output()[strings.LastIndex(p.Output(), "child "):], "child %d", &child)
		return err
	})
	p.Kill()
	testutil.Eventually(t, 5*time.Second, 10*time.Millisecond, func() error {
		// A killed orphan may linger as a zombie until init reaps it.
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err == nil && !strings.Contains(string(stat), ") Z ") {
			return fmt.Errorf("child %d still alive: %s", child, stat)
		}
		return nil
	})
}

func TestProcessOutput(t *testing.T) {
	p := Start(t, "sh", "echo/er", "-c", "echo out; echo err >&2")
	if err := p.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	out := p.Output()
	if !strings.Contains(out, "out\n") || !strings.Contains(out, "err\n") {
		t.Fatalf("Output = %q", out)
	}
	if filepath.Base(p.LogPath()) != "echo_er.log" {
		t.Errorf("log path %s", p.LogPath())
	}
}

func TestStartMissingBinary(t *testing.T) {
	p := &Process{bin: filepath.Join(t.TempDir(), "nope"), name: "nope",
		logPath: filepath.Join(t.TempDir(), "nope.log")}
	if err := p.start(); err == nil {
		t.Fatal("start of a missing binary succeeded")
	}
}

func TestRun(t *testing.T) {
	out, errOut, err := Run(t, "sh", "-c", "echo hi; echo warn >&2")
	if err != nil || out != "hi\n" || errOut != "warn\n" {
		t.Fatalf("Run = %q, %q, %v", out, errOut, err)
	}
	if _, _, err := RunContext(context.Background(), "sh", "-c", "exit 3"); err == nil ||
		!strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("Run of a failing command = %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, _, err := RunContext(ctx, "sleep", "30"); err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("RunContext past its deadline = %v after %v", err, time.Since(start))
	}
}
