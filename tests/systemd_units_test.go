package tests

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/tests/harness"
)

// unitFile is what a test needs of a systemd unit in deploy/systemd.
type unitFile struct {
	name       string // akutan-log@.service
	execStart  string
	workDir    string
	killSignal string
}

// readUnit parses the [Service] lines a test plays: ExecStart,
// WorkingDirectory and KillSignal.
func readUnit(t *testing.T, path string) unitFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unitFile{name: filepath.Base(path)}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || strings.HasPrefix(key, "#") {
			continue
		}
		switch key {
		case "ExecStart":
			u.execStart = value
		case "WorkingDirectory":
			u.workDir = value
		case "KillSignal":
			u.killSignal = value
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if u.execStart == "" {
		t.Fatalf("%s has no ExecStart", path)
	}
	return u
}

// sandbox maps the paths and addresses of the example configs and units
// onto a temporary root and free loopback ports, the same way for every
// file, so that the roles' configs still point at each other.
type sandbox struct {
	t     *testing.T
	root  string // stands for /
	mu    sync.Mutex
	addrs map[string]string // example HOST:PORT -> free 127.0.0.1:PORT
}

func newSandbox(t *testing.T) *sandbox {
	root := t.TempDir()
	for _, d := range []string{"etc/akutan/tls", "var/lib/akutan", "usr/local/bin"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &sandbox{t: t, root: root, addrs: map[string]string{}}
}

// exampleAddr is a HOST:PORT the examples use: the deployment's
// 10.0.X.Y machines and local's 127.0.0.1.
var exampleAddr = regexp.MustCompile(`\b(10\.0\.\d+\.\d+|127\.0\.0\.1):\d+\b`)

// rewrite maps text's paths and addresses into the sandbox.
func (s *sandbox) rewrite(text string) string {
	text = exampleAddr.ReplaceAllStringFunc(text, s.addr)
	for _, dir := range []string{"/etc/akutan", "/var/lib/akutan"} {
		text = strings.ReplaceAll(text, dir, s.path(dir))
	}
	return text
}

// addr is the free loopback address standing for the example's addr.
func (s *sandbox) addr(example string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.addrs[example]; ok {
		return a
	}
	a := harness.FreeAddr(s.t)
	s.addrs[example] = a
	return a
}

// path is where the absolute path p lives in the sandbox.
func (s *sandbox) path(p string) string { return filepath.Join(s.root, p) }

// writeSecrets makes what the example configs name under /etc/akutan:
// certificates, the gossip key and an API tokens file; it returns the
// client flags that reach the API server.
func (s *sandbox) writeSecrets(t *testing.T) []string {
	tls := s.path("/etc/akutan/tls")
	akutan(t, "ctl", "certs", "--out", tls, "--hosts", "127.0.0.1,localhost")
	if err := os.WriteFile(s.path("/etc/akutan/gossip.key"), []byte("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tok := strings.SplitN(akutan(t, "ctl", "token", "--role", "admin", "--name", "ops"), "\n", 3)
	if err := os.WriteFile(s.path("/etc/akutan/tokens"), []byte(tok[1]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tokFile := filepath.Join(s.root, "ops.tok")
	if err := os.WriteFile(tokFile, []byte(tok[0]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--tls-cert", filepath.Join(tls, "client.pem"), "--tls-key", filepath.Join(tls, "client-key.pem"),
		"--tls-ca", filepath.Join(tls, "ca.pem"), "--token-file", tokFile}
}

// installConfig writes deploy/config/EXAMPLE.toml, rewritten, where the
// unit reads it (the sandbox's /etc/akutan/NAME), applying edit to the
// text first.
func (s *sandbox) installConfig(t *testing.T, example, name string, edit func(string) string) {
	data, err := os.ReadFile(filepath.Join("..", "deploy", "config", example+".toml"))
	if err != nil {
		t.Fatal(err)
	}
	text := s.rewrite(string(data))
	if edit != nil {
		text = edit(text)
	}
	if err := os.WriteFile(s.path("/etc/akutan/"+name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// notifySocket is a NOTIFY_SOCKET a test listens on, as systemd does.
type notifySocket struct {
	addr string // the value of NOTIFY_SOCKET
	msgs chan string
}

// listenNotify listens on a unixgram socket: an abstract one (NOTIFY_SOCKET
// starting with '@') when abstract is set, else a file in dir.
func listenNotify(t *testing.T, dir string, abstract bool) *notifySocket {
	t.Helper()
	name := filepath.Join(dir, "notify.sock")
	if abstract {
		name = fmt.Sprintf("@akutan-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	ns := &notifySocket{addr: name, msgs: make(chan string, 100)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			ns.msgs <- string(buf[:n])
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return ns
}

// await waits for a datagram holding the line want ("READY=1").
func (ns *notifySocket) await(t *testing.T, want string, timeout time.Duration, p *unitProcess) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case msg := <-ns.msgs:
			t.Logf("%s: sd_notify %q", p.name, msg)
			for _, line := range strings.Split(msg, "\n") {
				if line == want {
					return
				}
			}
		case <-p.exited:
			t.Fatalf("%s exited before sending %s: %v\n%s", p.name, want, p.err, p.output())
		case <-deadline:
			t.Fatalf("%s sent no %s within %v\n%s", p.name, want, timeout, p.output())
		}
	}
}

// unitProcess is a unit's ExecStart running as systemd would run it: in
// its WorkingDirectory, with NOTIFY_SOCKET set.
type unitProcess struct {
	name   string
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
	err    error
}

func (p *unitProcess) output() string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}

// startUnit runs u's ExecStart for instance: %i is the instance, the
// binary is the akutan under test, and paths are in the sandbox.
func (s *sandbox) startUnit(t *testing.T, u unitFile, instance string, ns *notifySocket) *unitProcess {
	t.Helper()
	line := strings.ReplaceAll(u.execStart, "%i", instance)
	args := strings.Fields(s.rewrite(line))
	if args[0] != "/usr/local/bin/akutan" {
		t.Fatalf("%s runs %s, want /usr/local/bin/akutan", u.name, args[0])
	}
	p := &unitProcess{name: strings.Replace(u.name, "@", "@"+instance, 1), exited: make(chan struct{})}
	p.log = filepath.Join(s.root, p.name+".log")
	out, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, args[1:]...)
	p.cmd.Dir = s.rewrite(u.workDir)
	p.cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+ns.addr)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		out.Close()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("%s output:\n%s", p.name, p.output())
		}
	})
	return p
}

// stopUnit sends the unit's KillSignal (SIGTERM), and wants STOPPING=1 and
// a clean exit (status 0) within timeout.
func stopUnit(t *testing.T, u unitFile, p *unitProcess, ns *notifySocket) {
	t.Helper()
	if u.killSignal != "SIGTERM" {
		t.Fatalf("%s: KillSignal=%s, want SIGTERM", u.name, u.killSignal)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ns.await(t, "STOPPING=1", 30*time.Second, p)
	select {
	case <-p.exited:
		if p.err != nil {
			t.Fatalf("%s exited with %v after SIGTERM\n%s", p.name, p.err, p.output())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("%s still running 60 s after SIGTERM\n%s", p.name, p.output())
	}
}

// TestSystemdUnitsServeAndNotify runs each unit of deploy/systemd as
// systemd would (its ExecStart with its example config from
// deploy/config, paths and addresses moved to a temporary root and free
// loopback ports, NOTIFY_SOCKET set): each role reports READY=1, then
// serves (a log replica answers ctl log info, the view serves lookups as
// status shows, the API server answers status with the example's TLS and
// tokens, akutan local answers status), and SIGTERM stops it with
// STOPPING=1 and exit status 0. The log is the example's replica 1, made
// a log of one replica (a majority of three needs two).
func TestSystemdUnitsServeAndNotify(t *testing.T) {
	harness.SkipIfShort(t)
	units := map[string]unitFile{}
	for _, role := range []string{"log", "view", "api"} {
		units[role] = readUnit(t, filepath.Join("..", "deploy", "systemd", "akutan-"+role+"@.service"))
	}
	units["local"] = readUnit(t, filepath.Join("..", "deploy", "systemd", "akutan-local.service"))

	t.Run("Roles", func(t *testing.T) {
		s := newSandbox(t)
		client := s.writeSecrets(t)
		tlsOnly := client[:6]
		s.installConfig(t, "log", "log-1.toml", func(text string) string {
			// A log of one replica: replica 1 of the example's three.
			raft := s.addr("10.0.1.1:7100")
			return regexp.MustCompile(`(?m)^initial-members = .*$`).ReplaceAllString(text, `initial-members = "1=`+raft+`"`)
		})
		s.installConfig(t, "view", "view-dc1-hashsp.toml", nil)
		s.installConfig(t, "api", "api-dc1.toml", nil)

		logNS := listenNotify(t, s.root, true) // an abstract socket
		logP := s.startUnit(t, units["log"], "1", logNS)
		logNS.await(t, "READY=1", 60*time.Second, logP)
		logAddr := s.addr("10.0.1.1:7101")
		testutil.Eventually(t, 30*time.Second, 250*time.Millisecond, func() error {
			_, errOut, err := harness.Run(t, bin, append([]string{"ctl", "log", "info", "--log", logAddr, "--timeout", "5s"}, tlsOnly...)...)
			if err != nil {
				return fmt.Errorf("ctl log info: %v: %s", err, errOut)
			}
			return nil
		})

		viewDir := filepath.Join(s.root, "view")
		if err := os.Mkdir(viewDir, 0o755); err != nil {
			t.Fatal(err)
		}
		viewNS := listenNotify(t, viewDir, false)
		viewP := s.startUnit(t, units["view"], "dc1-hashsp", viewNS)
		viewNS.await(t, "READY=1", 60*time.Second, viewP)

		apiDir := filepath.Join(s.root, "api")
		if err := os.Mkdir(apiDir, 0o755); err != nil {
			t.Fatal(err)
		}
		apiNS := listenNotify(t, apiDir, false)
		apiP := s.startUnit(t, units["api"], "dc1", apiNS)
		apiNS.await(t, "READY=1", 60*time.Second, apiP)
		api := s.addr("10.0.1.1:9987")
		testutil.Eventually(t, 30*time.Second, 250*time.Millisecond, func() error {
			out, errOut, err := harness.Run(t, bin, append([]string{"status", "--api", api, "--json", "--timeout", "5s"}, client...)...)
			if err != nil {
				return fmt.Errorf("status: %v: %s", err, errOut)
			}
			var rep health.Report
			if err := decodeStatus([]byte(out), &rep); err != nil {
				return err
			}
			if upToDate(rep.Views) != 1 || upReplicas(rep.Log.Replicas) != 1 {
				return fmt.Errorf("%d views up to date, %d log replicas up; want the view and the replica", upToDate(rep.Views), upReplicas(rep.Log.Replicas))
			}
			return nil
		})
		// Without the example's client certificate, the API refuses.
		if _, _, err := harness.Run(t, bin, "status", "--api", api, "--timeout", "3s"); err == nil {
			t.Error("status without TLS succeeded against the example API config (TLS and tokens)")
		}

		stopUnit(t, units["api"], apiP, apiNS)
		stopUnit(t, units["view"], viewP, viewNS)
		stopUnit(t, units["log"], logP, logNS)
	})

	t.Run("Local", func(t *testing.T) {
		s := newSandbox(t)
		s.installConfig(t, "local", "local.toml", nil)
		ns := listenNotify(t, s.root, false)
		p := s.startUnit(t, units["local"], "", ns)
		ns.await(t, "READY=1", 120*time.Second, p)
		api := s.addr("127.0.0.1:9987")
		akutan(t, "status", "--api", api, "--wait", "available", "--timeout", "30s")
		if _, err := os.Stat(filepath.Join(s.path("/var/lib/akutan"), "akutan-data", "layout.json")); err != nil {
			t.Errorf("local's data is not under its WorkingDirectory: %v", err)
		}
		stopUnit(t, units["local"], p, ns)
	})
}

// TestSystemdUnitsVerify runs systemd-analyze verify on deploy/systemd
// (installed by .ci/run): only complaints about what a build machine
// lacks (the binary, the user, dependencies) are allowed.
func TestSystemdUnitsVerify(t *testing.T) {
	harness.SkipIfShort(t)
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze is missing (apt-get install systemd)")
		}
		t.Skip("systemd-analyze is not installed")
	}
	units, err := filepath.Glob(filepath.Join("..", "deploy", "systemd", "*.service"))
	if err != nil || len(units) < 4 {
		t.Fatalf("units %v: %v", units, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, analyze, append([]string{"verify", "--man=no"}, units...)...).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	allowed := regexp.MustCompile(`Cannot add dependency job|not found|executable path|Command .* is not executable`)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line != "" && !allowed.MatchString(line) {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
}

// TestSystemdUnitDirectives checks (without running anything) that every
// unit of deploy/systemd runs its role with its config file the way
// docs/bare-metal.md says, and keeps the settings the deployment relies
// on: readiness, restarts, the user, the hardening, the limits and the
// graceful stop.
func TestSystemdUnitDirectives(t *testing.T) {
	units, err := filepath.Glob(filepath.Join("..", "deploy", "systemd", "*.service"))
	if err != nil || len(units) == 0 {
		t.Fatalf("no units: %v", err)
	}
	want := []string{"Type=notify", "Restart=on-failure", "User=akutan", "Group=akutan",
		"WorkingDirectory=/var/lib/akutan", "ProtectSystem=strict", "ReadWritePaths=/var/lib/akutan",
		"NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectHome=yes", "LimitNOFILE=65536", "KillSignal=SIGTERM"}
	execLine := regexp.MustCompile(`^ExecStart=/usr/local/bin/akutan (log|view|api|local) --config /etc/akutan/(log|view|api|local)(-%i)?\.toml$`)
	for _, path := range units {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := map[string]bool{}
		var execStart []string
		timeoutStop := false
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			lines[line] = true
			if strings.HasPrefix(line, "ExecStart=") {
				execStart = append(execStart, line)
			}
			timeoutStop = timeoutStop || strings.HasPrefix(line, "TimeoutStopSec=")
		}
		name := filepath.Base(path)
		for _, w := range want {
			if !lines[w] {
				t.Errorf("%s lacks %s", name, w)
			}
		}
		if !timeoutStop {
			t.Errorf("%s lacks TimeoutStopSec=", name)
		}
		if len(execStart) != 1 {
			t.Errorf("%s has %d ExecStart lines, want 1", name, len(execStart))
			continue
		}
		m := execLine.FindStringSubmatch(execStart[0])
		templated := strings.Contains(name, "@")
		switch {
		case m == nil || m[1] != m[2]:
			t.Errorf("%s: %s does not run a role with its own config", name, execStart[0])
		case name != "akutan-"+m[1]+map[bool]string{true: "@", false: ""}[templated]+".service":
			t.Errorf("%s runs akutan %s", name, m[1])
		case templated != (m[3] == "-%i"):
			t.Errorf("%s: %s: the config file must be per instance exactly when the unit is a template", name, execStart[0])
		}
	}
}
