package harness

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// DefaultRunTimeout bounds a command started by Run.
const DefaultRunTimeout = 60 * time.Second

// Run runs a one-shot command (such as an akutan CLI subcommand) to
// completion, killing it after DefaultRunTimeout, and returns what it
// printed. err is nil only if it exited with status 0.
func Run(t testing.TB, bin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), DefaultRunTimeout)
	defer cancel()
	stdout, stderr, err = RunContext(ctx, bin, args...)
	if err != nil {
		t.Logf("harness: %v\nstderr:\n%s", err, stderr)
	}
	return stdout, stderr, err
}

// RunContext is Run with the deadline and cancellation taken from ctx.
func RunContext(ctx context.Context, bin string, args ...string) (stdout, stderr string, err error) {
	var outBuf, errBuf bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &outBuf, &errBuf
	cmd.SysProcAttr = sysProcAttr()
	cmd.Cancel = func() error { return signalGroup(cmd, sigKill) }
	cmd.WaitDelay = 5 * time.Second // in case a child keeps the pipes open
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", err, ctx.Err())
	}
	if err != nil {
		err = fmt.Errorf("harness: run %s %s: %w", bin, strings.Join(args, " "), err)
	}
	return outBuf.String(), errBuf.String(), err
}
