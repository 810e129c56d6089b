package gossip

import (
	"sync"
	"time"
)

// Membership changes are logged at debug level one by one, and at info
// level as one line once they settle: a pool of N servers starting (or
// stopping) together would otherwise log N×N lines, one per member seen
// by each member. A member that fails (rather than leaving) is logged at
// once.
const (
	// settleQuiet is how long the membership must stay unchanged before
	// the summary is logged.
	settleQuiet = time.Second
	// settleMax bounds how long a stream of changes delays the summary.
	settleMax = 10 * time.Second
	// summaryNames bounds the member names a summary lists.
	summaryNames = 5
)

// summary gathers membership changes until they settle.
type summary struct {
	mu      sync.Mutex
	joined  []string
	left    []string
	first   time.Time
	timer   *time.Timer
	stopped bool
}

// note records a change and (re)arms the timer that logs the summary.
func (n *Node) noteChange(name string, joined bool) {
	if name == n.name {
		return
	}
	s := &n.summary
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	if joined {
		s.joined = append(s.joined, name)
	} else {
		s.left = append(s.left, name)
	}
	switch {
	case s.timer == nil:
		s.first = time.Now()
		s.timer = time.AfterFunc(settleQuiet, n.logSummary)
	case time.Since(s.first) < settleMax:
		s.timer.Reset(settleQuiet)
	}
}

// logSummary logs the changes gathered since the last summary.
func (n *Node) logSummary() {
	s := &n.summary
	s.mu.Lock()
	joined, left, stopped := s.joined, s.left, s.stopped
	s.joined, s.left, s.timer = nil, nil, nil
	s.mu.Unlock()
	if stopped || len(joined)+len(left) == 0 {
		return
	}
	n.mu.Lock()
	members := len(n.members) + 1
	n.mu.Unlock()
	ev := n.log.Info().Int("members", members)
	if len(joined) > 0 {
		ev = ev.Int("joined", len(joined)).Strs("joined_names", firstNames(joined))
	}
	if len(left) > 0 {
		ev = ev.Int("left", len(left)).Strs("left_names", firstNames(left))
	}
	ev.Msg("gossip membership settled")
}

// stopSummary drops what is pending: the node is stopping.
func (n *Node) stopSummary() {
	s := &n.summary
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	if s.timer != nil {
		s.timer.Stop()
	}
}

func firstNames(names []string) []string {
	if len(names) <= summaryNames {
		return names
	}
	return append(names[:summaryNames:summaryNames], "...")
}
