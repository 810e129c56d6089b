package robustness

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fault is one kind of failure: inject breaks something and returns what
// heals it. Each run injects one fault, holds it, and heals it.
type fault struct {
	name   string
	inject func(t *testing.T, c *cluster, rng *rand.Rand) (target string, heal func())
	usable func(c *cluster) bool // nil: always usable
}

func faults() []fault {
	return []fault{
		{name: "kill-log-leader", inject: func(t *testing.T, c *cluster, _ *rand.Rand) (string, func()) {
			return kill(t, c.leader())
		}},
		{name: "kill-log-follower", inject: func(t *testing.T, c *cluster, rng *rand.Rand) (string, func()) {
			return kill(t, c.follower(rng))
		}},
		{name: "kill-view", inject: func(t *testing.T, c *cluster, rng *rand.Rand) (string, func()) {
			return kill(t, pick(rng, c.views))
		}},
		{name: "kill-api", inject: func(t *testing.T, c *cluster, rng *rand.Rand) (string, func()) {
			return kill(t, pick(rng, c.apis))
		}},
		{name: "stop-log-leader", inject: func(t *testing.T, c *cluster, _ *rand.Rand) (string, func()) {
			return freeze(t, c.leader())
		}},
		{name: "stop-log-follower", inject: func(t *testing.T, c *cluster, rng *rand.Rand) (string, func()) {
			return freeze(t, c.follower(rng))
		}},
		{name: "stop-view", inject: func(t *testing.T, c *cluster, rng *rand.Rand) (string, func()) {
			return freeze(t, pick(rng, c.views))
		}},
		{name: "stop-api", inject: func(t *testing.T, c *cluster, rng *rand.Rand) (string, func()) {
			return freeze(t, pick(rng, c.apis))
		}},
		{name: "partition-log-replica", inject: func(t *testing.T, c *cluster, rng *rand.Rand) (string, func()) {
			return toxic(t, pick(rng, c.logs), `{"type":"timeout","attributes":{"timeout":0}}`)
		}},
		{name: "partition-view", inject: func(t *testing.T, c *cluster, rng *rand.Rand) (string, func()) {
			return toxic(t, pick(rng, c.views), `{"type":"timeout","attributes":{"timeout":0}}`)
		}},
		{name: "latency-log-replica", inject: func(t *testing.T, c *cluster, rng *rand.Rand) (string, func()) {
			return toxic(t, pick(rng, c.logs), `{"type":"latency","stream":"downstream","attributes":{"latency":300,"jitter":100}}`)
		}},
		{name: "latency-view", inject: func(t *testing.T, c *cluster, rng *rand.Rand) (string, func()) {
			return toxic(t, pick(rng, c.views), `{"type":"latency","stream":"downstream","attributes":{"latency":300,"jitter":100}}`)
		}},
		{name: "disk-full-view", inject: func(t *testing.T, c *cluster, _ *rand.Rand) (string, func()) {
			return fillDisk(t, c.diskFull)
		}, usable: func(c *cluster) bool { return c.diskFull != nil }},
	}
}

func pick(rng *rand.Rand, ms []*member) *member { return ms[rng.IntN(len(ms))] }

// follower returns a log replica that does not lead now.
func (c *cluster) follower(rng *rand.Rand) *member {
	leader := c.leader()
	for {
		if m := pick(rng, c.logs); m != leader {
			return m
		}
	}
}

// kill kills m with SIGKILL; healing restarts it on the same directory.
func kill(t *testing.T, m *member) (string, func()) {
	m.proc.Kill()
	return m.name, func() { m.proc.Restart(t) }
}

// freeze stops m with SIGSTOP; healing sends SIGCONT. A frozen process
// keeps its connections open, unlike a dead one.
func freeze(t *testing.T, m *member) (string, func()) {
	pid := m.proc.Pid()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("SIGSTOP %s: %v", m.name, err)
	}
	cont := func() { _ = syscall.Kill(pid, syscall.SIGCONT) }
	t.Cleanup(cont) // never leave a frozen process behind
	return m.name, cont
}

// toxic adds a toxic to the proxy every client of m goes through.
func toxic(t *testing.T, m *member, spec string) (string, func()) {
	tx, err := m.proxy.Toxics.AddToxicJson(strings.NewReader(spec))
	if err != nil {
		t.Fatalf("adding %s to %s: %v", spec, m.name, err)
	}
	return m.name, func() {
		if err := m.proxy.Toxics.RemoveToxic(t.Context(), tx.Name); err != nil {
			t.Errorf("removing toxic %s from %s: %v", tx.Name, m.name, err)
		}
		// A timeout toxic holds the connections it swallowed; new ones
		// must start clean, so cut the old ones.
		m.proxy.Stop()
		if err := m.proxy.Start(); err != nil {
			t.Fatalf("restarting the proxy of %s: %v", m.name, err)
		}
	}
}

// fillDisk writes a ballast file until the view's tmpfs is full; healing
// removes it.
func fillDisk(t *testing.T, m *member) (string, func()) {
	ballast := filepath.Join(m.dir, "ballast")
	f, err := os.Create(ballast)
	if err != nil {
		t.Fatalf("creating %s: %v", ballast, err)
	}
	block := make([]byte, 1<<20)
	for {
		if _, err := f.Write(block); err != nil {
			break // ENOSPC: the disk is full
		}
	}
	f.Close()
	return m.name, func() {
		if err := os.Remove(ballast); err != nil {
			t.Errorf("removing %s: %v", ballast, err)
		}
	}
}

// choose returns the faults allowed by AKUTAN_ROBUSTNESS_FAULTS that the
// cluster can inject.
func chooseFaults(t *testing.T, c *cluster) []fault {
	allowed := map[string]bool{}
	if v := os.Getenv("AKUTAN_ROBUSTNESS_FAULTS"); v != "" {
		for _, name := range strings.Split(v, ",") {
			allowed[strings.TrimSpace(name)] = true
		}
	}
	var out []fault
	var names []string
	for _, f := range faults() {
		names = append(names, f.name)
		if (len(allowed) == 0 || allowed[f.name]) && (f.usable == nil || f.usable(c)) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		t.Fatalf("AKUTAN_ROBUSTNESS_FAULTS=%q names no usable fault; the faults are %s", os.Getenv("AKUTAN_ROBUSTNESS_FAULTS"), strings.Join(names, ", "))
	}
	return out
}

// holdFor is how long a fault lasts.
func holdFor(rng *rand.Rand) time.Duration {
	return time.Duration(3000+rng.IntN(4000)) * time.Millisecond
}

func describe(f fault, target string, hold time.Duration) string {
	return fmt.Sprintf("%s (%s) for %v", f.name, target, hold.Round(100*time.Millisecond))
}
