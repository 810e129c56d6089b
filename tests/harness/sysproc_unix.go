//go:build unix

package harness

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts the child in its own process group, so that signals reach
// anything it starts too.
func sysProcAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(attr)
	return attr
}

// signalGroup sends sig to cmd's process group, or to cmd alone if that
// fails.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	if err := syscall.Kill(-cmd.Process.Pid, sig); err == nil {
		return nil
	}
	return cmd.Process.Signal(sig)
}

var (
	sigInterrupt = syscall.SIGINT
	sigKill      = syscall.SIGKILL
)
