package logserver

import (
	"time"

	"github.com/lni/dragonboat/v3"
	sm "github.com/lni/dragonboat/v3/statemachine"
)

// Dragonboat compacts the Raft log after a snapshot, every SnapshotEntries
// proposals. Proposals can be up to maxBatchBytes each, so a count alone
// would let a bulk load keep gigabytes of Raft log on every replica. The
// state machine therefore also asks for a snapshot once the proposals
// applied since the last one reach snapshotBytes, keeping a quarter of
// them for lagging followers. Snapshots of this on-disk state machine are
// cheap: Dragonboat records the applied index after a Sync and saves no
// data unless it streams one to another replica.

// defaultSnapshotBytes is the snapshotBytes of production replicas. With
// the Raft log's small write buffers (see logDBConfig) it bounds what the
// Raft log keeps on disk besides the entries' own store: after a bulk load
// of LUBM-10 the Raft log took 97 MB per replica with 64 MB here and
// Dragonboat's small-memory LogDB settings.
const defaultSnapshotBytes = 16 << 20

// snapshotTimeout bounds one requested snapshot.
const snapshotTimeout = 30 * time.Second

// snapshotDue asks for a snapshot that keeps keep proposals.
type snapshotDue struct {
	keep uint64
}

// proposalMeter counts the proposals applied since it last asked for a
// snapshot. It is owned by the state machine's serialized methods.
type proposalMeter struct {
	limit     uint64
	bytes     uint64
	proposals uint64
	due       chan snapshotDue // holds at most one request
}

func newProposalMeter(limit uint64) *proposalMeter {
	if limit == 0 {
		limit = defaultSnapshotBytes
	}
	return &proposalMeter{limit: limit, due: make(chan snapshotDue, 1)}
}

// applied counts one proposal of size bytes, asking for a snapshot when
// the limit is reached. It never blocks: a request already waiting stands.
func (m *proposalMeter) applied(size int) {
	m.bytes += uint64(size)
	m.proposals++
	if m.bytes < m.limit {
		return
	}
	select {
	case m.due <- snapshotDue{keep: max(1, m.proposals/4)}:
	default:
	}
	m.bytes, m.proposals = 0, 0
}

// runSnapshots takes the snapshots the state machine asks for until Stop.
func (s *Server) runSnapshots() {
	for {
		select {
		case due := <-s.sm.meter.due:
			s.takeSnapshot(due)
		case <-s.stopc:
			return
		}
	}
}

func (s *Server) takeSnapshot(due snapshotDue) {
	keep := min(due.keep, s.compactionOverhead())
	opt := dragonboat.SnapshotOption{OverrideCompactionOverhead: true, CompactionOverhead: keep}
	rs, err := s.nh.RequestSnapshot(clusterID, opt, snapshotTimeout)
	var res sm.Result
	if err == nil {
		select {
		case r := <-rs.ResultC():
			res, err = requestResult(r)
		case <-s.stopc:
			return
		}
	}
	if err != nil {
		// Rejected when Dragonboat is already taking one; the next limit
		// reached asks again.
		s.logger.Debug().Err(err).Msg("snapshot to compact the Raft log not taken")
		return
	}
	s.metrics.byteSnapshots.Inc()
	s.logger.Debug().Uint64("raft_index", res.Value).Uint64("kept_proposals", keep).
		Msg("snapshot taken to compact the Raft log")
}
