package harness

import "syscall"

// setDeathSignal asks Linux to kill the child if the test process dies, so a
// crashed or timed-out test leaves no server holding its ports.
func setDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGKILL
}
