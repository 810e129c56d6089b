package gossip

import (
	"bytes"
	"log"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// logWriter receives memberlist's log lines ("[LEVEL] memberlist: text") and
// forwards them to zerolog at debug level: memberlist is chatty, and what
// matters to an operator is logged by this package itself. The exception
// is a message refused because it comes from another pool (a different
// cluster label or gossip key): the refusing side is the only one that
// knows why (the other often sees a bare EOF), so it is raised to a
// warning here, at most once per joinWarnInterval since a misconfigured
// peer retries every second.
//
// A node without TLS cannot tell a TLS handshake from a message of another
// pool (memberlist sees its first byte, 22, as a message type, a missing
// label or a missing encryption), so its warning names TLS as a possible
// cause too; a node with TLS never sees such bytes (its transport refuses
// them, see tlsTransport.refused).
type logWriter struct {
	log zerolog.Logger
	tls bool

	mu       sync.Mutex
	lastWarn time.Time
}

// newStdLogger returns a *log.Logger for memberlist that writes to zl, of
// a node gossiping over TLS or not.
func newStdLogger(zl zerolog.Logger, tls bool) *log.Logger {
	return log.New(&logWriter{log: zl, tls: tls}, "", 0)
}

func (w *logWriter) Write(p []byte) (int, error) {
	line := bytes.TrimSpace(p)
	level := ""
	if len(line) > 0 && line[0] == '[' {
		if end := bytes.IndexByte(line, ']'); end > 0 {
			level = string(line[1:end])
			line = bytes.TrimSpace(line[end+1:])
		}
	}
	if isRefusal(string(line)) && w.warnNow() {
		msg := "gossip: refusing to talk to a node of another pool: its --cluster label or --gossip-key differs from ours"
		if !w.tls {
			msg += ", or it gossips over TLS (--tls-cert, --tls-key, --tls-ca) and this node does not"
		}
		w.log.Warn().Str("memberlist", string(line)).Msg(msg)
		return len(p), nil
	}
	w.log.Debug().Str("memberlist_level", level).Msg(string(line))
	return len(p), nil
}

// warnNow reports whether a refusal warning is due, and if so notes it.
func (w *logWriter) warnNow() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if time.Since(w.lastWarn) < joinWarnInterval {
		return false
	}
	w.lastWarn = time.Now()
	return true
}

// isRefusal reports whether memberlist dropped a message for coming from
// another pool: a label other than ours, or a key (or encryption) other
// than ours.
func isRefusal(line string) bool {
	line = strings.ToLower(line)
	for _, mark := range []string{
		"unacceptable label",
		"no installed keys could decrypt",
		"remote state is encrypted and encryption is not configured",
		"encryption is configured but remote state is not encrypted",
		"decrypt packet failed",
		"invalid msgtype (22)", // a TLS handshake record, to a node without a label or key
	} {
		if strings.Contains(line, mark) {
			return true
		}
	}
	return false
}
