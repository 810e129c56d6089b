//go:build !unix

package harness

import (
	"os"
	"os/exec"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

// signalGroup signals cmd alone: there are no process groups to use here.
func signalGroup(cmd *exec.Cmd, sig os.Signal) error {
	return cmd.Process.Signal(sig)
}

var (
	sigInterrupt os.Signal = os.Interrupt
	sigKill      os.Signal = os.Kill
)
