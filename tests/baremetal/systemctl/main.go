// Command systemctl is a stand-in for systemd's systemctl that
// tests/bare_metal_test.go puts on the PATH of the commands of
// docs/bare-metal.md, so that they run as written without systemd (and
// without root): it runs a unit's ExecStart from the unit files under
// $FAKE_SYSTEMD_ROOT/etc/systemd/system the way systemd does for a
// Type=notify service, in its WorkingDirectory with NOTIFY_SOCKET set, and
// like systemctl start returns only once the service sent READY=1 (or
// fails if it exits first). The service keeps running after this command
// exits; its pid and output are under $FAKE_SYSTEMD_ROOT/run/systemd.
//
// Supported: daemon-reload, enable [--now] UNIT..., start, stop, restart
// and is-active. stop sends the unit's KillSignal (SIGTERM) and waits for
// STOPPING=1 and the exit.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "systemctl (test stand-in): %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	root := os.Getenv("FAKE_SYSTEMD_ROOT")
	if root == "" {
		return errors.New("FAKE_SYSTEMD_ROOT is not set")
	}
	if len(args) == 0 {
		return errors.New("no command")
	}
	var units []string
	now := false
	for _, a := range args[1:] {
		switch {
		case a == "--now":
			now = true
		case strings.HasPrefix(a, "-"):
			return fmt.Errorf("unsupported option %s", a)
		default:
			units = append(units, a)
		}
	}
	do := func(fn func(*service) error) error {
		for _, name := range units {
			s, err := load(root, name)
			if err != nil {
				return err
			}
			if err := fn(s); err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
		}
		return nil
	}
	switch args[0] {
	case "daemon-reload":
		return nil
	case "enable":
		if !now {
			return do(func(*service) error { return nil })
		}
		return do((*service).start)
	case "start":
		return do((*service).start)
	case "stop":
		return do((*service).stop)
	case "restart":
		return do(func(s *service) error {
			if err := s.stop(); err != nil {
				return err
			}
			return s.start()
		})
	case "is-active":
		return do(func(s *service) error {
			if !alive(s.pid()) {
				return errors.New("inactive")
			}
			fmt.Println("active")
			return nil
		})
	}
	return fmt.Errorf("unsupported command %s", args[0])
}

// service is one unit instance.
type service struct {
	name      string // akutan-log@1.service
	execStart []string
	workDir   string
	state     string // the directory of its pid, output and notify socket
}

// load reads the unit file of name (NAME@INSTANCE from its template).
func load(root, name string) (*service, error) {
	name = strings.TrimSuffix(name, ".service")
	file, instance := name+".service", ""
	if prefix, inst, ok := strings.Cut(name, "@"); ok {
		file, instance = prefix+"@.service", inst
	}
	f, err := os.Open(filepath.Join(root, "etc", "systemd", "system", file))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := &service{name: name + ".service", state: filepath.Join(root, "run", "systemd")}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || strings.HasPrefix(key, "#") {
			continue
		}
		value = strings.ReplaceAll(value, "%i", instance)
		switch key {
		case "ExecStart":
			s.execStart = strings.Fields(value)
		case "WorkingDirectory":
			s.workDir = value
		case "Type":
			if value != "notify" {
				return nil, fmt.Errorf("%s: Type=%s, only notify is supported", file, value)
			}
		case "KillSignal":
			if value != "SIGTERM" {
				return nil, fmt.Errorf("%s: KillSignal=%s, only SIGTERM is supported", file, value)
			}
		}
	}
	if len(s.execStart) == 0 {
		return nil, fmt.Errorf("%s has no ExecStart", file)
	}
	return s, os.MkdirAll(s.state, 0o755)
}

func (s *service) path(ext string) string { return filepath.Join(s.state, s.name+ext) }

func (s *service) pid() int {
	b, err := os.ReadFile(s.path(".pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// alive reports whether pid runs (a zombie does not count).
func alive(pid int) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

// listen opens the service's notify socket.
func (s *service) listen() (*net.UnixConn, error) {
	path := s.path(".notify")
	_ = os.Remove(path)
	return net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
}

// await waits for a notification holding the line want, while alive.
func await(conn *net.UnixConn, want string, alive func() bool, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 4096)
	for time.Now().Before(deadline) {
		_ = conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := conn.Read(buf)
		if err == nil {
			for _, line := range strings.Split(string(buf[:n]), "\n") {
				if line == want {
					return nil
				}
			}
			continue
		}
		if !alive() {
			return fmt.Errorf("exited before %s", want)
		}
	}
	return fmt.Errorf("no %s within %v", want, timeout)
}

// start runs ExecStart in the background and waits for READY=1.
func (s *service) start() error {
	if alive(s.pid()) {
		return nil // already running, as systemctl start
	}
	conn, err := s.listen()
	if err != nil {
		return err
	}
	defer conn.Close()
	out, err := os.OpenFile(s.path(".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(s.execStart[0], s.execStart[1:]...)
	cmd.Dir = s.workDir
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+s.path(".notify"))
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	if err := os.WriteFile(s.path(".pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	isAlive := func() bool {
		select {
		case <-exited:
			return false
		default:
			return true
		}
	}
	if err := await(conn, "READY=1", isAlive, 3*time.Minute); err != nil {
		return fmt.Errorf("%w (output in %s:\n%s)", err, s.path(".log"), tail(s.path(".log")))
	}
	return nil
}

// stop sends SIGTERM and waits for STOPPING=1 and the exit.
func (s *service) stop() error {
	pid := s.pid()
	if !alive(pid) {
		return nil
	}
	conn, err := s.listen() // the old socket went with the start command
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return err
	}
	if err := await(conn, "STOPPING=1", func() bool { return alive(pid) }, 30*time.Second); err != nil {
		return err
	}
	for deadline := time.Now().Add(90 * time.Second); alive(pid); {
		if time.Now().After(deadline) {
			return errors.New("still running 90 s after SIGTERM")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return os.Remove(s.path(".pid"))
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}
