//go:build unix && !linux

package harness

import "syscall"

// setDeathSignal has no equivalent outside Linux.
func setDeathSignal(*syscall.SysProcAttr) {}
