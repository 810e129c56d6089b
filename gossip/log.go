package gossip

import (
	"bytes"
	"log"

	"github.com/rs/zerolog"
)

// logWriter receives memberlist's log lines ("[LEVEL] memberlist: text") and
// forwards them to zerolog at debug level: memberlist is chatty, and what
// matters to an operator is logged by this package itself.
type logWriter struct {
	log zerolog.Logger
}

// newStdLogger returns a *log.Logger for memberlist that writes to zl.
func newStdLogger(zl zerolog.Logger) *log.Logger {
	return log.New(logWriter{log: zl}, "", 0)
}

func (w logWriter) Write(p []byte) (int, error) {
	line := bytes.TrimSpace(p)
	level := ""
	if len(line) > 0 && line[0] == '[' {
		if end := bytes.IndexByte(line, ']'); end > 0 {
			level = string(line[1:end])
			line = bytes.TrimSpace(line[end+1:])
		}
	}
	w.log.Debug().Str("memberlist_level", level).Msg(string(line))
	return len(p), nil
}
