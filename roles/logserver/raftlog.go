package logserver

import (
	"fmt"
	"sync"
	"sync/atomic"

	dblogger "github.com/lni/dragonboat/v3/logger"
	"github.com/rs/zerolog"
)

// RouteDragonboatLogs sends the log lines of Dragonboat (Raft, its
// transport and its storage) to logger, tagged with the Dragonboat package,
// so that a log replica writes one format at one --log-level. Dragonboat's
// loggers are process-wide and can be routed once, before the first
// NodeHost starts: the akutan command does it when it starts log replicas.
// Without it, Dragonboat writes its own format to stderr.
func RouteDragonboatLogs(logger zerolog.Logger) {
	routed.Store(true)
	dblogger.SetLoggerFactory(func(pkg string) dblogger.ILogger {
		return &raftLogger{base: logger.With().Str("raft_pkg", pkg).Logger(), level: zerolog.InfoLevel}
	})
}

// routed is set once RouteDragonboatLogs has routed Dragonboat's loggers
// to raftLogger, whose level may be changed while it logs.
var routed atomic.Bool

// QuietRaftForStop turns Dragonboat's logging down to critical errors for
// the rest of the process's life, when a process stops every log replica
// it runs (akutan local): each replica's transport would otherwise log an
// error for every batch it fails to send to the replicas stopped before
// it. It does nothing unless RouteDragonboatLogs routed them.
func QuietRaftForStop() {
	if !routed.Load() {
		return
	}
	for _, name := range append(dragonboatLoggers, "raft") {
		dblogger.GetLogger(name).SetLevel(dblogger.CRITICAL)
	}
}

// raftLogger adapts zerolog to Dragonboat's ILogger. Dragonboat sets its
// level at any time from its own goroutines, hence the lock.
type raftLogger struct {
	base  zerolog.Logger
	mu    sync.Mutex
	level zerolog.Level
}

var _ dblogger.ILogger = (*raftLogger)(nil)

func (l *raftLogger) SetLevel(level dblogger.LogLevel) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch level {
	case dblogger.CRITICAL:
		l.level = zerolog.PanicLevel // only Panicf, which always logs
	case dblogger.ERROR:
		l.level = zerolog.ErrorLevel
	case dblogger.WARNING:
		l.level = zerolog.WarnLevel
	case dblogger.INFO:
		l.level = zerolog.InfoLevel
	default:
		l.level = zerolog.DebugLevel
	}
}

func (l *raftLogger) logf(level zerolog.Level, format string, args []interface{}) {
	l.mu.Lock()
	enabled := level >= l.level
	l.mu.Unlock()
	if enabled {
		l.base.WithLevel(level).Msgf(format, args...)
	}
}

func (l *raftLogger) Debugf(format string, args ...interface{}) {
	l.logf(zerolog.DebugLevel, format, args)
}

func (l *raftLogger) Infof(format string, args ...interface{}) {
	l.logf(zerolog.InfoLevel, format, args)
}

func (l *raftLogger) Warningf(format string, args ...interface{}) {
	l.logf(zerolog.WarnLevel, format, args)
}

func (l *raftLogger) Errorf(format string, args ...interface{}) {
	l.logf(zerolog.ErrorLevel, format, args)
}

// Panicf logs and then panics, as Dragonboat expects: it calls Panicf only
// on broken invariants of its own.
func (l *raftLogger) Panicf(format string, args ...interface{}) {
	msg := fmt.Sprintf(format, args...)
	l.base.WithLevel(zerolog.PanicLevel).Msg(msg)
	panic(msg)
}
