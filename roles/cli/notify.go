package cli

import (
	"fmt"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/rs/zerolog"
)

// The server roles tell systemd how they are doing (the sd_notify
// protocol; the units in deploy/systemd are Type=notify), so that
// `systemctl start` and a rolling `systemctl restart` return only once the
// role really serves: READY=1 once a log replica is started, an API
// server (or akutan local) listens, and a view serves lookups (it may
// first load its range from peers for a long time); STOPPING=1 when a
// graceful stop begins. Outside systemd (NOTIFY_SOCKET unset) these do
// nothing. go-systemd's daemon.SdNotify speaks the protocol: one unixgram
// datagram to $NOTIFY_SOCKET, an abstract socket when it starts with '@'.

// notifySystemd sends state to systemd, logging (not failing) when the
// socket refuses it: the role serves either way.
func notifySystemd(log zerolog.Logger, state string) {
	if _, err := daemon.SdNotify(false, state); err != nil {
		log.Warn().Err(err).Msg("telling systemd (NOTIFY_SOCKET) the server's state")
	}
}

// notifyReady tells systemd the server is ready, with a status line for
// `systemctl status`.
func notifyReady(log zerolog.Logger, status string) {
	notifySystemd(log, "READY=1\nSTATUS="+status)
}

// notifyStopping tells systemd a graceful stop has begun.
func notifyStopping(log zerolog.Logger) {
	notifySystemd(log, "STOPPING=1\nSTATUS=stopping")
}

// viewReadyPoll is how often a booting view's readiness is checked.
const viewReadyPoll = 200 * time.Millisecond

// notifyWhenServing reports READY=1 once serving() holds, and meanwhile
// keeps systemd's status line showing how far the boot got (applied()),
// until done is closed.
func notifyWhenServing(log zerolog.Logger, serving func() bool, applied func() uint64, status string, done <-chan struct{}) {
	t := time.NewTicker(viewReadyPoll)
	defer t.Stop()
	last := time.Time{}
	for !serving() {
		if time.Since(last) >= 5*time.Second {
			notifySystemd(log, fmt.Sprintf("STATUS=booting: applied log index %d", applied()))
			last = time.Now()
		}
		select {
		case <-done:
			return
		case <-t.C:
		}
	}
	notifyReady(log, status)
}
