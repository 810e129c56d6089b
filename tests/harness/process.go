package harness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Timings for stopping processes.
const (
	stopGrace = 10 * time.Second // SIGINT to SIGKILL
	tailLines = 20               // output lines logged when a test fails
)

// Process is a child process started by Start: typically an akutan server.
// Its stdout and stderr go to one log file, appended to across restarts.
// Its methods are safe for concurrent use.
type Process struct {
	bin     string
	name    string
	args    []string
	logPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{} // closed when cmd has exited
	err    error         // cmd's exit status, once done
	starts int
}

// Start runs bin with args as a process called name (used in logs and for
// the log file name), failing the test if it cannot be started. The process
// inherits the environment (use t.Setenv to change it). It is killed when
// the test ends, and if the test failed, the last lines of its output are
// logged.
func Start(t testing.TB, bin string, name string, args ...string) *Process {
	t.Helper()
	p := &Process{
		bin:     bin,
		name:    name,
		args:    append([]string(nil), args...),
		logPath: filepath.Join(t.TempDir(), fileName(name)+".log"),
	}
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("harness: last lines of %s (%s):\n%s", p.name, p.logPath, p.tail(tailLines))
		}
	})
	return p
}

// fileName makes name safe to use as a file name.
func fileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == os.PathSeparator || r < ' ' {
			return '_'
		}
		return r
	}, name)
	if name == "" || name == "." || name == ".." {
		name = "process"
	}
	return name
}

// start launches the process; p must not be running.
func (p *Process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	out, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("harness: open log of %s: %w", p.name, err)
	}
	p.starts++
	fmt.Fprintf(out, "=== harness: start #%d of %s: %s %s\n", p.starts, p.name, p.bin, strings.Join(p.args, " "))
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("harness: start %s (%s): %w", p.name, p.bin, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.err = cmd, done, nil
	go p.reap(cmd, out, done)
	return nil
}

// reap waits for cmd to exit and records its status.
func (p *Process) reap(cmd *exec.Cmd, out *os.File, done chan struct{}) {
	err := cmd.Wait()
	out.Close()
	p.mu.Lock()
	p.err = err
	p.mu.Unlock()
	close(done)
}

// current returns the running command and its done channel.
func (p *Process) current() (*exec.Cmd, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd, p.done
}

// Running reports whether the process has not exited yet.
func (p *Process) Running() bool {
	_, done := p.current()
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Pid returns the process ID of the current run.
func (p *Process) Pid() int {
	cmd, _ := p.current()
	return cmd.Process.Pid
}

// LogPath returns the file holding the process's output.
func (p *Process) LogPath() string { return p.logPath }

// Kill sends SIGKILL (like kill -9) to the process and anything it started,
// and waits for it to exit. It does nothing if the process has already
// exited.
func (p *Process) Kill() {
	cmd, done := p.current()
	select {
	case <-done:
		return
	default:
	}
	_ = signalGroup(cmd, sigKill)
	<-done
}

// Stop sends SIGINT (to the process group, as Ctrl-C would) and waits up to 10 s for the process to exit, then
// kills it. It returns the process's exit status (nil for a clean exit), or
// an error saying that it had to be killed.
func (p *Process) Stop() error {
	cmd, done := p.current()
	select {
	case <-done:
		return p.exitErr()
	default:
	}
	if err := signalGroup(cmd, sigInterrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("harness: interrupt %s: %w", p.name, err)
	}
	if err := p.Wait(stopGrace); err == nil || !isTimeout(err) {
		return err
	}
	p.Kill()
	return fmt.Errorf("harness: %s did not exit within %v of SIGINT; killed it", p.name, stopGrace)
}

// Restart stops the process if it is still running (see Stop) and starts
// it again with the same arguments, appending to the same log.
func (p *Process) Restart(t testing.TB) {
	t.Helper()
	if p.Running() {
		if err := p.Stop(); err != nil {
			t.Logf("harness: restart %s: stopping: %v", p.name, err)
		}
		p.Kill() // in case Stop could not even signal it
	}
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
}

// timeoutError is returned by Wait when the process outlives the timeout.
type timeoutError struct{ msg string }

func (e timeoutError) Error() string { return e.msg }

func isTimeout(err error) bool {
	var te timeoutError
	return errors.As(err, &te)
}

// Wait waits up to timeout for the process to exit and returns its exit
// status: nil for a clean exit, an *exec.ExitError otherwise, or an error
// if it is still running after timeout.
func (p *Process) Wait(timeout time.Duration) error {
	_, done := p.current()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-done:
		return p.exitErr()
	case <-timer.C:
		return timeoutError{fmt.Sprintf("harness: %s still running after %v", p.name, timeout)}
	}
}

// exitErr returns the exit status of the last run.
func (p *Process) exitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return fmt.Errorf("harness: %s exited: %w", p.name, p.err)
	}
	return nil
}

// Output returns everything the process has written so far, across
// restarts, with a "=== harness:" line before each run.
func (p *Process) Output() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", p.logPath, err)
	}
	return string(b)
}

// tail returns the last n lines of Output.
func (p *Process) tail(n int) string {
	lines := strings.Split(strings.TrimRight(p.Output(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// SkipIfShort skips the test under go test -short: tests that start real
// akutan processes take seconds each and belong to the full suite, not
// the unit tier. Call it first thing in such a test.
func SkipIfShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts real akutan processes: not in the -short unit tier")
	}
}
